"""The live-control API of a proxy running in another process (the CLI uses it).

:class:`RemoteControl` has the methods of :class:`~hybridcoder.proxy.control.ProxyControl`
and sends each over ``/hybrid/control`` with the access token; :func:`connect_running`
finds the proxy on the configured port (None when no Hybrid Coder answers there).
Errors are :class:`~hybridcoder.proxy.control_api.ControlError`, one sentence.

Never logs or shows the token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import orjson

from hybridcoder.proxy.control_api import (
    CONTROL_PATH,
    MODES,
    CloudComparison,
    ControlError,
    ControlStatus,
    InvalidControlValue,
    RecentRequest,
)
from hybridcoder.proxy.live import RECENT_LIMIT
from hybridcoder.settings import Settings

if TYPE_CHECKING:
    from hybridcoder.keys import KeyStore

__all__ = ["RemoteControl", "connect_running", "proxy_url", "running_proxy_version"]

class RemoteControl:
    """The ProxyControl API over ``/hybrid/control`` of a running proxy (the CLI uses it)."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def __repr__(self) -> str:  # never the token
        return f"RemoteControl({self.url!r})"

    # -- the same methods as ProxyControl -------------------------------------------------------
    def status(self) -> ControlStatus:
        return ControlStatus.from_json(self._call("GET", None)["status"])

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise InvalidControlValue(f"Unknown routing mode {mode!r}; use auto, local or cloud.")
        self._call("POST", {"action": "set_mode", "mode": mode})

    def send_next_to_cloud(self) -> None:
        self._call("POST", {"action": "send_next_to_cloud"})

    def pause(self) -> None:
        self._call("POST", {"action": "pause"})

    def resume(self) -> None:
        self._call("POST", {"action": "resume"})

    def reset_learning(self) -> None:
        self._call("POST", {"action": "reset_learning"})

    def set_models(self, *, chat: str | None = None, autocomplete: str | None = None) -> None:
        self._call("POST", {"action": "set_models", "chat": chat, "autocomplete": autocomplete})

    def set_threshold(self, value: float) -> None:
        self._call("POST", {"action": "set_threshold", "value": value})

    def set_budget(self, *, daily_usd: float | None = None, monthly_usd: float | None = None) -> None:
        self._call("POST", {"action": "set_budget", "daily_usd": daily_usd, "monthly_usd": monthly_usd})

    def recent_requests(self, limit: int = RECENT_LIMIT) -> list[RecentRequest]:
        reply = self._call("POST", {"action": "recent_requests", "limit": limit})
        return [RecentRequest.from_json(item) for item in reply.get("requests", [])]

    def ask_cloud_instead(self, request_id: str, timeout: float = 120.0) -> CloudComparison:
        reply = self._call("POST", {"action": "ask_cloud_instead", "request_id": request_id},
                           timeout=timeout + 5.0)
        return CloudComparison.from_json(reply["comparison"])

    # -- transport ------------------------------------------------------------------------------
    def _call(self, method: str, payload: dict[str, Any] | None, *, timeout: float | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        try:
            response = httpx.request(method, self.url + CONTROL_PATH, headers=headers,
                                     content=orjson.dumps(payload) if payload is not None else None,
                                     timeout=timeout or self.timeout)
        except httpx.TimeoutException:
            raise ControlError(f"The proxy at {self.url} did not answer in time; try again.") from None
        except httpx.HTTPError:
            raise ControlError(f"No Hybrid Coder proxy answers at {self.url}; start the app or "
                               "`hybridcoder serve`.") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 200 and isinstance(data, dict):
            return data
        message = _error_message(data)
        if response.status_code == 401:
            raise ControlError(f"The proxy at {self.url} refused the access token ({message.rstrip('.')}).")
        if response.status_code == 404:
            raise ControlError(f"The proxy at {self.url} has no live control (an older version?); restart it "
                               "with this version.")
        if response.status_code == 400:
            raise InvalidControlValue(message or "The proxy refused the change.")
        raise ControlError(message or f"The proxy at {self.url} answered with HTTP {response.status_code}.")


def _error_message(data: Any) -> str:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return ""


def proxy_url(settings: Settings) -> str:
    host = settings.proxy.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # a proxy on every interface still answers on loopback
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{settings.proxy.port}"


def running_proxy_version(url: str, timeout: float = 1.0) -> str | None:
    """The version a Hybrid Coder proxy at ``url`` reports on /health, or None when none answers there."""
    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
        data = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    if response.status_code != 200 or not isinstance(data, dict) or data.get("status") != "ok" \
            or "version" not in data:
        return None
    return str(data["version"])


def connect_running(settings: Settings | None = None, keys: KeyStore | None = None) -> RemoteControl | None:
    """A RemoteControl for the proxy on the configured port, or None when no Hybrid Coder proxy answers there."""
    settings = settings or Settings.load()
    url = proxy_url(settings)
    if running_proxy_version(url) is None:
        return None
    if keys is None:
        from hybridcoder.keys import KeyStore

        keys = KeyStore(allow_file_fallback=settings.keys.allow_file_fallback)
    token = keys.proxy_token(create=False) or ""
    return RemoteControl(url, token)
