"""The proxy's ASGI application: routes, the security gate, and client-format errors.

``create_app(config)`` returns a Starlette app whose routes are the raw ASGI
endpoints of openai_routes.py and ollama_routes.py, wrapped in the SecurityGate
(token, Host, Origin, body size). Unknown paths get a 404 in the client's format.
``/hybrid/control`` (control_endpoint.py) is the live control of this running proxy, behind
the same gate; while the proxy is paused every other endpoint but /health answers 503.
There is deliberately no CORS middleware: a browser page must not be able to use
the proxy.

The app owns its backends' connection pools (closed at lifespan shutdown) and, if
none is passed in, a ledger at ``config.ledger_path`` (closed there too, so a
clean shutdown loses no row).

Never logs prompt text, keys or the access token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hybridcoder.ledger.store import UsageLedger
from hybridcoder.proxy.asgi import Receive, Scope, Send, send_error
from hybridcoder.proxy.config import ProxyConfig
from hybridcoder.proxy.control_api import PAUSED_MESSAGE
from hybridcoder.proxy.control_endpoint import ControlEndpoint
from hybridcoder.proxy.errors import ModelNotFound, ProxyError, ProxyPaused
from hybridcoder.proxy.ollama_routes import OLLAMA_PATHS, OllamaPassthrough
from hybridcoder.proxy.openai_routes import (
    ChatCompletions,
    Completions,
    Embeddings,
    Endpoint,
    Health,
    Models,
    RoutePreview,
)
from hybridcoder.proxy.security import SecurityGate
from hybridcoder.proxy.state import ProxyState
from hybridcoder.routing.router import Router

log = logging.getLogger(__name__)


def create_app(config: ProxyConfig, *, ledger: UsageLedger | None = None,
               router: Router | None = None) -> Starlette:
    """The proxy app for ``config``; ``app.state.proxy`` is its :class:`ProxyState`."""
    owns_ledger = ledger is None and config.ledger_path is not None
    if owns_ledger:
        assert config.ledger_path is not None
        ledger = UsageLedger(config.ledger_path)
    state = ProxyState(config, router=router, ledger=ledger)
    endpoints = [ChatCompletions(state), Completions(state), Embeddings(state), Models(state),
                 Health(state), RoutePreview(state), ControlEndpoint(state)]
    endpoints += [OllamaPassthrough(state, path) for path in OLLAMA_PATHS]
    routes = [Route(endpoint.path, endpoint) for endpoint in endpoints]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()  # live control (control.py) schedules work on it
        try:
            yield
        finally:
            state.loop = None
            await state.aclose()
            if owns_ledger and ledger is not None:
                ledger.close()

    gate = SecurityGate(None, token=config.token, bind_host=config.host, max_body_bytes=config.max_body_bytes)
    app = ProxyApp(
        {endpoint.path: endpoint for endpoint in endpoints}, gate,
        routes=routes,
        middleware=[Middleware(SecurityGate, token=config.token, bind_host=config.host,  # type: ignore[arg-type]
                               max_body_bytes=config.max_body_bytes)],
        exception_handlers={404: _not_found, 405: _not_found, 500: _server_error},
        lifespan=lifespan,
    )
    app.state.proxy = state
    return app


class ProxyApp(Starlette):
    """Starlette, with a direct path for the proxy's own endpoints.

    Every request to a known endpoint is checked by the SecurityGate and handed to
    the endpoint straight away, skipping Starlette's router and its two exception
    middlewares (each wraps ``send`` once more, on every chunk of a stream). The
    endpoints render their own errors and never raise. Everything else (unknown
    paths, lifespan) takes Starlette's usual path, behind the same gate.
    """

    def __init__(self, endpoints: dict[str, Endpoint], gate: SecurityGate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._endpoints = endpoints
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http":
            endpoint = self._endpoints.get(scope["path"])
            if endpoint is not None:
                error = self._gate.check(scope)
                if error is None and endpoint.state.paused and endpoint.pausable:
                    error = _PAUSED
                if error is not None:
                    await send_error(send, error, ollama=endpoint.ollama_format)
                    return
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)  # type: ignore[arg-type]


_PAUSED = ProxyPaused(PAUSED_MESSAGE, code="paused")


def _error_response(request: Request, error: ProxyError) -> Response:
    ollama = request.url.path.startswith("/api/")
    return JSONResponse(error.ollama_body() if ollama else error.openai_body(), status_code=error.status)


async def _not_found(request: Request, exc: Exception) -> Response:
    path = request.url.path[:200]
    detail = exc.status_code if isinstance(exc, HTTPException) else 404
    if detail == 405:
        error: ProxyError = ProxyError(f"{request.method} is not allowed on {path}.", code="method_not_allowed")
        error.status = 405
        return _error_response(request, error)
    return _error_response(request, ModelNotFound(
        f"There is no endpoint at {path}; the proxy serves /v1/chat/completions, /v1/completions, "
        "/v1/embeddings, /v1/models and the Ollama /api endpoints.", code="unknown_endpoint"))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s: %s", request.url.path, type(exc).__name__)
    return _error_response(request, ProxyError("The proxy hit an unexpected error; details are in its log file.",
                                               code="internal_error"))
