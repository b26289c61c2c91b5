"""Local Ollama through its native API: chat (/api/chat), FIM (/api/generate), embeddings, passthrough.

Translation lives in ``hybridcoder.proxy.translate_ollama``; this module does the I/O:
pooled connections (the lean keep-alive client of ``lean_http`` for chat, FIM,
embeddings and tags on a loopback ``http://`` URL; aiohttp for passthrough and any
other URL), the time-to-first-token and idle-gap deadlines, error mapping to the proxy's taxonomy, and cancelling the upstream request when the
client goes away (closing the response makes Ollama stop generating).

Causes recorded for fallback: ``local_unreachable``, ``local_connect_timeout``,
``local_model_missing``, ``local_oom``, ``local_5xx``, ``local_ttft_timeout``,
``local_idle_timeout``, ``local_stream_error``, ``local_unsupported``, ``local_bad_request``.

Never logs prompt text; never changes the bytes of a passthrough.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from hybridcoder.proxy import translate_ollama as tr
from hybridcoder.proxy.backends.base import Backend, ChatStream, Usage
from hybridcoder.proxy.backends.http_pool import HTTPResponse, LineReader, SessionPool, is_loopback_url
from hybridcoder.proxy.backends.lean_http import ConnectFailed, ConnectTimeout, LeanPool, lean_available
from hybridcoder.proxy.backends.streams import UpstreamChatStream
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from hybridcoder.proxy.offload import encode_json, run_heavy

log = logging.getLogger(__name__)

#: Request headers a passthrough forwards (everything else, e.g. the proxy token, stays here).
_FORWARD_REQUEST_HEADERS = frozenset({"content-type", "accept", "user-agent"})
#: Response headers a passthrough hands back (hop-by-hop and length headers are the server's job).
_DROP_RESPONSE_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive",
                                    "content-encoding", "date", "server"})
#: ``"stream": false`` in a raw body: Ollama then answers only when the whole answer is ready.
_NOT_STREAMED = re.compile(rb'"stream"\s*:\s*false')
#: How long a non-streamed passthrough answer may take.
NON_STREAMED_LIMIT_S = 600.0


@dataclass
class PassthroughResponse:
    """An upstream answer relayed unchanged: status, headers, and the body as it arrives.

    Iterate ``body()`` for the bytes (each read bounded by the idle timeout); always
    ``aclose()`` when done or when the client left (that cancels the upstream request).
    """

    status: int
    headers: dict[str, str]
    _response: aiohttp.ClientResponse = field(repr=False)
    _idle: float = 60.0

    async def body(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while True:
                async with asyncio.timeout(self._idle):
                    data = await content.readany()
                if not data:
                    break
                yield data
        finally:
            self._response.release()

    async def read(self) -> bytes:
        """The whole body (for small answers such as /api/tags)."""
        return b"".join([part async for part in self.body()])

    async def aclose(self) -> None:
        self._response.close()


class OllamaBackend(Backend):
    """Ollama's native API as an OpenAI-format backend."""

    provider = "ollama"
    route = "local"
    #: Prefix of the ``cause`` codes this backend reports ("local_" or "cloud_").
    cause_prefix = "local_"

    def __init__(self, base_url: str, *, num_ctx: int | None = None, fim_num_ctx: int | None = None,
                 timeouts: BackendTimeouts | None = None, keep_alive: str | int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.num_ctx = num_ctx or None
        self.fim_num_ctx = fim_num_ctx or None
        self.timeouts = timeouts or BackendTimeouts()
        self.keep_alive = keep_alive
        # Only a cloud upstream may go through the environment's HTTP proxy.
        self._pool = SessionPool(self.timeouts, headers, trust_env=self.route == "cloud" and not is_loopback_url(self.base_url))
        # Loopback Ollama gets the lean client (the hot path); anything else stays on aiohttp.
        self._lean_ok = (lean_available() and self.base_url.startswith("http://")
                         and is_loopback_url(self.base_url))
        self._headers = dict(headers or {})
        self._lean: LeanPool | None = None

    # ------------------------------------------------------------------ OpenAI surface

    def _chat_payload(self, body: dict[str, Any], model: str) -> bytes:
        return encode_json(tr.chat_request(body, model, num_ctx=self.num_ctx, keep_alive=self.keep_alive))

    async def chat(self, body: dict[str, Any], model: str) -> ChatStream:
        try:
            payload = await run_heavy(self._chat_payload, body, model)  # off the loop for big bodies
        except UpstreamError as exc:
            raise self._retag(exc) from None
        usage = Usage()
        translator = tr.OllamaChatTranslator(model, usage)
        return await self._stream("/api/chat", payload, model, usage, translator.translate)

    async def complete(self, body: dict[str, Any], model: str) -> ChatStream:
        request = tr.generate_request(body, model, num_ctx=self.fim_num_ctx or self.num_ctx,
                                      keep_alive=self.keep_alive)
        usage = Usage()
        translator = tr.OllamaGenerateTranslator(model, usage)
        return await self._stream("/api/generate", encode_json(request), model, usage, translator.translate)

    async def embeddings(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        """OpenAI ``/v1/embeddings`` body → OpenAI embeddings answer, through ``/api/embed``."""
        request = tr.embed_request(body, model)
        native = await self._json("POST", "/api/embed", request, model)
        return tr.embeddings_response(native, model)

    async def models(self) -> list[str]:
        """Installed model tags from ``/api/tags``."""
        native = await self._json("GET", "/api/tags", None, None)
        return [str(m.get("name") or m.get("model")) for m in native.get("models") or []
                if isinstance(m, dict) and (m.get("name") or m.get("model"))]

    async def aclose(self) -> None:
        lean, self._lean = self._lean, None
        if lean is not None:
            try:
                if asyncio.get_running_loop() is lean.loop:
                    await lean.aclose()
            except RuntimeError:  # no running loop: nothing left to close cleanly
                pass
        await self._pool.aclose()

    # ------------------------------------------------------------------ Ollama-native surface

    async def passthrough(self, method: str, path: str, body: bytes | None,
                          headers: dict[str, str] | None = None) -> PassthroughResponse:
        """Relay one Ollama-native request unchanged; the caller streams ``body()`` and records it.

        Waits at most the time-to-first-token limit for the response headers (Ollama sends
        them with the first chunk); a ``"stream": false`` request sends them only with the
        whole answer, so it gets ``NON_STREAMED_LIMIT_S`` instead. Connection failures raise
        UpstreamUnreachable; an HTTP error status is *not* an exception here: it is relayed
        as Ollama sent it.
        """
        forward = {k: v for k, v in (headers or {}).items() if k.lower() in _FORWARD_REQUEST_HEADERS}
        session = self._pool.session()
        wait = self.timeouts.first_token
        if body and _NOT_STREAMED.search(body):
            wait = max(wait, NON_STREAMED_LIMIT_S)
        try:
            async with asyncio.timeout(wait):
                response = await session.request(method, self.base_url + path, data=body, headers=forward)
        except Exception as exc:
            raise self._map_error(exc, False) from None
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in _DROP_RESPONSE_HEADERS}
        return PassthroughResponse(response.status, out_headers, response, self.timeouts.idle)

    # ------------------------------------------------------------------ internals

    def _lean_pool(self) -> LeanPool | None:
        """The lean client's pool for the running loop, or None when aiohttp serves this URL."""
        if not self._lean_ok:
            return None
        lean = self._lean
        if lean is None or lean.loop is not asyncio.get_running_loop():
            lean = self._lean = LeanPool(self.base_url, connect_timeout=self.timeouts.connect,
                                         headers=self._headers)
        return lean

    async def _post(self, method: str, path: str, payload: bytes | None) -> HTTPResponse:
        lean = self._lean_pool()
        if lean is not None:
            return await lean.request(method, path, payload)
        return await self._pool.session().request(method, self.base_url + path, data=payload,
                                                  headers={"Content-Type": "application/json"})

    async def _stream(self, path: str, payload: bytes, model: str, usage: Usage,
                      translate: Callable[[dict[str, Any]], list[dict[str, Any]]]) -> ChatStream:
        try:
            # One deadline for the response headers and the first content together (the
            # time-to-first-token limit): one timer per request instead of two.
            async with asyncio.timeout(self.timeouts.first_token):
                try:
                    response = await self._post("POST", path, payload)
                    if response.status != 200:
                        try:
                            raise await self._status_error(response, model)
                        finally:
                            response.release()
                except Exception as exc:
                    raise self._map_error(exc, False) from None
                stream = self._chat_stream(response, model, usage, translate)
                await stream.prefetch(None)
        except TimeoutError as exc:  # the deadline passed (everything else is mapped already)
            raise self._map_error(exc, False) from None
        return stream

    def _chat_stream(self, response: HTTPResponse, model: str, usage: Usage,
                     translate: Callable[[dict[str, Any]], list[dict[str, Any]]]) -> UpstreamChatStream:
        reader = LineReader(response)

        async def chunks() -> AsyncGenerator[dict[str, Any], None]:
            # iter_ndjson() inlined: one generator step per chunk, not two, on the hot path.
            loads = orjson.loads
            try:
                while (lines := await reader.next_lines()) is not None:
                    for line in lines:
                        native = loads(line)
                        if isinstance(native, dict):
                            for chunk in translate(native):
                                yield chunk
            except UpstreamError as exc:
                raise self._retag(exc) from None
            finally:
                response.release()

        def started() -> None:
            reader.idle = self.timeouts.idle

        return UpstreamChatStream(chunks(), model=model, usage=usage, cancel=response.close,
                                  map_error=self._map_error, on_started=started)

    async def _json(self, method: str, path: str, request: dict[str, Any] | None,
                    model: str | None) -> dict[str, Any]:
        data = json.dumps(request).encode() if request is not None else None
        try:
            async with asyncio.timeout(self.timeouts.first_token):
                response = await self._post(method, path, data)
                try:
                    if response.status != 200:
                        raise await self._status_error(response, model)
                    native = await response.json(content_type=None)
                finally:
                    response.release()
        except UpstreamError:
            raise
        except Exception as exc:
            raise self._map_error(exc, False) from None
        if not isinstance(native, dict):
            raise UpstreamError("Ollama sent an answer that is not a JSON object.",
                                cause=self.cause_prefix + "bad_response")
        return native

    def _where(self) -> str:
        return "Ollama" if self.route == "local" else "Ollama Cloud"

    async def _status_error(self, response: HTTPResponse, model: str | None) -> UpstreamError:
        """A non-200 answer → the proxy's error for it (Ollama's ``{"error": "..."}`` text kept)."""
        try:
            raw = await response.read()
            parsed = json.loads(raw) if raw else {}
            text = str(parsed.get("error") if isinstance(parsed, dict) else parsed) if parsed else ""
        except (ValueError, aiohttp.ClientError, OSError):
            text = ""
        status = response.status
        p = self.cause_prefix
        where = self._where()
        if status == 404:
            what = f"The model '{model}'" if model else "The requested model"
            hint = f"; run `ollama pull {model}`" if model and self.route == "local" else ""
            return UpstreamError(f"{what} is not available in {where}{hint}.", cause=p + "model_missing")
        if status in (401, 403):
            return UpstreamAuthError(self._auth_message(), cause=p + "auth", status=502)
        if status == 429:
            return UpstreamRateLimited(f"{where} is rate limiting requests ({text or 'HTTP 429'}).",
                                       cause=p + "rate_limited")
        if status >= 500 and is_oom_text(text):
            return UpstreamError(f"{where} ran out of memory loading or running the model: {text}",
                                 cause=p + "oom")
        if status >= 500:
            return UpstreamError(f"{where} failed (HTTP {status}): {text or 'no details'}", cause=p + "5xx")
        if "does not support" in text:
            return UpstreamError(f"{where} cannot serve this request: {text}", cause=p + "unsupported",
                                 status=400)
        return UpstreamError(f"{where} rejected the request (HTTP {status}): {text or 'no details'}",
                             cause=p + "bad_request", status=400 if status < 500 else None)

    def _auth_message(self) -> str:
        return "Ollama rejected the request as unauthorized."

    def _map_error(self, exc: BaseException, started: bool) -> UpstreamError:
        p = self.cause_prefix
        where = self._where()
        if isinstance(exc, UpstreamError):
            return self._retag(exc)
        if isinstance(exc, aiohttp.ConnectionTimeoutError | ConnectTimeout):
            return UpstreamTimeout(f"Connecting to {where} at {self.base_url} timed out.",
                                   cause=p + "connect_timeout")
        if isinstance(exc, TimeoutError):
            if started:
                return UpstreamTimeout(f"{where} stopped sending for {self.timeouts.idle:g} s mid-answer.",
                                       cause=p + "idle_timeout")
            return UpstreamTimeout(
                f"{where} sent no answer within {self.timeouts.first_token:g} s (the model may still be loading).",
                cause=p + "ttft_timeout")
        if isinstance(exc, aiohttp.ClientConnectorError | ConnectFailed):
            hint = " — start it from the tray or run `ollama serve`" if self.route == "local" else ""
            return UpstreamUnreachable(f"{where} isn't reachable at {self.base_url}{hint}.",
                                       cause=p + "unreachable")
        if isinstance(exc, aiohttp.ClientError | OSError):
            return UpstreamError(f"The connection to {where} broke ({type(exc).__name__}).",
                                 cause=p + "connection_lost")
        if isinstance(exc, ValueError):
            return UpstreamError(f"{where} sent a malformed stream.", cause=p + "bad_response")
        log.exception("unexpected backend failure")
        return UpstreamError(f"{where} failed unexpectedly ({type(exc).__name__}).", cause=p + "error")

    def _retag(self, exc: UpstreamError) -> UpstreamError:
        """Translators speak of "local_…"; a cloud subclass reports the same failure as "cloud_…"."""
        if self.cause_prefix != "local_" and exc.cause.startswith("local_"):
            exc.cause = self.cause_prefix + exc.cause[len("local_"):]
            exc.code = exc.cause
            exc.message = exc.message.replace("The local model", "The Ollama Cloud model")
            exc.args = (exc.message,)
        return exc


def is_oom_text(text: str) -> bool:
    return tr.is_oom(text)
