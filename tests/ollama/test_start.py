"""start(): launch `ollama serve` when installed but not running, wait for it, explain failures.

A fake ``ollama`` on PATH stands in for the binary: its ``serve`` runs the emulator on the
port from OLLAMA_HOST, exactly the contract the real binary has.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridcoder.ollama import OllamaManager, OllamaNotInstalled, OllamaNotRunning, detect
from tests.emulators.ollama import OllamaEmulator

REPO = Path(__file__).resolve().parents[2]

SERVE_EMULATOR = f"""#!{sys.executable}
import os, signal, sys, time
sys.path.insert(0, {str(REPO)!r})
if sys.argv[1:] != ["serve"]:
    print("ollama version is 0.32.15")
    sys.exit(0)
with open(os.environ["MARKER"], "a") as marker:
    marker.write("serve\\n")
time.sleep(0.3)  # a real server takes a moment to come up
from tests.emulators.ollama import OllamaEmulator
port = int(os.environ["OLLAMA_HOST"].rsplit(":", 1)[1])
OllamaEmulator(port=port).start()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
"""

HANGS = f"""#!{sys.executable}
import time
time.sleep(30)
"""

FAILS = """#!/bin/sh
echo "Error: listen tcp 127.0.0.1:11434: bind: address already in use" >&2
exit 1
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.setenv("MARKER", str(tmp_path / "marker"))
    monkeypatch.setattr(detect, "default_binary_locations", lambda platform=None: [])
    monkeypatch.setattr(detect, "desktop_app_locations", lambda platform=None: [])
    yield folder


def _install(folder: Path, script: str) -> None:
    binary = folder / "ollama"
    binary.write_text(script)
    binary.chmod(0o755)


def _stop(manager: OllamaManager) -> None:
    if manager.started_process is not None:
        manager.started_process.terminate()
        manager.started_process.wait(timeout=10)


def test_start_launches_serve_and_waits_until_it_answers(fake_bin: Path, tmp_path: Path) -> None:
    _install(fake_bin, SERVE_EMULATOR)
    manager = OllamaManager(f"http://127.0.0.1:{_free_port()}", timeout=5)
    assert not manager.status().running
    waited: list[float] = []
    try:
        status = manager.start(wait_s=20, on_progress=lambda elapsed, total: waited.append(elapsed))
        assert status.running and status.installed and status.version
        assert waited and waited == sorted(waited)
        assert manager.list_models()  # it is a working Ollama
        again = OllamaManager(manager.url).start(wait_s=5)  # already answering: no second server
        assert again.running
        assert (tmp_path / "marker").read_text().count("serve") == 1
    finally:
        _stop(manager)


def test_start_does_nothing_when_already_running(fake_bin: Path, tmp_path: Path,
                                                 ollama_emulator: OllamaEmulator) -> None:
    _install(fake_bin, SERVE_EMULATOR)
    manager = OllamaManager(ollama_emulator.url)
    assert manager.start(wait_s=5).running
    assert manager.started_process is None and not (tmp_path / "marker").exists()


def test_start_timeout_says_where_to_look(fake_bin: Path) -> None:
    _install(fake_bin, HANGS)
    manager = OllamaManager(f"http://127.0.0.1:{_free_port()}")
    try:
        with pytest.raises(OllamaNotRunning) as err:
            manager.start(wait_s=1)
        assert "did not answer" in str(err.value) and "within 1 s" in str(err.value)
        assert "ollama serve" in str(err.value)
    finally:
        _stop(manager)


def test_start_reports_a_server_that_exits(fake_bin: Path) -> None:
    _install(fake_bin, FAILS)
    manager = OllamaManager(f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(OllamaNotRunning) as err:
        manager.start(wait_s=10)
    assert "exited right after starting" in str(err.value)
    assert "address already in use" in (err.value.details or "")


def test_start_when_not_installed(fake_bin: Path) -> None:
    with pytest.raises(OllamaNotInstalled) as err:
        OllamaManager(f"http://127.0.0.1:{_free_port()}").start(wait_s=1)
    assert "not installed" in str(err.value)


def test_start_refuses_remote_addresses(fake_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(fake_bin, SERVE_EMULATOR)
    # Tests never leave 127.0.0.1: the remote server is simply "not answering".
    monkeypatch.setattr(detect, "probe", lambda url, timeout=2.0: detect.ServerProbe(url, reachable=False))
    with pytest.raises(OllamaNotRunning) as err:
        OllamaManager("http://192.0.2.1:11434", timeout=1).start(wait_s=1)
    assert "another machine" in str(err.value)
