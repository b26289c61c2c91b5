"""The one small interface every backend implements.

The proxy speaks OpenAI's chat format internally. A backend takes an OpenAI-format
request body and streams OpenAI ``chat.completion.chunk`` dicts; non-streaming
answers are assembled from the same stream by the proxy, so each provider has one
translation path. A new provider is one file in this package.

Contract:
- ``chat()`` / ``complete()`` return a :class:`ChatStream`. Connection and
  upstream-status failures raise :class:`~hybridcoder.proxy.errors.UpstreamError`
  *before* the first chunk is yielded (``before_first_byte=True``) so the proxy can
  fall back; failures after it raise with ``before_first_byte=False``.
- Chunks carry ``choices[0].delta`` (role, content, tool_calls with string
  ``arguments``) and ``finish_reason`` on the last content chunk. Usage is not
  yielded as a chunk; it is on ``stream.usage`` once the stream ends.
- ``aclose()`` cancels the upstream request (client went away): no orphaned
  generation keeps burning GPU or cloud tokens.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    #: True when the upstream reported nothing and the numbers are estimates.
    estimated: bool = False

    def openai(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }
        if self.cache_read_tokens:
            out["prompt_tokens_details"] = {"cached_tokens": self.cache_read_tokens}
        return out


class ChatStream(abc.ABC):
    """Async iterator of OpenAI chunk dicts with the final usage attached."""

    usage: Usage
    model: str

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    @abc.abstractmethod
    async def __anext__(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Cancel the upstream request and release the connection."""


class Backend(abc.ABC):
    """A place requests can be answered: local Ollama, an OpenAI-compatible server, a cloud."""

    #: "ollama", "openai-compatible", "anthropic", "openai", "ollama-cloud"
    provider: str
    #: "local" or "cloud"
    route: str

    @abc.abstractmethod
    async def chat(self, body: dict[str, Any], model: str) -> ChatStream:
        """Start an OpenAI-format chat completion against ``model`` (always streamed upstream)."""

    async def complete(self, body: dict[str, Any], model: str) -> ChatStream:
        """Fill-in-the-middle / plain completion (``prompt``, optional ``suffix``); local backends only.

        Yields OpenAI ``text_completion`` chunks: ``{"choices": [{"text", "index", "finish_reason"}]}``.
        """
        raise NotImplementedError(f"{self.provider} does not serve completions")

    async def models(self) -> list[str]:
        """Model ids this backend can serve right now (installed or configured)."""
        return []

    async def aclose(self) -> None:  # noqa: B027 (optional hook: most backends pool nothing)
        """Release pooled connections."""
