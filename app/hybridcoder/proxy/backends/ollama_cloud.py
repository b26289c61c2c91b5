"""Ollama Cloud as the third cloud provider: same wire protocol as local Ollama, no translation.

Two ways in (reference cloud.md §5):
- through the user's local Ollama after ``ollama signin``: ``:cloud`` / ``-cloud`` tags
  (e.g. ``qwen3-coder:480b-cloud``) on the normal native API, no key here;
- directly against ``https://ollama.com`` with ``OLLAMA_API_KEY`` as a Bearer token.

Pricing is by plan, not per token: the usage is recorded, the ledger prices it as
"plan usage". ``num_ctx`` is not sent (the cloud side picks the context). Causes start
with ``cloud_`` so the ledger tells them from local failures.

Never puts the key in a message, a log line or an exception.
"""

from __future__ import annotations

from hybridcoder.proxy.backends.ollama import OllamaBackend
from hybridcoder.proxy.backends.timeouts import BackendTimeouts

OLLAMA_COM = "https://ollama.com"


def is_cloud_tag(model: str) -> bool:
    """``qwen3-coder:480b-cloud``, ``gpt-oss:120b-cloud``, ``kimi-k2:1t-cloud``, ``some-model:cloud``."""
    tag = model.rsplit(":", 1)[-1] if ":" in model else ""
    return tag == "cloud" or tag.endswith("-cloud")


class OllamaCloudBackend(OllamaBackend):
    """Ollama Cloud models, via the signed-in local Ollama (no key) or ollama.com (with a key)."""

    provider = "ollama-cloud"
    route = "cloud"
    cause_prefix = "cloud_"

    def __init__(self, base_url: str = OLLAMA_COM, api_key: str | None = None, *,
                 timeouts: BackendTimeouts | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._direct = api_key is not None
        super().__init__(base_url, num_ctx=None, fim_num_ctx=None, timeouts=timeouts, headers=headers)

    def __repr__(self) -> str:  # never show the key
        return f"OllamaCloudBackend({self.base_url!r})"

    def _auth_message(self) -> str:
        if self._direct:
            return "Ollama Cloud rejected the Ollama Cloud key (OLLAMA_API_KEY); check it under Settings → Keys."
        return "Ollama Cloud refused the request: sign in once with `ollama signin`."
