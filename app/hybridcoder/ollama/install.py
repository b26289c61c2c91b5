"""Install Ollama the official way for this OS, only with the user's consent.

Linux: the official ``install.sh`` (it installs the binary and a systemd service; it asks for
sudo itself). macOS: the ``Ollama-darwin.zip`` app unpacked into /Applications (or
~/Applications when that is not writable). Windows: ``OllamaSetup.exe /VERYSILENT /NORESTART
/SUPPRESSMSGBOXES`` (a per-user install, no admin rights). The download URLs and an optional
published SHA-256 come from settings, so mirrors and tests can point elsewhere.

Order: download (progress, cancellable) → verify the checksum when one is configured → ask for
consent → run. This module never runs anything the user did not agree to, never runs a file
whose checksum did not match, and leaves no partial download behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from hybridcoder.ollama import detect
from hybridcoder.ollama.errors import InstallFailed
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

WINDOWS_SILENT_FLAGS = ("/VERYSILENT", "/NORESTART", "/SUPPRESSMSGBOXES")


def os_family(platform: str | None = None) -> str:
    platform = platform or sys.platform
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "macos"
    return "linux"


@dataclass(frozen=True)
class InstallerPlan:
    """What will be downloaded and run; shown to the user when asking for consent."""

    os: str
    url: str
    filename: str
    #: Published SHA-256 to check the download against ("" = none configured).
    sha256: str

    def commands(self, installer: Path) -> list[list[str]]:
        if self.os == "windows":
            return [[str(installer), *WINDOWS_SILENT_FLAGS]]
        if self.os == "macos":
            target = Path("/Applications")
            if not os.access(target, os.W_OK):
                target = Path.home() / "Applications"
            return [["mkdir", "-p", str(target)], ["ditto", "-xk", str(installer), str(target)]]
        return [["sh", str(installer)]]

    def describe(self) -> str:
        what = {"windows": "run the Ollama setup program silently (per-user, no admin rights)",
                "macos": "unpack the Ollama app into Applications",
                "linux": "run Ollama's official install script (it asks for your password to install "
                         "system-wide)"}[self.os]
        return f"Download {self.url} and {what}."


def plan_install(settings: Settings | None = None, platform: str | None = None) -> InstallerPlan:
    settings = settings or Settings.load()
    family = os_family(platform)
    url = {"windows": settings.ollama.install_url_windows, "macos": settings.ollama.install_url_macos,
           "linux": settings.ollama.install_url_linux}[family]
    filename = url.rstrip("/").rsplit("/", 1)[-1] or {"windows": "OllamaSetup.exe", "macos": "Ollama-darwin.zip",
                                                      "linux": "install.sh"}[family]
    return InstallerPlan(os=family, url=url, filename=filename, sha256=settings.ollama.install_sha256.strip().lower())


@dataclass(frozen=True)
class DownloadProgress:
    completed: int
    total: int | None
    bytes_per_s: float

    @property
    def fraction(self) -> float | None:
        return self.completed / self.total if self.total else None


@dataclass(frozen=True)
class InstallResult:
    installed: bool
    ran: bool
    cancelled: bool
    binary: str | None
    message: str


def download(url: str, dest: Path, *, sha256: str = "", on_progress: Callable[[DownloadProgress], None] | None = None,
             cancel: threading.Event | None = None, timeout: float = 30.0) -> Path | None:
    """Download ``url`` to ``dest`` (via ``dest.part``); None when cancelled. Verifies ``sha256`` if given."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    started = time.monotonic()
    completed = 0
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise InstallFailed(f"Could not download the Ollama installer: {url} answered HTTP "
                                    f"{response.status_code} — check the install URL in settings or try later.")
            total = int(response.headers.get("content-length") or 0) or None
            with open(partial, "wb") as handle:
                for block in response.iter_bytes(1 << 16):
                    if cancel is not None and cancel.is_set():
                        break
                    handle.write(block)
                    digest.update(block)
                    completed += len(block)
                    if on_progress is not None:
                        elapsed = time.monotonic() - started
                        on_progress(DownloadProgress(completed, total, completed / elapsed if elapsed else 0.0))
        if cancel is not None and cancel.is_set():
            partial.unlink(missing_ok=True)
            return None
        if sha256 and digest.hexdigest() != sha256.lower():
            partial.unlink(missing_ok=True)
            raise InstallFailed(
                "The downloaded Ollama installer did not match its published checksum, so it was not run — try "
                "again later or install Ollama from https://ollama.com/download.",
                details=f"expected {sha256}, got {digest.hexdigest()}")
        os.replace(partial, dest)
        return dest
    except httpx.HTTPError as exc:
        raise InstallFailed(f"Could not download the Ollama installer from {url} — check your internet "
                            "connection and try again.", details=repr(exc)) from None
    except OSError as exc:
        raise InstallFailed(f"Could not save the Ollama installer to {dest.parent} ({exc.strerror}).") from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


Consent = bool | Callable[[InstallerPlan, Path], bool]


def install_ollama(consent: Consent, *, settings: Settings | None = None, platform: str | None = None,
                   on_progress: Callable[[DownloadProgress], None] | None = None,
                   cancel: threading.Event | None = None, run_timeout_s: float = 900.0) -> InstallResult:
    """Download, verify and (only with consent) run the official installer; then check it worked.

    ``consent`` is True/False or a callback ``(plan, downloaded_file) -> bool`` asked after the
    download was verified and before anything runs.
    """
    existing = detect.find_binary(platform)
    if existing is not None:
        return InstallResult(True, ran=False, cancelled=False, binary=str(existing),
                             message=f"Ollama is already installed at {existing}.")
    plan = plan_install(settings, platform)
    folder = app_paths().cache_dir / "installers"
    installer = download(plan.url, folder / plan.filename, sha256=plan.sha256, on_progress=on_progress,
                         cancel=cancel)
    if installer is None:
        return InstallResult(False, ran=False, cancelled=True, binary=None, message="Installing Ollama was cancelled.")
    try:
        agreed = consent(plan, installer) if callable(consent) else bool(consent)
        if not agreed:
            return InstallResult(False, ran=False, cancelled=False, binary=None,
                                 message="Ollama was not installed because you did not agree to run the installer.")
        if plan.os != "windows":
            installer.chmod(0o755)
        _run_installer(plan, installer, run_timeout_s)
    finally:
        installer.unlink(missing_ok=True)
    binary = detect.find_binary(platform)
    if binary is None:
        raise InstallFailed("The Ollama installer finished but Ollama was not found afterwards — open a new "
                            "terminal (PATH may have changed) or install it from https://ollama.com/download.")
    return InstallResult(True, ran=True, cancelled=False, binary=str(binary), message=f"Ollama installed at {binary}.")


def _run_installer(plan: InstallerPlan, installer: Path, timeout_s: float) -> None:
    log_file = app_paths().log_dir / "ollama-install.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for command in plan.commands(installer):
        log.info("running Ollama installer step: %s", command)
        try:
            with open(log_file, "ab") as output:
                done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                      timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise InstallFailed(f"The Ollama installer did not finish within {timeout_s / 60:.0f} minutes — see "
                                f"{log_file}.") from None
        except OSError as exc:
            raise InstallFailed(f"Could not run the Ollama installer ({exc.strerror}).") from None
        if done.returncode != 0:
            tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            raise InstallFailed(f"The Ollama installer failed (exit code {done.returncode}) — see {log_file}.",
                                details="\n".join(tail))
