"""Slow and idle client connections are bounded: silence, header trickles and descriptor exhaustion."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, TOKEN, StartProxy


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float | None:
    """Seconds until the proxy closed ``sock`` (sending ``trickle`` a byte every 0.1 s meanwhile), or None."""
    started = time.monotonic()
    sock.settimeout(0.1)
    sent = 0
    while time.monotonic() - started < seconds:
        if sent < len(trickle):
            try:
                sock.send(trickle[sent:sent + 1])
            except OSError:
                return time.monotonic() - started
            sent += 1
        try:
            if sock.recv(1024) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


@pytest.mark.parametrize("http_kind", ["httptools", "h11"])
def test_silent_and_trickling_connections_are_closed(http_kind: str, ollama_emulator: OllamaEmulator,
                                                     start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hybridcoder.proxy.server.http_kind", lambda: http_kind)
    proxy = start_proxy(ollama_emulator, **{"proxy.header_timeout_s": 0.5})
    port = proxy.server.port
    trickle = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", port)) as silent, \
            socket.create_connection(("127.0.0.1", port)) as slowloris:
        silent_closed = _closed_within(silent, 5)
        trickle_closed = _closed_within(slowloris, 5, trickle)
    assert silent_closed is not None and silent_closed < 3
    assert trickle_closed is not None and trickle_closed < 3  # still trickling when it was cut off
    with proxy.http() as http:  # real requests are untouched
        assert http.post("/v1/chat/completions", json={"model": "hybrid-local", "messages": CHAT}).status_code == 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _limit_descriptors() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


def test_1100_idle_connections_under_ulimit_1024_leave_room_for_real_requests(
        ollama_emulator: OllamaEmulator, tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 4096:
        pytest.skip("this test opens 1,100 connections and needs a descriptor limit of 4,096")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), hard))  # this side holds 1,100 sockets
    env = {**os.environ, "HYBRIDCODER_TOKEN": TOKEN, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hybridcoder", "serve", "--port", str(port), "--ollama-url", ollama_emulator.url,
         "--mode", "local"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
        preexec_fn=_limit_descriptors)
    idle: list[socket.socket] = []
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(3000):
            try:
                httpx.get(url + "/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None
                time.sleep(0.01)
        for _ in range(1100):
            idle.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.5)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=20) as http:
            replies = [http.post("/v1/chat/completions", json={"model": "hybrid-local", "messages": CHAT})
                       for _ in range(20)]
        assert [r.status_code for r in replies] == [200] * 20, replies[0].text
    finally:
        for sock in idle:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        process.terminate()
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_a_body_that_never_finishes_is_cut_off(ollama_emulator: OllamaEmulator, start_proxy: StartProxy,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hybridcoder.proxy.connections.BODY_TIMEOUT_S", 0.5)
    proxy = start_proxy(ollama_emulator)
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\": ")
    with socket.create_connection(("127.0.0.1", proxy.server.port), timeout=5) as sock:
        sock.sendall(head)
        closed = _closed_within(sock, 5)
    assert closed is not None and closed < 3.5
    assert ollama_emulator.requests_to("/api/chat") == []
    (row,) = proxy.rows(1)
    assert row["status"] == 499 and row["error"] == "client_disconnected"
