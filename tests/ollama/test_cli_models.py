"""`hybridcoder models list|pull|rm|load|unload` against the emulator, as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hybridcoder.cli import main
from tests.emulators.ollama import OllamaEmulator

CHAT = "qwen2.5-coder:7b"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["models", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_models_and_what_is_loaded(ollama_emulator: OllamaEmulator,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "load", CHAT, "--num-ctx", "8192", "--ollama-url", ollama_emulator.url)
    assert code == 0 and "fully on the GPU" in out and "context 8192" in out
    code, out, _ = run(capsys, "list", "--ollama-url", ollama_emulator.url)
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith(CHAT))
    assert "4.7 GB" in line and "yes, on GPU" in line
    code, out, _ = run(capsys, "unload", CHAT, "--ollama-url", ollama_emulator.url)
    assert code == 0 and ollama_emulator.loaded == {}


def test_list_uses_ollama_host_when_no_flag(ollama_emulator: OllamaEmulator, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_emulator.host)
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0 and CHAT in out


def test_pull_shows_one_forward_only_bar(ollama_emulator: OllamaEmulator,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    ollama_emulator.pull_steps = 20
    code, _, err = run(capsys, "pull", "qwen2.5-coder:3b", "--ollama-url", ollama_emulator.url)
    assert code == 0
    percents = [float(p) for p in re.findall(r"qwen2\.5-coder:3b\s+([\d.]+)%", err)]
    assert len(percents) >= 5 and percents == sorted(percents) and percents[-1] == 100.0
    assert "Pulled qwen2.5-coder:3b" in err


def test_pull_says_when_it_resumes(ollama_emulator: OllamaEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    ollama_emulator.fail_next("network_lost", after_chunks=2)
    code, _, err = run(capsys, "pull", "qwen2.5-coder:3b", "--ollama-url", ollama_emulator.url)
    assert code == 1 and "connection was lost" in err
    code, _, err = run(capsys, "pull", "qwen2.5-coder:3b", "--ollama-url", ollama_emulator.url)
    assert code == 0 and "Resuming:" in err


@pytest.mark.parametrize(("args", "message"), [
    (["pull", "qwen2.5-coder:99b"], "no model called “qwen2.5-coder:99b”"),
    (["rm", "qwen2.5-coder:99b"], "is not installed"),
    (["load", "qwen2.5-coder:99b"], "is not installed"),
])
def test_failures_are_one_line_and_exit_1(ollama_emulator: OllamaEmulator, capsys: pytest.CaptureFixture[str],
                                          args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args, "--ollama-url", ollama_emulator.url)
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in err


def test_not_running_names_the_address(capsys: pytest.CaptureFixture[str], ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.stop()
    code, _, err = run(capsys, "list", "--ollama-url", ollama_emulator.url)
    assert code == 1 and f"isn't running at {ollama_emulator.url}" in err


def test_ctrl_c_cancels_the_pull_cleanly(ollama_emulator: OllamaEmulator, app_home: Path) -> None:
    ollama_emulator.pull_steps = 2000
    ollama_emulator.pull_tick_s = 0.01
    proc = subprocess.Popen([sys.executable, "-m", "hybridcoder", "models", "pull", "qwen2.5-coder:14b",
                             "--ollama-url", ollama_emulator.url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    assert proc.stderr is not None
    deadline = time.monotonic() + 20
    first = ""
    while "%" not in first and time.monotonic() < deadline:  # wait until the bar is showing
        first = proc.stderr.readline()
    assert "%" in first, first
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert rest.strip().splitlines()[-1] == "Cancelled."
    assert "Traceback" not in rest
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled == 1)  # Ollama stopped downloading
    assert "qwen2.5-coder:14b" not in ollama_emulator.models
    written = [p for p in app_home.rglob("*") if p.is_file()]
    assert all(p.parent.name == "logs" for p in written), written  # no state, settings or temp files


def test_bad_address_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "--ollama-url", "ftp://example")
    assert code == 1 and "not a valid Ollama address" in err


def test_a_stranger_on_the_port_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Stranger(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>not ollama</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stranger)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        code, _, err = run(capsys, "list", "--ollama-url", f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1 and "did not answer like Ollama" in err
