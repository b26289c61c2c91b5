"""ProxyServer lifecycle and ``hybridcoder serve``: clean start and stop, clear errors, nothing lost."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from hybridcoder.proxy.server import ProxyServer, ProxyStartError
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, TOKEN, StartProxy, proxy_settings


def test_start_stop_restart_and_nothing_lost(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    body = {"model": "hybrid-auto", "messages": CHAT}
    with ThreadPoolExecutor(8) as pool, proxy.http() as http:
        statuses = list(pool.map(lambda _: http.post("/v1/chat/completions", json=body).status_code, range(40)))
    assert statuses == [200] * 40
    ledger_file = proxy.server.config.ledger_path
    proxy.server.stop()
    assert not proxy.server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(proxy.url + "/health")
    import sqlite3

    conn = sqlite3.connect(ledger_file)
    try:
        assert conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 40
    finally:
        conn.close()
    proxy.server.start()  # the same object starts again
    assert httpx.get(proxy.url + "/health").json()["status"] == "ok"
    proxy.server.stop()
    proxy.server.stop()  # twice is harmless


def test_port_in_use_is_a_clear_error(ollama_emulator: OllamaEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ProxyStartError, match=f"Port {port} .* already in use"):
            ProxyServer(proxy_settings(ollama_emulator, None, **{"proxy.port": port})).start()


def test_serve_command_runs_until_ctrl_c(ollama_emulator: OllamaEmulator, tmp_path: Path) -> None:
    env = {**os.environ, "HYBRIDCODER_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    process = subprocess.Popen(
        [sys.executable, "-m", "hybridcoder", "serve", "--port", "0", "--ollama-url", ollama_emulator.url,
         "--mode", "local"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(2)]
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner[0])
        assert match, banner
        url = match.group(1)
        for line in process.stdout:
            if "Ctrl-C" in line:
                break
            banner.append(line)
        assert any("Routing mode:       local" in line for line in banner)
        assert not any(TOKEN in line for line in banner)  # masked unless --show-token
        reply = httpx.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {TOKEN}"},
                           json={"model": "hybrid-auto", "messages": CHAT}, timeout=20)
        assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"].startswith("Echo:")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Proxy stopped." in out and "Traceback" not in err


def test_serve_rejects_a_bad_port() -> None:
    from hybridcoder.cli import main

    assert main(["serve", "--port", "70000"]) == 1
    assert main(["serve", "--mode", "sideways"]) == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_stops_cleanly_on_sigterm_right_after_start(ollama_emulator: OllamaEmulator, tmp_path: Path) -> None:
    """SIGTERM the moment /health first answers: `serve` flushes and exits 0, every time (6 of 6)."""
    env = {**os.environ, "HYBRIDCODER_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    outcomes = []
    attempts = 0
    while len(outcomes) < 6:
        attempts += 1
        assert attempts <= 12
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "hybridcoder", "serve", "--port", str(port), "--ollama-url",
             ollama_emulator.url, "--mode", "local"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
        try:
            for _ in range(3000):  # ≤ 30 s for the interpreter to start
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    break
                time.sleep(0.01)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if "already in use" in err:
            continue  # another program took the free port in between: not a try
        outcomes.append((process.returncode, "Proxy stopped." in out, "Traceback" in err))
    assert outcomes == [(0, True, False)] * 6, err
