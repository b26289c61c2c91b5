"""Finding Ollama: the address (OLLAMA_HOST, settings, flag), the binary, and whether it answers."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hybridcoder.ollama import detect
from tests.emulators.ollama import OllamaEmulator


@pytest.mark.parametrize(("value", "url"), [
    ("", "http://127.0.0.1:11434"),
    ("127.0.0.1", "http://127.0.0.1:11434"),
    ("0.0.0.0", "http://127.0.0.1:11434"),
    ("0.0.0.0:9999", "http://127.0.0.1:9999"),
    (":8080", "http://127.0.0.1:8080"),
    ("gpu-box:11500", "http://gpu-box:11500"),
    ("http://gpu-box", "http://gpu-box:11434"),
    ("https://ollama.example.com", "https://ollama.example.com:443"),
    ("[::1]:12000", "http://[::1]:12000"),
])
def test_ollama_host_values_become_client_urls(value: str, url: str) -> None:
    assert detect.url_from_ollama_host(value) == url


def test_url_order_flag_then_changed_setting_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:12345")
    assert detect.resolve_url(None, detect.DEFAULT_URL) == "http://127.0.0.1:12345"  # default setting: env wins
    assert detect.resolve_url(None, "http://127.0.0.1:22222") == "http://127.0.0.1:22222"
    assert detect.resolve_url("http://10.0.0.5:1/", "http://127.0.0.1:22222") == "http://10.0.0.5:1"
    monkeypatch.delenv("OLLAMA_HOST")
    assert detect.resolve_url(None, None) == detect.DEFAULT_URL


def _fake_binary(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "ollama"
    binary.write_text("#!/bin/sh\necho 'ollama version is 0.32.15'\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def test_binary_found_on_path_or_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(detect, "default_binary_locations", lambda platform=None: [tmp_path / "opt" / "ollama"])
    assert detect.find_binary() is None
    in_default = _fake_binary(tmp_path / "opt")
    assert detect.find_binary() == in_default
    on_path = _fake_binary(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert detect.find_binary() == on_path


def test_per_os_default_locations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    windows = detect.default_binary_locations("win32")
    assert windows == [tmp_path / "Local" / "Programs" / "Ollama" / "ollama.exe"]
    assert Path("/Applications/Ollama.app/Contents/Resources/ollama") in detect.default_binary_locations("darwin")
    assert Path("/usr/local/bin/ollama") in detect.default_binary_locations("linux")
    assert detect.desktop_app_locations("win32")[0].name == "ollama app.exe"


def test_probe_tells_ollama_from_nothing_and_from_a_stranger(ollama_emulator: OllamaEmulator) -> None:
    found = detect.probe(ollama_emulator.url)
    assert found.is_ollama and found.version == ollama_emulator.version

    class Stranger(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        other = detect.probe(f"http://127.0.0.1:{server.server_address[1]}")
        assert other.reachable and other.foreign and not other.is_ollama
    finally:
        server.shutdown()
        server.server_close()
    ollama_emulator.stop()
    gone = detect.probe(ollama_emulator.url)
    assert not gone.reachable and gone.error


@pytest.fixture
def no_ollama_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.setattr(detect, "default_binary_locations", lambda platform=None: [])
    monkeypatch.setattr(detect, "desktop_app_locations", lambda platform=None: [])
    yield


def test_nothing_installed_means_none(no_ollama_anywhere: None) -> None:
    assert detect.find_binary() is None and detect.find_desktop_app() is None
    assert os.environ["PATH"].endswith("empty-path")
