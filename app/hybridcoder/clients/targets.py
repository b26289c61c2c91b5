"""What a tool's configuration points at: the proxy, its token, and the models behind it.

These small value objects are shared by the Continue, Cline and Aider writers so
each writer only decides *where* and *how* its tool stores them. This module never
reads files, the keyring or the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hybridcoder.clients.errors import ConfigWriteError
from hybridcoder.clients.safe_write import PlannedFile

#: The proxy's virtual model: the proxy decides local or cloud per request.
ROUTER_MODEL = "hybrid-auto"
#: Every entry Hybrid Coder adds carries this prefix so a rerun finds and updates it.
OUR_PREFIX = "Hybrid Coder"
#: Cline and Continue must wait for a cold local model load; 5 minutes is Cline's own default.
CLIENT_TIMEOUT_MS = 300_000

# Model ids that flip Continue to the Responses API or "chat only" behaviour (continue.md §4).
_RESPONSES_TRIGGER = re.compile(r"^o[0-9]+|gpt-[5-9]")


@dataclass(frozen=True)
class ProxyTarget:
    """The local proxy as clients see it."""

    #: Root URL, e.g. ``http://127.0.0.1:11480``; the OpenAI surface is ``<url>/v1``,
    #: the Ollama-native surface is the root itself.
    url: str
    #: The proxy's local access token (the one secret clients are allowed to hold).
    token: str

    def __post_init__(self) -> None:
        url = self.url.strip().rstrip("/")
        if url.endswith("/v1"):
            url = url[: -len("/v1")]
        if not re.match(r"^https?://[^/\s]+$", url):
            raise ConfigWriteError(
                f"The proxy URL {self.url!r} is not a plain http://host:port address; "
                "pass one like http://127.0.0.1:11480."
            )
        if not self.token or not self.token.isascii() or any(c.isspace() for c in self.token):
            raise ConfigWriteError(
                "The proxy token is empty or has spaces or non-ASCII characters; "
                "run `hybridcoder setup` to generate a new one."
            )
        object.__setattr__(self, "url", url.replace("://localhost", "://127.0.0.1"))

    @property
    def openai_base(self) -> str:
        return f"{self.url}/v1"


@dataclass(frozen=True)
class ClientModels:
    """Model facts the clients need; context sizes must be what the local model really has."""

    #: Context window configured for the local chat model (num_ctx) — what hybrid-auto can hold.
    chat_context: int = 32768
    #: Ollama tag of the autocomplete (base, FIM-capable) model.
    autocomplete: str = "qwen2.5-coder:1.5b-base"
    autocomplete_context: int = 4096
    #: Ollama tag of an installed embedding model, or None.
    embed: str | None = None
    #: The local chat model behind hybrid-auto (only used for heuristics such as aider's edit format).
    local_chat: str = ""
    router_model: str = ROUTER_MODEL

    def __post_init__(self) -> None:
        if self.chat_context < 2048:
            raise ConfigWriteError(
                f"A chat context of {self.chat_context} tokens is too small for a coding assistant; "
                "choose at least 2048 (8192 or more is better)."
            )
        if _RESPONSES_TRIGGER.search(self.router_model):
            raise ConfigWriteError(
                f"The model name {self.router_model!r} would switch Continue to the Responses API; "
                "use a name such as hybrid-auto."
            )

    @property
    def max_output_tokens(self) -> int:
        """Leave most of the window for the prompt (Continue warns below 1000 tokens of room)."""
        return max(512, min(4096, self.chat_context // 4))


@dataclass
class ToolPlan:
    """What one tool's writer wants on disk, plus messages for the user."""

    tool: str
    files: list[PlannedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
