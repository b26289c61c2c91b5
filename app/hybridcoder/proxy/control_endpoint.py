"""``/hybrid/control``: live control of this running proxy over HTTP, for the CLI.

``GET`` answers ``{"status": ControlStatus}`` (after a quick probe of the local
server); ``POST {"action": ..., ...}`` runs one ProxyControl method and answers the
status after it (plus ``requests`` or ``comparison`` for the two reading actions).
The security gate (token, Host, Origin) runs before this endpoint, as for every other
one; it keeps answering while the proxy is paused. A refused change is a 400 (a wrong
value) or a 409 (not possible now) in OpenAI's error format, one sentence.

Changes made here are live only: the CLI writes the settings file itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hybridcoder.proxy.asgi import ClientGone, Receive, Scope, Send, read_body, send_error, send_json
from hybridcoder.proxy.control import ProxyControl, probe_local
from hybridcoder.proxy.control_api import CONTROL_PATH, ControlError, InvalidControlValue
from hybridcoder.proxy.errors import BadRequest, ProxyError
from hybridcoder.proxy.live import RECENT_LIMIT
from hybridcoder.proxy.openai_routes import Endpoint
from hybridcoder.proxy.validation import parse_json

__all__ = ["ACTIONS", "ControlEndpoint"]

ACTIONS = ("set_mode", "send_next_to_cloud", "pause", "resume", "reset_learning", "set_models", "set_threshold",
           "set_budget", "recent_requests", "ask_cloud_instead")

class ControlEndpoint(Endpoint):
    """``GET /hybrid/control``: status; ``POST`` ``{"action": ..., ...}``: a change (token required)."""

    path = CONTROL_PATH
    methods = frozenset({"GET", "POST"})
    pausable = False

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        primary = state.control if isinstance(state.control, ProxyControl) else None
        control = ProxyControl(state, url=primary.url if primary else "", port=primary.port if primary else 0)
        if primary is None:
            host = state.config.host
            control.port = _server_port(scope)
            control.url = f"http://{f'[{host}]' if ':' in host else host}:{control.port}"
        try:
            if scope["method"] == "GET":
                with contextlib.suppress(Exception):
                    await probe_local(state)
                await send_json(send, 200, {"status": control.status().to_json()})
                return
            body = parse_json(await read_body(receive, 64 * 1024))
            reply = await _act(control, body)
            reply.setdefault("status", control.status().to_json())
            await send_json(send, 200, reply)
        except ControlError as exc:
            error = BadRequest(exc.message, code="control_refused")
            if not isinstance(exc, InvalidControlValue):
                error.status = 409
            await send_error(send, error)
        except ProxyError as exc:
            await send_error(send, exc)
        except ClientGone:
            return


def _server_port(scope: Scope) -> int:
    server = scope.get("server")
    return int(server[1]) if server and len(server) > 1 and server[1] else 0


def _number(body: dict[str, Any], name: str, *, optional: bool = False) -> float | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidControlValue(f"'{name}' must be a number.")
    return float(value)


def _text(body: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidControlValue(f"'{name}' must be a string.")
    return value


async def _act(control: ProxyControl, body: dict[str, Any]) -> dict[str, Any]:
    """Run one POSTed action; the reply carries the status after it (and what the action returns)."""
    action = body.get("action")
    if action == "set_mode":
        control.set_mode(_text(body, "mode") or "")
    elif action == "send_next_to_cloud":
        control.send_next_to_cloud()
    elif action == "pause":
        control.pause()
    elif action == "resume":
        control.resume()
    elif action == "reset_learning":
        await asyncio.get_running_loop().run_in_executor(None, control.reset_learning)  # writes a file
    elif action == "set_models":
        control.set_models(chat=_text(body, "chat", optional=True),
                           autocomplete=_text(body, "autocomplete", optional=True))
    elif action == "set_threshold":
        control.set_threshold(_number(body, "value") or 0.0)
    elif action == "set_budget":
        control.set_budget(daily_usd=_number(body, "daily_usd", optional=True),
                           monthly_usd=_number(body, "monthly_usd", optional=True))
    elif action == "recent_requests":
        limit = body.get("limit", RECENT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InvalidControlValue("'limit' must be a whole number.")
        return {"requests": [r.to_json() for r in control.recent_requests(limit)]}
    elif action == "ask_cloud_instead":
        comparison = await control.ask_cloud_instead_async(_text(body, "request_id") or "")
        return {"comparison": comparison.to_json()}
    else:
        raise InvalidControlValue(f"Unknown control action {str(action)[:40]!r}; use one of {', '.join(ACTIONS)}.")
    return {}
