"""The OpenAI-compatible surface: chat, completions (FIM), embeddings, models; plus /health and /hybrid/route.

Each endpoint is a raw ASGI callable (see asgi.py for why). A request is read under
the size limit, parsed, checked (400 naming the field), resolved to a model,
routed, answered through fallback.py and recorded: one ledger row per request,
whatever happened. Errors are OpenAI's ``{"error": {...}}``; nothing ever reaches a
client as a traceback or a 500 page.

Never logs prompt or answer text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import orjson

from hybridcoder import __version__
from hybridcoder.proxy.asgi import (
    JSON_TYPE,
    SSE_HEADERS,
    ClientGone,
    DisconnectWatch,
    Receive,
    Scope,
    Send,
    read_body,
    send_error,
    send_json,
    send_json_bytes,
)
from hybridcoder.proxy.backends.base import ChatStream, Usage
from hybridcoder.proxy.catalog import VIRTUAL_MODELS
from hybridcoder.proxy.eager import next_now
from hybridcoder.proxy.errors import BadRequest, ProxyError, UpstreamError
from hybridcoder.proxy.fallback import Opened, ReplayStream, merge_tool_call_delta, open_chat, plan_chat
from hybridcoder.proxy.health import LocalProbe, backends
from hybridcoder.proxy.offload import BODY_BYTES, run_heavy
from hybridcoder.proxy.recording import RequestTrace, client_from_request, estimate_tokens_of_chars
from hybridcoder.proxy.retry import conversation_fingerprint
from hybridcoder.proxy.state import ProxyState
from hybridcoder.proxy.validation import check_chat, check_completion, check_embeddings, parse_json
from hybridcoder.routing.override import strip_override
from hybridcoder.routing.sessions import ESCALATIONS, keep_on_cloud, task_key

log = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"


class MethodNotAllowed(ProxyError):
    status = 405
    error_type = "invalid_request_error"


class Endpoint:
    """Shared frame: method check, body reading, error rendering, recording."""

    path = ""
    methods: frozenset[str] = frozenset({"POST"})
    ollama_format = False
    #: False for the endpoints that keep answering while the proxy is paused (/health, control).
    pausable = True

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in self.methods:
            await send_error(send, MethodNotAllowed(
                f"{scope['method']} is not allowed on {self.path}; use {' or '.join(sorted(self.methods))}.",
                code="method_not_allowed"), ollama=self.ollama_format)
            return
        try:
            await self.handle(scope, receive, send)
        except Exception:  # handlers render their own errors; this is the last guard
            log.exception("unexpected error in %s", self.path)
            with contextlib.suppress(Exception):
                await send_error(send, ProxyError("The proxy hit an unexpected error; details are in its log file.",
                                                  code="internal_error"), ollama=self.ollama_format)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    def trace(self, scope: Scope) -> RequestTrace:
        return RequestTrace(self.path, "unknown", time.perf_counter())


def user_agent(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return value  # type: ignore[no-any-return]
    return None


class Exchange:
    """One request's progress: whether headers went out, and how to end it on any path."""

    __slots__ = ("body", "send", "started", "trace", "watch")

    def __init__(self, send: Send, trace: RequestTrace) -> None:
        self.send = send
        self.trace = trace
        self.started = False
        self.watch: DisconnectWatch | None = None
        self.body: dict[str, Any] | None = None

    async def fail(self, error: ProxyError, *, ollama: bool = False) -> None:
        trace = self.trace
        trace.status = error.status
        trace.error = error.code or type(error).__name__
        if not self.started:
            self.started = True
            await send_error(self.send, error, ollama=ollama)
        else:  # headers are out: say it inside the stream, as OpenAI does, then end it
            frame = b"data: " + orjson.dumps(error.openai_body()) + b"\n\n"
            await self.send({"type": "http.response.body", "body": frame, "more_body": False})


async def run_exchange(state: ProxyState, exchange: Exchange, work: Any, *, ollama: bool = False) -> None:
    """Run ``work()`` with the error handling and recording every endpoint needs."""
    trace = exchange.trace
    try:
        await work()
    except ProxyError as exc:
        await _safe_fail(exchange, exc, ollama)
    except ClientGone:
        trace.status, trace.error = 499, "client_disconnected"
    except asyncio.CancelledError:
        if exchange.watch is None or not exchange.watch.gone:
            raise
        trace.status, trace.error = 499, "client_disconnected"
    except OSError:  # writing to a client that went away
        trace.status, trace.error = 499, "client_disconnected"
    except Exception:
        log.exception("unexpected error in %s", trace.endpoint)
        await _safe_fail(exchange, ProxyError("The proxy hit an unexpected error; details are in its log file.",
                                              code="internal_error"), ollama)
    finally:
        if exchange.watch is not None:
            exchange.watch.stop()
        state.record(trace, exchange.body)


async def _safe_fail(exchange: Exchange, error: ProxyError, ollama: bool) -> None:
    try:
        await exchange.fail(error, ollama=ollama)
    except OSError:  # the client is gone; nothing left to tell it
        exchange.trace.status = 499


# --- chat --------------------------------------------------------------------------------------

class ChatCompletions(Endpoint):
    path = "/v1/chat/completions"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        trace = self.trace(scope)
        exchange = Exchange(send, trace)
        fingerprint: list[int | None] = [None]
        task: list[int | None] = [None]

        async def work() -> None:
            raw = await read_body(receive, state.config.max_body_bytes)
            BODY_BYTES.set(len(raw))  # big bodies are parsed, routed, redacted and encoded off the loop
            body = await run_heavy(_parse_chat, raw)
            exchange.body = body
            trace.client = client_from_request(user_agent(scope), body)
            trace.requested_model = body["model"]
            stream = trace.stream = body.get("stream") is True
            resolution = await state.catalog.resolve(body["model"])
            forward, override = strip_override(body)
            if state.next_to_cloud and override is None and resolution.want == "auto":
                state.next_to_cloud = False  # "send the next request to the cloud": one request, like @cloud
                override = "cloud"
            decision = await run_heavy(state.router.decide, forward, endpoint=self.path, context=state.context(),
                                       override=override)
            task[0] = task_key(forward)
            if (decision.route == "local" and decision.override is None and resolution.want == "auto"
                    and state.tasks.escalated(task[0]) and _cloud_allowed(state)):
                decision = keep_on_cloud(decision)
            trace.decision = decision
            fingerprint[0] = conversation_fingerprint(forward)
            plan = await plan_chat(state, resolution, decision, state.retries.previous_route(fingerprint[0], trace.client))
            exchange.watch = DisconnectWatch(receive)
            opened = await open_chat(state, plan, forward, trace, collect=not stream)
            _note_target(trace, opened)
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            if stream:
                await stream_sse(exchange, opened.stream, include_usage)
            else:
                await send_chat_completion(exchange, opened.stream)

        await run_exchange(state, exchange, work)
        if trace.status < 400:
            state.retries.remember(fingerprint[0], trace.route, trace.client)
            if trace.route == "local" and trace.fallback_cause is None:
                state.kept_local(trace.decision)
            elif trace.route == "cloud" and _task_escalated(trace, exchange.body):
                state.tasks.escalate(task[0])


def _cloud_allowed(state: Any) -> bool:
    context = state.context()
    return bool(context.cloud_available and context.mode == "auto" and not context.budget_exhausted)


def _task_escalated(trace: RequestTrace, body: dict[str, Any] | None) -> bool:
    """This turn moved its task to the cloud: a local failure or regenerate, or the router chose the
    cloud for a tool-using turn (the rest of the task should not switch models mid-way)."""
    if trace.fallback_cause in ESCALATIONS:
        return True
    decision = trace.decision
    return (decision is not None and decision.route == "cloud" and decision.override is None
            and body is not None and bool(body.get("tools")))


async def _read_json(receive: Receive, limit: int) -> dict[str, Any]:
    """The request's JSON body; a big one is parsed off the event loop (offload.py)."""
    raw = await read_body(receive, limit)
    BODY_BYTES.set(len(raw))
    return await run_heavy(parse_json, raw)


def _parse_chat(raw: bytes) -> dict[str, Any]:
    body = parse_json(raw)
    check_chat(body)
    return body


def _note_target(trace: RequestTrace, opened: Opened) -> None:
    trace.route = opened.target.route
    trace.provider = opened.target.provider
    trace.model = opened.target.model


def _route_headers(trace: RequestTrace) -> list[tuple[bytes, bytes]]:
    return [(b"x-hybridcoder-route", trace.route.encode()),
            (b"x-hybridcoder-model", trace.model.encode("ascii", "replace"))]


async def stream_sse(exchange: Exchange, stream: ChatStream, include_usage: bool) -> None:
    """Relay chunks as server-sent events; usage chunk when asked; errors in-stream once started.

    Chunks that are already there go out together in one write (eager.py); a chunk
    is never held back waiting for the next one.
    """
    send = exchange.send
    trace = exchange.trace
    dumps = orjson.dumps
    await send({"type": "http.response.start", "status": 200,
                "headers": [*SSE_HEADERS, *_route_headers(trace)]})
    exchange.started = True
    trace.first_byte()
    chars = 0
    parts: list[str] = []
    trace.answer = parts
    last: dict[str, Any] | None = None
    frames: list[bytes] = []
    try:
        while True:
            try:
                ready, item = next_now(stream)
                chunk = item if ready else None
                if chunk is None:
                    if frames:
                        await send({"type": "http.response.body", "body": b"".join(frames), "more_body": True})
                        frames.clear()
                    chunk = await item
            except StopAsyncIteration:
                break
            choices = chunk.get("choices")
            if choices:
                choice = choices[0]
                delta = choice.get("delta")
                if delta is not None:
                    content = delta.get("content")
                    if content:
                        chars += len(content)
                        parts.append(content)
                else:
                    text = choice.get("text")
                    if text:
                        chars += len(text)
                        parts.append(text)
            frames.append(b"data: " + dumps(chunk) + b"\n\n")
            last = chunk
    except UpstreamError as exc:
        trace.completion_chars = chars
        trace.usage = stream.usage
        if frames:
            await send({"type": "http.response.body", "body": b"".join(frames), "more_body": True})
        await exchange.fail(exc)
        return
    finally:
        await stream.aclose()
    trace.completion_chars = chars
    usage = finished_usage(stream.usage, trace, chars)
    if include_usage:
        usage_chunk: dict[str, Any] = {"id": last.get("id") if last else None,
                                       "object": last.get("object") if last else "chat.completion.chunk",
                                       "created": last.get("created") if last else int(time.time()),
                                       "model": stream.model, "choices": [], "usage": usage.openai()}
        frames.append(b"data: " + dumps(usage_chunk) + b"\n\n")
    frames.append(DONE)
    await send({"type": "http.response.body", "body": b"".join(frames), "more_body": False})


def finished_usage(usage: Usage, trace: RequestTrace, completion_chars: int) -> Usage:
    """The upstream's usage, or an estimate when it reported none (marked as such)."""
    trace.usage = usage
    if usage.prompt_tokens or usage.completion_tokens:
        return usage
    decision = trace.decision
    prompt = int(decision.features.get("prompt_tokens", 0)) if decision is not None else 0
    return Usage(prompt_tokens=prompt, completion_tokens=estimate_tokens_of_chars(completion_chars),
                 estimated=True)


async def send_chat_completion(exchange: Exchange, stream: ChatStream) -> None:
    """Assemble one ``chat.completion`` object from the (already collected) chunks."""
    trace = exchange.trace
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish_reason: str | None = None
    first: dict[str, Any] | None = None
    try:
        for chunk in await _all_chunks(stream):
            if first is None:
                first = chunk
            choices = chunk.get("choices")
            if not choices:
                continue
            choice = choices[0]
            delta = choice.get("delta") or {}
            if delta.get("content"):
                content.append(delta["content"])
            if delta.get("reasoning_content"):
                reasoning.append(delta["reasoning_content"])
            for call in delta.get("tool_calls") or ():
                merge_tool_call_delta(calls, call)
            if choice.get("finish_reason"):
                finish_reason = choice["finish_reason"]
    finally:
        await stream.aclose()
    text = "".join(content)
    trace.completion_chars = len(text)
    trace.answer = text
    usage = finished_usage(stream.usage, trace, len(text))
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    reply = {
        "id": (first or {}).get("id") or "chatcmpl-hybridcoder",
        "object": "chat.completion",
        "created": (first or {}).get("created") or int(time.time()),
        "model": stream.model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish_reason or ("tool_calls" if calls else "stop")}],
        "usage": usage.openai(),
    }
    exchange.started = True
    trace.first_byte()
    await send_json_bytes(exchange.send, 200, orjson.dumps(reply), [JSON_TYPE, *_route_headers(trace)])


async def _all_chunks(stream: ChatStream) -> list[dict[str, Any]]:
    """Every chunk of a finished answer (a collected ReplayStream hands its list over directly)."""
    if isinstance(stream, ReplayStream):
        return stream.take()
    return [chunk async for chunk in stream]


# --- FIM completions ---------------------------------------------------------------------------

class Completions(Endpoint):
    """Fill-in-the-middle autocomplete: always local (latency matters more than anything)."""

    path = "/v1/completions"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        trace = self.trace(scope)
        exchange = Exchange(send, trace)

        async def work() -> None:
            body = await _read_json(receive, state.config.max_body_bytes)
            check_completion(body)
            if isinstance(body["prompt"], list):
                body["prompt"] = body["prompt"][0]
            exchange.body = body
            trace.client = client_from_request(user_agent(scope), None)
            trace.requested_model = body["model"]
            stream_wanted = trace.stream = body.get("stream") is True
            trace.decision = state.router.decide(body, endpoint=self.path, context=state.context())
            model = await self._model(body["model"])
            backend = state.config.local
            trace.route, trace.first_choice, trace.provider, trace.model = "local", "local", backend.provider, model
            exchange.watch = DisconnectWatch(receive)
            stream = await backend.complete(body, model)
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            if stream_wanted:
                await stream_sse(exchange, stream, include_usage)
            else:
                await send_text_completion(exchange, stream)

        await run_exchange(state, exchange, work)

    async def _model(self, name: str) -> str:
        if name in VIRTUAL_MODELS:
            return await self.state.autocomplete_model()
        resolution = await self.state.catalog.resolve(name)
        if resolution.want != "local":
            return await self.state.autocomplete_model()  # FIM is always local
        return resolution.model


async def send_text_completion(exchange: Exchange, stream: ChatStream) -> None:
    trace = exchange.trace
    parts: list[str] = []
    finish_reason: str | None = None
    first: dict[str, Any] | None = None
    try:
        async for chunk in stream:
            first = first or chunk
            for choice in chunk.get("choices") or ():
                if choice.get("text"):
                    parts.append(choice["text"])
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
    finally:
        await stream.aclose()
    text = "".join(parts)
    trace.completion_chars = len(text)
    trace.answer = text
    usage = finished_usage(stream.usage, trace, len(text))
    reply = {
        "id": (first or {}).get("id") or "cmpl-hybridcoder",
        "object": "text_completion",
        "created": (first or {}).get("created") or int(time.time()),
        "model": stream.model,
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason or "stop"}],
        "usage": usage.openai(),
    }
    exchange.started = True
    trace.first_byte()
    await send_json_bytes(exchange.send, 200, orjson.dumps(reply), [JSON_TYPE, *_route_headers(trace)])


# --- embeddings --------------------------------------------------------------------------------

class Embeddings(Endpoint):
    path = "/v1/embeddings"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        trace = self.trace(scope)
        exchange = Exchange(send, trace)

        async def work() -> None:
            body = await _read_json(receive, state.config.max_body_bytes)
            check_embeddings(body)
            exchange.body = body
            trace.client = client_from_request(user_agent(scope), None)
            trace.requested_model = body["model"]
            trace.decision = state.router.decide(body, endpoint=self.path, context=state.context())
            backend = state.config.local
            embed = getattr(backend, "embeddings", None)
            if embed is None:
                raise BadRequest("The local backend does not serve embeddings.", code="unsupported")
            if body["model"] in VIRTUAL_MODELS:
                model = await state.embed_model()
            else:
                resolution = await state.catalog.resolve(body["model"])
                model = resolution.model if resolution.want == "local" else await state.embed_model()
            trace.route, trace.first_choice, trace.provider, trace.model = "local", "local", backend.provider, model
            reply = await embed(body, model)
            usage = reply.get("usage") if isinstance(reply, dict) else None
            if isinstance(usage, dict):
                trace.usage = Usage(prompt_tokens=int(usage.get("prompt_tokens") or 0))
            exchange.started = True
            trace.first_byte()
            await send_json(send, 200, reply)

        await run_exchange(state, exchange, work)


# --- models, health, route ---------------------------------------------------------------------

class Models(Endpoint):
    path = "/v1/models"
    methods = frozenset({"GET"})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        created = int(time.time())
        installed = await state.catalog.installed()
        data = [{"id": name, "object": "model", "created": created, "owned_by": "hybridcoder"}
                for name in VIRTUAL_MODELS]
        data += [{"id": name, "object": "model", "created": created, "owned_by": "local"}
                 for name in sorted(installed)]
        data += [{"id": model, "object": "model", "created": created, "owned_by": provider}
                 for model, provider in state.catalog.cloud_models().items() if model not in installed]
        await send_json(send, 200, {"object": "list", "data": data})


class Health(Endpoint):
    path = "/health"
    methods = frozenset({"GET", "HEAD"})
    pausable = False

    def __init__(self, state: ProxyState) -> None:
        super().__init__(state)
        self.probe = LocalProbe()  # the local server's state, probed at most every few seconds

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        config = state.config
        ledger = state.ledger
        await send_json(send, 200, {
            "status": "ok",
            "version": __version__,
            "mode": config.mode,
            "local": config.local.provider,
            "cloud": config.cloud.provider if config.cloud is not None else None,
            "budget_exhausted": state.budget_exhausted(),
            "ledger_warning": ledger.warning if ledger is not None else None,
            "backends": await backends(state, self.probe),
        })


class RoutePreview(Endpoint):
    """``POST /hybrid/route``: the decision for a body, without forwarding or recording it."""

    path = "/hybrid/route"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        try:
            body = await _read_json(receive, state.config.max_body_bytes)
            endpoint = _query_value(scope, b"endpoint") or "/v1/chat/completions"
            if endpoint == "/v1/chat/completions":
                check_chat(body)
            forward, override = strip_override(body)
            decision = state.router.decide(forward, endpoint=endpoint, context=state.context(),
                                           override=override)
            reply: dict[str, Any] = {"decision": decision.as_json()}
            if endpoint == "/v1/chat/completions":
                resolution = await state.catalog.resolve(body["model"])
                plan = await plan_chat(state, resolution, decision, None)
                reply["target"] = {"route": plan.first.route, "provider": plan.first.provider,
                                   "model": plan.first.model}
                reply["fallback"] = ({"route": plan.fallback.route, "provider": plan.fallback.provider,
                                      "model": plan.fallback.model} if plan.fallback else None)
            await send_json(send, 200, reply)
        except ProxyError as exc:
            await send_error(send, exc)
        except ClientGone:
            return
        except Exception:
            log.exception("unexpected error in %s", self.path)
            await send_error(send, ProxyError("The proxy hit an unexpected error; details are in its log file.",
                                              code="internal_error"))


def _query_value(scope: Scope, key: bytes) -> str | None:
    query: bytes = scope.get("query_string", b"")
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == key:
            from urllib.parse import unquote

            return unquote(value.decode("latin-1"))
    return None
