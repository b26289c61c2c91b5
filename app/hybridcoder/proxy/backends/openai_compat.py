"""Any OpenAI-compatible server: LM Studio, llama.cpp server, vLLM, a team's GPU box, or OpenAI itself.

The same class is the *local* backend when a team outgrows one machine
(``route="local"``, ``provider="openai-compatible"``) and the OpenAI *cloud* provider
(``route="cloud"``, ``provider="openai"``). Chunks pass through unchanged apart from
the model name; usage is captured from the ``choices: []`` chunk that
``stream_options.include_usage`` makes the server send (always requested).

Errors: 401/403 → UpstreamAuthError naming which key ("the OpenAI key"), 429 →
UpstreamRateLimited, 404 → ``<route>_model_missing``, 5xx → ``<route>_5xx``,
connection refused → UpstreamUnreachable ``<route>_unreachable``, deadlines →
UpstreamTimeout. Cause codes start with the route ("local_…" / "cloud_…").

Never logs prompt text; never puts the key in a message or exception.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
import orjson

from hybridcoder.proxy.backends.base import Backend, ChatStream, Usage
from hybridcoder.proxy.backends.http_pool import LineReader, SessionPool, is_loopback_url, iter_sse_data
from hybridcoder.proxy.backends.streams import UpstreamChatStream
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.cooldown import retry_after_seconds
from hybridcoder.proxy.errors import (
    BadRequest,
    UpstreamAuthError,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from hybridcoder.proxy.offload import encode_json, run_heavy

log = logging.getLogger(__name__)

#: Proxy-only fields a client may send that an upstream would reject.
_DROP_FIELDS = ("stream", "stream_options")


def usage_from(raw: Any, usage: Usage) -> None:
    """OpenAI usage → ours (``prompt_tokens`` already includes cached tokens)."""
    if not isinstance(raw, dict):
        return
    usage.prompt_tokens = int(raw.get("prompt_tokens") or 0)
    usage.completion_tokens = int(raw.get("completion_tokens") or 0)
    details = raw.get("prompt_tokens_details")
    if isinstance(details, dict):
        usage.cache_read_tokens = int(details.get("cached_tokens") or 0)


class OpenAICompatibleBackend(Backend):
    """An OpenAI-format server, relayed with pooled aiohttp connections."""

    def __init__(self, base_url: str, api_key: str | None = None, *, provider: str = "openai-compatible",
                 route: str = "local", timeouts: BackendTimeouts | None = None,
                 key_label: str | None = None) -> None:
        # base_url is the API root including "/v1" (e.g. http://127.0.0.1:1234/v1, https://api.openai.com/v1).
        self.base_url = base_url.rstrip("/")
        self.provider = provider
        self.route = route
        self.timeouts = timeouts or BackendTimeouts()
        #: How errors name the key: "the OpenAI key", "the key for http://gpu-box:8000/v1".
        self.key_label = key_label or ("the OpenAI key" if provider == "openai" else f"the key for {self.base_url}")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._pool = SessionPool(self.timeouts, headers, trust_env=route == "cloud" and not is_loopback_url(self.base_url))

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatibleBackend({self.base_url!r}, provider={self.provider!r}, route={self.route!r})"

    @property
    def _where(self) -> str:
        return "OpenAI" if self.provider == "openai" else f"the server at {self.base_url}"

    # ------------------------------------------------------------------ Backend

    async def chat(self, body: dict[str, Any], model: str) -> ChatStream:
        payload = await run_heavy(lambda: encode_json(self._request(body, model)))  # off the loop when big
        return await self._stream("/chat/completions", payload, model)

    async def complete(self, body: dict[str, Any], model: str) -> ChatStream:
        prompt = body.get("prompt")
        if not isinstance(prompt, str | list):
            raise BadRequest("'prompt' must be a string.", param="prompt")
        return await self._stream("/completions", encode_json(self._request(body, model)), model)

    async def embeddings(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        """OpenAI ``/embeddings`` relayed (the model name swapped in)."""
        request = {k: v for k, v in body.items() if k not in _DROP_FIELDS}
        request["model"] = model
        return await self._json("POST", "/embeddings", request, model)

    async def models(self) -> list[str]:
        answer = await self._json("GET", "/models", None, None)
        return [str(m["id"]) for m in answer.get("data") or [] if isinstance(m, dict) and m.get("id")]

    async def aclose(self) -> None:
        await self._pool.aclose()

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _request(body: dict[str, Any], model: str) -> dict[str, Any]:
        request = {k: v for k, v in body.items() if k not in _DROP_FIELDS}
        request["model"] = model
        request["stream"] = True
        request["stream_options"] = {"include_usage": True}
        return request

    async def _stream(self, path: str, payload: bytes, model: str) -> ChatStream:
        session = self._pool.session()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeouts.first_token
        try:
            async with asyncio.timeout_at(deadline):
                response = await session.post(self.base_url + path, data=payload,
                                              headers={"Content-Type": "application/json",
                                                       "Accept": "text/event-stream"})
                if response.status != 200:
                    try:
                        raise await self._status_error(response, model)
                    finally:
                        response.release()
        except Exception as exc:
            raise self._map_error(exc, False) from None
        usage = Usage()
        reader = LineReader(response)

        async def chunks() -> AsyncGenerator[dict[str, Any], None]:
            try:
                async for data in iter_sse_data(reader):
                    if data == b"[DONE]":
                        return
                    chunk = orjson.loads(data)
                    if not isinstance(chunk, dict):
                        continue
                    if "error" in chunk and "choices" not in chunk:
                        raise self._stream_error(chunk["error"])
                    raw_usage = chunk.pop("usage", None)
                    if raw_usage:
                        usage_from(raw_usage, usage)
                    if not chunk.get("choices"):
                        continue  # the usage-only chunk: usage goes on stream.usage, not to the client
                    chunk["model"] = model
                    yield chunk
            finally:
                response.release()

        def started() -> None:
            reader.idle = self.timeouts.idle

        stream = UpstreamChatStream(chunks(), model=model, usage=usage, cancel=response.close,
                                    map_error=self._map_error, on_started=started)
        await stream.prefetch(max(0.0, deadline - loop.time()))
        return stream

    async def _json(self, method: str, path: str, request: dict[str, Any] | None,
                    model: str | None) -> dict[str, Any]:
        session = self._pool.session()
        data = json.dumps(request).encode() if request is not None else None
        try:
            async with asyncio.timeout(self.timeouts.first_token):
                async with session.request(method, self.base_url + path, data=data,
                                           headers={"Content-Type": "application/json"}) as response:
                    if response.status != 200:
                        raise await self._status_error(response, model)
                    answer = await response.json(content_type=None)
        except UpstreamError:
            raise
        except Exception as exc:
            raise self._map_error(exc, False) from None
        if not isinstance(answer, dict):
            raise UpstreamError(f"{self._where} sent an answer that is not a JSON object.",
                                cause=f"{self.route}_bad_response")
        return answer

    def _stream_error(self, error: Any) -> UpstreamError:
        message = error.get("message") if isinstance(error, dict) else str(error)
        return UpstreamError(f"{self._where} failed while answering: {message}", cause=f"{self.route}_stream_error")

    async def _status_error(self, response: aiohttp.ClientResponse, model: str | None) -> UpstreamError:
        try:
            parsed = json.loads(await response.read() or b"{}")
            error = parsed.get("error") if isinstance(parsed, dict) else None
            text = str(error.get("message") if isinstance(error, dict) else error or "")
        except (ValueError, aiohttp.ClientError, UnicodeDecodeError):
            text = ""
        status = response.status
        r = self.route
        where = self._where
        detail = text or f"HTTP {status}"
        if status in (401, 403):
            return UpstreamAuthError(f"{where} rejected {self.key_label} (HTTP {status}); check it under Settings → Keys.",
                                     cause=f"{r}_auth")
        if status == 429:
            limited = UpstreamRateLimited(f"{where} is rate limiting requests ({detail}).", cause=f"{r}_rate_limited")
            limited.retry_after = retry_after_seconds({k.lower(): v for k, v in response.headers.items()})
            return limited
        if status == 404:
            return UpstreamError(f"{where} does not serve the model '{model}' ({detail}).",
                                 cause=f"{r}_model_missing")
        if status >= 500:
            return UpstreamError(f"{where} failed (HTTP {status}: {detail}).", cause=f"{r}_5xx")
        return UpstreamError(f"{where} rejected the request (HTTP {status}: {detail}).", cause=f"{r}_bad_request",
                             status=400, retriable=False)

    def _map_error(self, exc: BaseException, started: bool) -> UpstreamError:
        r = self.route
        where = self._where
        if isinstance(exc, UpstreamError):
            return exc
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return UpstreamTimeout(f"Connecting to {where} timed out.", cause=f"{r}_connect_timeout")
        if isinstance(exc, TimeoutError):
            if started:
                return UpstreamTimeout(f"{where} stopped sending for {self.timeouts.idle:g} s mid-answer.",
                                       cause=f"{r}_idle_timeout")
            return UpstreamTimeout(f"{where} sent no answer within {self.timeouts.first_token:g} s.",
                                   cause=f"{r}_ttft_timeout")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return UpstreamUnreachable(f"{where[0].upper() + where[1:]} isn't reachable.", cause=f"{r}_unreachable")
        if isinstance(exc, aiohttp.ClientError | OSError):
            return UpstreamError(f"The connection to {where} broke ({type(exc).__name__}).",
                                 cause=f"{r}_connection_lost")
        if isinstance(exc, ValueError):
            return UpstreamError(f"{where} sent a malformed stream.", cause=f"{r}_bad_response")
        log.error("unexpected OpenAI-compatible backend failure: %s", type(exc).__name__)
        return UpstreamError(f"{where} failed unexpectedly ({type(exc).__name__}).", cause=f"{r}_error")
