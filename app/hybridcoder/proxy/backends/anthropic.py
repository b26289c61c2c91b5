"""Anthropic's Messages API through the official ``anthropic`` SDK (AsyncAnthropic, streaming).

The SDK does not retry (``max_retries=0``): the router owns retries, so a 429 falls
back to the local model at once instead of holding the client through the SDK's
back-off, and the provider's ``Retry-After`` reaches the proxy (then the client).
Failures map to the proxy's errors: 429 → UpstreamRateLimited ``cloud_rate_limited``,
529 / ``overloaded_error`` → UpstreamOverloaded ``cloud_overloaded`` (503), both with
``retry_after``; 401/403 → UpstreamAuthError naming "the Anthropic key", other 5xx →
UpstreamError ``cloud_5xx``, connection failures → UpstreamUnreachable
``cloud_unreachable``, deadlines → UpstreamTimeout.

Sampling parameters: SDK 2.x sends API version 2026-10-21, which answers any
temperature/top_p/top_k with a 400, and Claude 4.7+ only ever used the defaults, so
they are dropped. Pass ``api_version="2023-06-01"`` to pin the old version; then they
are forwarded (clamped to 0–1).

Never puts the key in a message, a log line or an exception; never logs prompt text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import anthropic
import httpx2
from anthropic import AsyncStream
from anthropic.types import Message, RawMessageStreamEvent

from hybridcoder.proxy import translate_anthropic as tr
from hybridcoder.proxy.backends.base import Backend, ChatStream, Usage
from hybridcoder.proxy.backends.streams import UpstreamChatStream
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.cooldown import retry_after_seconds
from hybridcoder.proxy.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from hybridcoder.proxy.offload import encode_json, run_heavy

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.anthropic.com"


class AnthropicBackend(Backend):
    """Claude models as an OpenAI-format backend."""

    provider = "anthropic"
    route = "cloud"

    def __init__(self, api_key: str, base_url: str | None = None, *, max_retries: int = 0,
                 timeouts: BackendTimeouts | None = None, api_version: str | None = None,
                 default_max_tokens: int = tr.DEFAULT_MAX_TOKENS, models: Sequence[str] = (),
                 prompt_caching: bool = True) -> None:
        if not api_key:
            raise ValueError("an Anthropic API key is required")
        self._api_key = api_key
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.max_retries = max_retries
        self.timeouts = timeouts or BackendTimeouts()
        self.api_version = api_version
        self.default_max_tokens = default_max_tokens
        #: Ask for automatic prompt caching (see translate_anthropic.anthropic_request).
        self.prompt_caching = prompt_caching
        self._models = list(models)
        self._client: anthropic.AsyncAnthropic | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # never show the key
        return f"AnthropicBackend(base_url={self.base_url!r})"

    @property
    def sends_sampling(self) -> bool:
        """True only when the old API version is pinned (the current one rejects sampling params)."""
        return self.api_version is not None and self.api_version < tr.CURRENT_API_VERSION

    def client(self) -> anthropic.AsyncAnthropic:
        """The SDK client for the running loop (its connection pool is bound to one loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            headers = {"anthropic-version": self.api_version} if self.api_version else None
            # read = the idle gap between chunks; the time to the first token is bounded by chat().
            timeout = httpx2.Timeout(connect=self.timeouts.connect, read=self.timeouts.idle,
                                     write=self.timeouts.idle, pool=self.timeouts.connect)
            self._client = anthropic.AsyncAnthropic(api_key=self._api_key, base_url=self.base_url,
                                                    max_retries=self.max_retries, timeout=timeout,
                                                    default_headers=headers)
            self._loop = loop
        return self._client

    def payload(self, body: dict[str, Any], model: str) -> bytes:
        """The Messages API request body, encoded (pure: runs in the worker pool for big bodies)."""
        request = tr.anthropic_request(body, model, default_max_tokens=self.default_max_tokens,
                                       sampling=self.sends_sampling, prompt_caching=self.prompt_caching)
        request.update(request.pop("extra_body", None) or {})
        request["stream"] = True
        return encode_json(request)

    async def chat(self, body: dict[str, Any], model: str) -> ChatStream:
        # Encoded here (off the loop when big, offload.py) and posted as bytes: the SDK's
        # own path would walk and json-encode the whole body on the event loop.
        payload = await run_heavy(self.payload, body, model)
        client = self.client()
        usage = Usage()
        translator = tr.AnthropicStreamTranslator(model, usage)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeouts.first_token
        try:
            async with asyncio.timeout_at(deadline):
                events = await client.post("/v1/messages", cast_to=Message, content=payload, stream=True,
                                           stream_cls=AsyncStream[RawMessageStreamEvent],
                                           options={"headers": {"Content-Type": "application/json"}})
        except Exception as exc:
            raise self._map_error(exc, False) from None

        async def chunks() -> AsyncGenerator[dict[str, Any], None]:
            try:
                async for event in events:
                    for chunk in translator.translate(event.to_dict()):
                        yield chunk
                    if translator.done:
                        break
            finally:
                await events.close()
            if not translator.done:
                raise UpstreamError("The connection to Anthropic ended before the answer was complete.",
                                    cause="cloud_connection_lost")

        stream = UpstreamChatStream(chunks(), model=model, usage=usage, cancel=events.close,
                                    map_error=self._map_error)
        await stream.prefetch(max(0.0, deadline - loop.time()))
        return stream

    async def models(self) -> list[str]:
        """The Claude models configured in settings (listing them live would need the key on every call)."""
        return list(self._models)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.close()

    # ------------------------------------------------------------------ errors

    def _map_error(self, exc: BaseException, started: bool) -> UpstreamError:
        if isinstance(exc, UpstreamError):
            return exc
        if isinstance(exc, anthropic.APIStatusError):
            return self._status_error(exc)
        if isinstance(exc, anthropic.APITimeoutError | TimeoutError):
            if started:
                return UpstreamTimeout(f"Anthropic stopped sending for {self.timeouts.idle:g} s mid-answer.",
                                       cause="cloud_idle_timeout")
            return UpstreamTimeout(f"Anthropic sent no answer within {self.timeouts.first_token:g} s.",
                                   cause="cloud_ttft_timeout")
        if isinstance(exc, anthropic.APIConnectionError):
            if started:
                return UpstreamError("The connection to Anthropic broke mid-answer.",
                                     cause="cloud_connection_lost")
            return UpstreamUnreachable(f"Anthropic isn't reachable at {self.base_url}; check the network.",
                                       cause="cloud_unreachable")
        log.error("unexpected Anthropic failure: %s", type(exc).__name__)
        return UpstreamError(f"The Anthropic request failed unexpectedly ({type(exc).__name__}).",
                             cause="cloud_error")

    def _status_error(self, exc: anthropic.APIStatusError) -> UpstreamError:
        status = exc.status_code
        detail = exc.api_message or exc.type or f"HTTP {status}"
        if status == 200:  # an ``error`` event inside the stream
            return tr.stream_error({"type": exc.type, "message": exc.api_message})
        if status in (401, 403):
            return UpstreamAuthError(
                f"The Anthropic key was rejected (HTTP {status}: {detail}); check it under Settings → Keys.",
                cause="cloud_auth", retriable=True)
        if status == 529 or exc.type == "overloaded_error" or status == 429:
            error: UpstreamError
            if status == 429 and exc.type != "overloaded_error":
                error = UpstreamRateLimited(f"Anthropic is rate limiting this key ({detail}).",
                                            cause="cloud_rate_limited")
            else:
                error = UpstreamOverloaded(f"Anthropic is overloaded right now ({detail}); try again shortly.",
                                           cause="cloud_overloaded")
            response = getattr(exc, "response", None)
            error.retry_after = retry_after_seconds(response.headers if response is not None else None)
            return error
        if status == 404:
            return UpstreamError(f"Anthropic does not know this model or the key cannot use it ({detail}).",
                                 cause="cloud_model_missing", status=404, retriable=True)
        if status == 413:
            return UpstreamError(f"The request is too large for Anthropic ({detail}).", cause="cloud_too_large",
                                 status=413, retriable=False)
        if status >= 500:
            return UpstreamError(f"Anthropic failed (HTTP {status}: {detail}).", cause="cloud_5xx")
        return UpstreamError(f"Anthropic rejected the request (HTTP {status}: {detail}).",
                             cause="cloud_bad_request", status=400, retriable=False)
