"""Turn one proxied request into one ledger row: which tool sent it, where it went, what it cost.

:func:`client_from_request` names the sending tool from its User-Agent (cached: a
tool sends the same string every time). :class:`RequestTrace` collects timings and
outcome while the request runs and becomes a :class:`RequestRecord` at the end;
``UsageLedger.record`` only queues it, so recording costs microseconds.

Token counts come from the upstream's usage when it reports them; otherwise they
are estimated from characters (about four per token) and marked as estimates.

Never records prompt or answer text (unless the user turned on prompt storage, and
then only the last user message), never a key or the access token.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from hybridcoder.ledger.records import RequestRecord
from hybridcoder.proxy.backends.base import Usage
from hybridcoder.routing.decision import RoutingDecision

CHARS_PER_TOKEN = 4

# (substring of the lower-cased User-Agent, client name); first match wins.
_UA_RULES: tuple[tuple[str, str], ...] = (
    ("cline", "cline"),
    ("continue", "continue"),
    ("ls/js", "continue"),  # Continue's bundled OpenAI JS client (bundler-mangled name)
    ("aider", "aider"),
    ("litellm", "litellm"),
    ("ollama-python", "ollama-python"),
    ("ollama-js", "ollama-js"),
    ("ai-sdk/", "ai-sdk"),
    ("openai/python", "openai-sdk"),
    ("openai/js", "openai-sdk"),
    ("anthropic/python", "anthropic-sdk"),
    ("curl/", "curl"),
    ("python-httpx", "httpx"),
    ("python-requests", "requests"),
    ("aiohttp", "aiohttp"),
    ("node", "node"),
)
_client_cache: dict[bytes, str] = {}
# Row ids: a random per-process prefix and a counter. Unique like uuid4, but without a
# system call per request (os.urandom is slow on some virtual machines).
_ID_PREFIX = os.urandom(8).hex()
_ids = itertools.count(1)


def new_record_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):016x}"
_AIDER_PROMPT = "Act as an expert software developer"


def client_from_user_agent(user_agent: bytes | None) -> str:
    if not user_agent:
        return "unknown"
    cached = _client_cache.get(user_agent)
    if cached is not None:
        return cached
    lowered = user_agent.decode("latin-1").lower()
    name = next((client for needle, client in _UA_RULES if needle in lowered), "other")
    if len(_client_cache) < 256:
        _client_cache[user_agent] = name
    return name


def client_from_request(user_agent: bytes | None, body: dict[str, Any] | None = None) -> str:
    """The tool that sent a request. Aider speaks through the OpenAI Python SDK, so its
    User-Agent is the SDK's; its system prompt gives it away."""
    name = client_from_user_agent(user_agent)
    if name == "openai-sdk" and body is not None:
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            content = messages[0].get("content")
            if isinstance(content, str) and content.startswith(_AIDER_PROMPT):
                return "aider"
    return name


def estimate_tokens_of_chars(chars: int) -> int:
    return (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def prompt_chars(body: dict[str, Any]) -> int:
    """Characters of text the model reads (messages, prompt, suffix, tool schemas are left out)."""
    total = 0
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, str):
                total += len(content)
            elif isinstance(content, list):
                for part in content:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        total += len(part["text"])
    for key in ("prompt", "suffix", "system"):
        value = body.get(key)
        if isinstance(value, str):
            total += len(value)
    return total


def last_user_text(body: dict[str, Any]) -> str | None:
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, str):
                    return content
                if isinstance(content, list):
                    return "\n".join(p["text"] for p in content
                                     if isinstance(p, dict) and isinstance(p.get("text"), str))
                return None
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else None


class RequestTrace:
    """What is known about a request so far; :meth:`record` makes the ledger row."""

    __slots__ = ("answer", "client", "completion_chars", "decision", "endpoint", "error", "fallback_cause",
                 "first_choice", "kind", "model", "prompt_text", "provider", "redactions",
                 "requested_model", "route", "start", "status", "stream", "ttft", "usage")

    def __init__(self, endpoint: str, client: str, start: float) -> None:
        self.endpoint = endpoint
        self.client = client
        self.start = start
        self.kind = "other"
        self.route = "local"
        self.first_choice = ""
        self.provider = ""
        self.model = ""
        self.requested_model = ""
        self.decision: RoutingDecision | None = None
        self.fallback_cause: str | None = None
        self.stream = False
        self.usage: Usage | None = None
        self.completion_chars = 0
        self.ttft: float | None = None
        self.status = 200
        self.error: str | None = None
        self.redactions = 0
        self.prompt_text: str | None = None
        #: The answer text (or its pieces), kept in memory for the app's recent requests only; never recorded.
        self.answer: str | list[str] | None = None

    def first_byte(self) -> None:
        if self.ttft is None:
            self.ttft = time.perf_counter()

    def record(self, body: dict[str, Any] | None, end: float | None = None) -> RequestRecord:
        end = time.perf_counter() if end is None else end
        usage = self.usage
        estimated = usage is None or usage.estimated or (usage.prompt_tokens == 0 and usage.completion_tokens == 0)
        if estimated:
            prompt_tokens = estimate_tokens_of_chars(prompt_chars(body)) if body is not None else 0
            completion_tokens = estimate_tokens_of_chars(self.completion_chars)
            cache_read = cache_write = 0
        else:
            assert usage is not None
            prompt_tokens = usage.prompt_tokens
            completion_tokens = usage.completion_tokens
            cache_read = usage.cache_read_tokens
            cache_write = usage.cache_write_tokens
        decision = self.decision
        return RequestRecord(
            id=new_record_id(),
            kind=decision.kind if decision is not None else self.kind,
            route=self.route,
            model=self.model,
            client=self.client,
            endpoint=self.endpoint,
            provider=self.provider,
            requested_model=self.requested_model,
            first_choice=self.first_choice or self.route,
            reasons=list(decision.reasons) if decision is not None else [],
            score=decision.score if decision is not None else None,
            fallback_cause=self.fallback_cause,
            stream=self.stream,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            tokens_estimated=estimated and (prompt_tokens > 0 or completion_tokens > 0),
            ttft_ms=(self.ttft - self.start) * 1000.0 if self.ttft is not None else None,
            total_ms=(end - self.start) * 1000.0,
            status=self.status,
            error=self.error,
            redactions=self.redactions,
            features=dict(decision.features) if decision is not None else {},
            prompt_text=self.prompt_text,
        )
