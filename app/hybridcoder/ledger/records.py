"""What one proxied request leaves behind in the ledger."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestRecord:
    """One request as recorded; field names are the ledger's column names.

    ``route`` is where the answer finally came from ("local" or "cloud");
    ``fallback_cause`` is set when the first choice failed and the other side answered
    (e.g. "local_unreachable", "local_ttft_timeout", "invalid_tool_call",
    "client_retry", "cloud_rate_limited"), or when the user escalated by hand
    ("manual_cloud").
    """

    kind: str  # "autocomplete", "chat", "edit", "agent", "embed", "other"
    route: str  # "local" or "cloud"
    model: str
    ts: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    client: str = "unknown"  # "continue", "cline", "aider", "openai-sdk", ...
    endpoint: str = ""  # "/v1/chat/completions", "/api/generate", ...
    provider: str = ""  # "ollama", "openai-compatible", "anthropic", "openai", "ollama-cloud"
    requested_model: str = ""
    first_choice: str = ""  # route the router chose before any fallback
    reasons: list[str] = field(default_factory=list)
    score: float | None = None
    fallback_cause: str | None = None
    stream: bool = False
    #: The WHOLE prompt, cache reads and writes included (OpenAI's convention; for Anthropic that is
    #: input_tokens + cache_creation_input_tokens + cache_read_input_tokens). Prices rely on it.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: The parts of ``prompt_tokens`` read from / written to the provider's prompt cache.
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    tokens_estimated: bool = False
    ttft_ms: float | None = None
    total_ms: float | None = None
    status: int = 200
    error: str | None = None
    redactions: int = 0
    #: Routing features (numbers only, never text) so the router can learn from outcomes.
    features: dict[str, Any] = field(default_factory=dict)
    #: Only filled when the user enabled prompt storage in settings.
    prompt_text: str | None = None
