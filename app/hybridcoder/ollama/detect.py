"""Is Ollama installed, where, and is it answering?

Installed: ``ollama`` on PATH, then the per-OS default install locations (the Linux install
script's bin dirs, the macOS app bundle, the Windows per-user install). Running: ``GET
/api/version`` at the configured URL, honouring ``OLLAMA_HOST`` the way Ollama's own CLI does.

This module only looks: it never starts, installs or writes anything.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

DEFAULT_URL = "http://127.0.0.1:11434"
DEFAULT_PORT = 11434


def url_from_ollama_host(value: str) -> str:
    """Turn an ``OLLAMA_HOST`` value (host, host:port, :port or URL) into a client URL.

    A bind-all address (0.0.0.0, ::) is where the server listens, not where a client connects,
    so it maps to 127.0.0.1 as Ollama's client does.
    """
    value = value.strip().rstrip("/")
    if not value:
        return DEFAULT_URL
    scheme = "http"
    if "://" in value:
        scheme, value = value.split("://", 1)
    default_port = 443 if scheme == "https" else DEFAULT_PORT
    host, port = value, default_port
    if value.startswith("["):  # [::1]:11434
        closing = value.find("]")
        host = value[1:closing]
        rest = value[closing + 1:]
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        if port_text.isdigit():
            port = int(port_text)
    host = host.split("/", 1)[0]
    if host in ("", "0.0.0.0", "::", "*"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def resolve_url(explicit: str | None = None, configured: str | None = None) -> str:
    """Which Ollama to talk to.

    Order: an explicit URL (``--ollama-url``) → a URL the user changed in settings →
    ``OLLAMA_HOST`` (what the server itself listens on) → the default. A settings value equal
    to the default does not hide ``OLLAMA_HOST``, because the user never chose it.
    """
    if explicit:
        return _normalize_url(explicit)
    if configured and _normalize_url(configured) != DEFAULT_URL:
        return _normalize_url(configured)
    env = os.environ.get("OLLAMA_HOST", "")
    if env.strip():
        return url_from_ollama_host(env)
    return _normalize_url(configured or DEFAULT_URL)


def _normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        return url_from_ollama_host(url)
    return url


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def is_default_url(url: str) -> bool:
    """True for this machine's standard Ollama address (nobody chose another one)."""
    return _normalize_url(url) == DEFAULT_URL


def host_port(url: str) -> str:
    """The ``OLLAMA_HOST`` value that makes a server listen where ``url`` points."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port or (443 if parts.scheme == 'https' else DEFAULT_PORT)}"


# --------------------------------------------------------------------------- installed?


def default_binary_locations(platform: str | None = None) -> list[Path]:
    """Where the official installers put the ``ollama`` executable, per OS."""
    platform = platform or sys.platform
    home = Path(os.environ.get("HOME") or Path.home())
    if platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return [local / "Programs" / "Ollama" / "ollama.exe"]
    if platform == "darwin":
        return [Path("/Applications/Ollama.app/Contents/Resources/ollama"),
                home / "Applications" / "Ollama.app" / "Contents" / "Resources" / "ollama",
                Path("/usr/local/bin/ollama"), Path("/opt/homebrew/bin/ollama")]
    return [Path("/usr/local/bin/ollama"), Path("/usr/bin/ollama"), Path("/bin/ollama"),
            home / ".local" / "bin" / "ollama"]


def desktop_app_locations(platform: str | None = None) -> list[Path]:
    """The desktop app, which starts the server itself (macOS and Windows)."""
    platform = platform or sys.platform
    home = Path(os.environ.get("HOME") or Path.home())
    if platform == "darwin":
        return [Path("/Applications/Ollama.app"), home / "Applications" / "Ollama.app"]
    if platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return [local / "Programs" / "Ollama" / "ollama app.exe"]
    return []


def find_binary(platform: str | None = None) -> Path | None:
    """The ``ollama`` executable: PATH first, then the default install locations."""
    found = shutil.which("ollama")
    if found:
        return Path(found)
    for candidate in default_binary_locations(platform):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_desktop_app(platform: str | None = None) -> Path | None:
    for candidate in desktop_app_locations(platform):
        if candidate.exists():
            return candidate
    return None


# --------------------------------------------------------------------------- running?


@dataclass(frozen=True)
class ServerProbe:
    """What answered at a URL: Ollama (with its version), something else, or nothing."""

    url: str
    reachable: bool
    version: str | None = None
    #: Something answered but it is not Ollama (another program holds the port).
    foreign: bool = False
    error: str | None = None

    @property
    def is_ollama(self) -> bool:
        return self.reachable and not self.foreign


def probe(url: str, timeout: float = 2.0) -> ServerProbe:
    """``GET /api/version``; never raises."""
    try:
        response = httpx.get(url.rstrip("/") + "/api/version", timeout=timeout)
    except httpx.HTTPError as exc:
        return ServerProbe(url, reachable=False, error=f"{type(exc).__name__}: {exc}")
    try:
        version = response.json().get("version") if response.status_code == 200 else None
    except ValueError:
        version = None
    if not isinstance(version, str):
        return ServerProbe(url, reachable=True, foreign=True,
                           error=f"HTTP {response.status_code} without an Ollama version")
    return ServerProbe(url, reachable=True, version=version)
