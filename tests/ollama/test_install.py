"""Installing Ollama: download with progress, checksum, consent, run, check — against a local server.

The "official installer" here is a stand-in shell script served from 127.0.0.1 that writes a fake
``ollama`` executable into a temp bin dir on PATH, so the whole path runs for real.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hybridcoder.ollama import InstallFailed, detect
from hybridcoder.ollama.install import DownloadProgress, InstallerPlan, install_ollama, plan_install
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings


class InstallerServer:
    """Serves one file at /install.sh (padded so the download takes several blocks)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if self.path != "/install.sh":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    monkeypatch.setattr(detect, "default_binary_locations", lambda platform=None: [])
    return folder


@pytest.fixture
def installer(bin_dir: Path) -> Iterator[InstallerServer]:
    script = (f"#!/bin/sh\nset -e\n# stand-in for https://ollama.com/install.sh\n"
              f"cat > '{bin_dir}/ollama' <<'EOS'\n#!/bin/sh\necho 'ollama version is 0.32.15'\nEOS\n"
              f"chmod +x '{bin_dir}/ollama'\necho '>>> Install complete.'\n")
    body = script.encode() + b"#" * 300_000 + b"\n"
    server = InstallerServer(body)
    yield server
    server.close()


def _settings(server: InstallerServer, sha256: str = "") -> Settings:
    settings = Settings()
    settings.ollama.install_url_linux = server.url + "/install.sh"
    settings.ollama.install_sha256 = sha256
    return settings


def test_install_with_matching_checksum_and_consent(installer: InstallerServer, bin_dir: Path) -> None:
    asked: list[InstallerPlan] = []
    progress: list[DownloadProgress] = []

    def consent(plan: InstallerPlan, downloaded: Path) -> bool:
        asked.append(plan)
        assert downloaded.read_bytes() == installer.body  # verified file, not yet run
        assert not (bin_dir / "ollama").exists()
        return True

    result = install_ollama(consent, settings=_settings(installer, hashlib.sha256(installer.body).hexdigest()),
                            platform="linux", on_progress=progress.append)
    assert result.installed and result.ran and result.binary == str(bin_dir / "ollama")
    assert asked and "install script" in asked[0].describe()
    assert progress[-1].completed == len(installer.body) and progress[-1].fraction == 1.0
    assert [p.completed for p in progress] == sorted(p.completed for p in progress)
    assert not list((app_paths().cache_dir / "installers").iterdir())  # the installer is not kept
    assert "Install complete" in (app_paths().log_dir / "ollama-install.log").read_text()


def test_checksum_mismatch_never_runs(installer: InstallerServer, bin_dir: Path) -> None:
    with pytest.raises(InstallFailed) as err:
        install_ollama(True, settings=_settings(installer, "0" * 64), platform="linux")
    assert "did not match its published checksum" in str(err.value)
    assert not (bin_dir / "ollama").exists()
    assert not list((app_paths().cache_dir / "installers").iterdir())


def test_declined_consent_runs_nothing(installer: InstallerServer, bin_dir: Path) -> None:
    result = install_ollama(lambda plan, path: False, settings=_settings(installer), platform="linux")
    assert not result.installed and not result.ran and "did not agree" in result.message
    assert not (bin_dir / "ollama").exists()


def test_cancelled_download_leaves_no_partial_file(installer: InstallerServer, bin_dir: Path) -> None:
    cancel = threading.Event()

    def on_progress(progress: DownloadProgress) -> None:
        cancel.set()

    result = install_ollama(True, settings=_settings(installer), platform="linux", on_progress=on_progress,
                            cancel=cancel)
    assert result.cancelled and not result.installed
    assert not list((app_paths().cache_dir / "installers").iterdir())
    assert not (bin_dir / "ollama").exists()


def test_already_installed_downloads_nothing(installer: InstallerServer, bin_dir: Path) -> None:
    (bin_dir / "ollama").write_text("#!/bin/sh\n")
    (bin_dir / "ollama").chmod(0o755)
    result = install_ollama(True, settings=_settings(installer), platform="linux")
    assert result.installed and not result.ran and installer.hits == 0


def test_download_errors_are_one_sentence(installer: InstallerServer, bin_dir: Path) -> None:
    settings = _settings(installer)
    settings.ollama.install_url_linux = installer.url + "/missing.sh"
    with pytest.raises(InstallFailed) as err:
        install_ollama(True, settings=settings, platform="linux")
    assert "HTTP 404" in str(err.value)


def test_failing_installer_is_reported(installer: InstallerServer, bin_dir: Path) -> None:
    installer.body = b"#!/bin/sh\necho 'This script requires superuser permissions.' >&2\nexit 1\n"
    with pytest.raises(InstallFailed) as err:
        install_ollama(True, settings=_settings(installer), platform="linux")
    assert "exit code 1" in str(err.value) and "superuser" in (err.value.details or "")


def test_plans_per_os_use_settings_urls_and_silent_flags() -> None:
    settings = Settings()
    windows = plan_install(settings, "win32")
    assert windows.url == settings.ollama.install_url_windows and windows.filename == "OllamaSetup.exe"
    assert windows.commands(Path("C:/t/OllamaSetup.exe"))[0][1:] == ["/VERYSILENT", "/NORESTART",
                                                                    "/SUPPRESSMSGBOXES"]
    mac = plan_install(settings, "darwin")
    assert mac.filename == "Ollama-darwin.zip" and mac.commands(Path("/t/o.zip"))[-1][:2] == ["ditto", "-xk"]
    assert plan_install(settings, "linux").commands(Path("/t/install.sh")) == [["sh", "/t/install.sh"]]
