"""Who may use the proxy: the local access token, the Host and Origin checks, the body limit.

A web page open in the user's browser must not be able to reach the proxy, and
another local user's program must not spend the user's cloud key. So, before any
endpoint runs:

1. Exactly one ``Host`` header, naming this machine's loopback (``127.0.0.1``,
   ``localhost``, ``[::1]``, with an optional numeric port), unless the user deliberately
   bound the proxy to another interface. This stops
   DNS rebinding: a page at ``evil.example`` whose name re-resolves to 127.0.0.1
   still sends ``Host: evil.example``.
2. Any browser ``Origin`` (http, https, ``null``…) and any cross-site
   ``Sec-Fetch-Site`` is refused with 403. No CORS headers are ever sent, so a
   preflight fails too. Editor webviews (``vscode-webview://``) are not browsers
   on the web and are let through to the token check.
3. ``Authorization: Bearer <token>`` must carry the local access token (from the
   keyring, or ``HYBRIDCODER_TOKEN``). Only ``/health`` is open, so the tray and
   ``doctor`` can tell whether the proxy runs.
4. A declared ``Content-Length`` over the limit is refused with 413 before the body
   is read; a chunked body is cut off at the same limit while it is read (asgi.py).

The Ollama-native surface (/api/*) needs the token too. Every Ollama-native client
we configure can send it: Continue's ``provider: ollama`` sends ``apiKey`` as a
Bearer header (and supports ``requestOptions.headers``), Cline has ``ollamaApiKey`` /
provider ``apiKey``, the ``ollama`` Python client sends ``OLLAMA_API_KEY`` as Bearer,
and aider passes ``OLLAMA_API_KEY`` through LiteLLM. One rule for every path keeps the
security story simple: nothing but ``/health`` works without the token.

This module never logs the token or the Authorization header.
"""

from __future__ import annotations

import hmac
import ipaddress

from hybridcoder.proxy.asgi import Receive, Scope, Send, send_error
from hybridcoder.proxy.errors import Forbidden, PayloadTooLarge, ProxyError, Unauthorized

OPEN_PATHS = frozenset({"/health"})
LOOPBACK_NAMES = frozenset({b"127.0.0.1", b"localhost", b"[::1]", b"::1"})
#: Origins of editor webviews; everything else that sends an Origin is a browser page.
EDITOR_ORIGIN_PREFIXES = (b"vscode-webview://", b"vscode-file://")


def is_loopback_host(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_host_names(bind_host: str) -> frozenset[bytes] | None:
    """Host header names to accept; None means any (the user bound a non-loopback interface)."""
    if is_loopback_host(bind_host):
        return LOOPBACK_NAMES | {bind_host.lower().encode("ascii", "ignore")}
    return None


def _host_name(value: bytes) -> bytes | None:
    """``127.0.0.1:11480`` → ``127.0.0.1``; ``[::1]:80`` → ``[::1]``; None when it is not ``name[:port]``.

    The port must be digits: ``127.0.0.1:evil.com`` is not a loopback address with a
    port, it is something a rebinding page crafted, and gets no name at all.
    """
    value = value.strip().lower()
    if value.startswith(b"["):
        end = value.find(b"]")
        if end < 0:
            return None
        name, rest = value[: end + 1], value[end + 1:]
    else:
        name, colon, port = value.partition(b":")
        rest = colon + port
    if rest and not (rest.startswith(b":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    return name


class SecurityGate:
    """Pure ASGI middleware: checks every HTTP request before the app sees it (microseconds)."""

    def __init__(self, app: object, *, token: str, bind_host: str, max_body_bytes: int) -> None:
        self.app = app
        self._expected = b"bearer " + token.encode("utf-8")
        self._allowed_hosts = allowed_host_names(bind_host)
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        error = self.check(scope)
        if error is not None:
            await send_error(send, error, ollama=scope["path"].startswith("/api/"))
            return
        await self.app(scope, receive, send)  # type: ignore[operator]

    def check(self, scope: Scope) -> ProxyError | None:
        host = origin = auth = fetch_site = length = None
        hosts = 0
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
                hosts += 1
            elif name == b"authorization":
                auth = value
            elif name == b"origin":
                origin = value
            elif name == b"content-length":
                length = value
            elif name == b"sec-fetch-site":
                fetch_site = value
        # Exactly one Host naming loopback: two (a foreign one first) or none (HTTP/1.0)
        # would let a rebinding page through on a technicality.
        if self._allowed_hosts is not None and (
                hosts != 1 or host is None or _host_name(host) not in self._allowed_hosts):
            return Forbidden("This proxy only answers requests addressed to 127.0.0.1 or localhost "
                             "(exactly one Host header naming it).", code="foreign_host")
        if origin is not None and not origin.startswith(EDITOR_ORIGIN_PREFIXES):
            return Forbidden("Requests from web pages are not allowed; the proxy serves editor tools only.",
                             code="browser_origin")
        if fetch_site is not None and fetch_site not in (b"none", b"same-origin"):
            return Forbidden("Requests from web pages are not allowed; the proxy serves editor tools only.",
                             code="browser_origin")
        if length is not None:
            try:
                too_big = int(length) > self.max_body_bytes
            except ValueError:
                too_big = False  # the server rejects a malformed length itself
            if too_big:
                return PayloadTooLarge(
                    f"The request body is larger than the proxy's limit of "
                    f"{self.max_body_bytes // (1024 * 1024)} MiB (settings: proxy.max_body_bytes).",
                    code="body_too_large")
        if scope["path"] in OPEN_PATHS:
            return None
        if auth is None:
            return Unauthorized(
                "Missing access token: send 'Authorization: Bearer <token>' "
                "(`hybridcoder serve --show-token` prints it; HYBRIDCODER_TOKEN sets it).",
                code="missing_token")
        if not hmac.compare_digest(auth[:7].lower() + auth[7:], self._expected):
            return Unauthorized("Wrong access token for the Hybrid Coder proxy; `hybridcoder serve --show-token` prints the right one.",
                                code="invalid_token")
        return None
