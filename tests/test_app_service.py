"""ProxyService: the desktop app's in-process proxy starts, serves, applies settings live and stops cleanly."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hybridcoder.app_service import ProxyService, ProxyStartError, restart_needed
from hybridcoder.keys import KeyStore
from hybridcoder.settings import Settings
from hybridcoder.setup_flow import SetupState
from tests.emulators.ollama import OllamaEmulator
from tests.ports import port_is_free
from tests.proxy.conftest import CHAT, proxy_settings

BODY = {"model": "hybrid-auto", "messages": CHAT}


@pytest.fixture
def service(ollama_emulator: OllamaEmulator) -> ProxyService:
    settings = proxy_settings(ollama_emulator, None)
    settings.save()
    return ProxyService(settings)


def chat(service: ProxyService, body: dict[str, object] | None = None) -> httpx.Response:
    token = KeyStore().proxy_token(create=False)
    return httpx.post(service.url + "/v1/chat/completions", json=body or BODY,
                      headers={"Authorization": f"Bearer {token}"}, timeout=20)


def ledger_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    finally:
        conn.close()


def test_start_serve_stop_frees_the_port_and_flushes_the_ledger(service: ProxyService) -> None:
    events: list[str] = []
    service.add_listener(events.append)
    service.start()
    try:
        assert service.running and service.control is not None
        port = service.port
        assert port > 0 and service.url == f"http://127.0.0.1:{port}"
        assert all(chat(service).status_code == 200 for _ in range(12))
        assert service.control.status().running
    finally:
        service.stop()
    assert not service.running and service.control is None
    assert port_is_free(port)
    assert ledger_rows(service.ledger_path) == 12  # nothing waited in memory
    service.stop()  # twice is harmless
    assert events == ["started", "stopped"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_a_taken_port_is_one_clear_sentence(ollama_emulator: OllamaEmulator) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = ProxyService(proxy_settings(ollama_emulator, None, **{"proxy.port": port}))
        with pytest.raises(ProxyStartError, match=f"Port {port} .* already in use") as caught:
            service.start()
        assert "\n" not in str(caught.value)
        assert not service.running


def test_a_second_hybrid_coder_on_the_port_is_named(service: ProxyService, ollama_emulator: OllamaEmulator) -> None:
    service.start()
    try:
        second = ProxyService(proxy_settings(ollama_emulator, None, **{"proxy.port": service.port}))
        with pytest.raises(ProxyStartError, match="Another Hybrid Coder proxy already runs on"):
            second.start()
    finally:
        service.stop()


def test_apply_settings_is_live_for_routing_and_restarts_for_the_port(service: ProxyService,
                                                                      ollama_emulator: OllamaEmulator) -> None:
    service.start()
    try:
        first_port = service.port
        changed = proxy_settings(ollama_emulator, None, **{"models.chat": "qwen2.5-coder:1.5b-base",
                                                           "routing.mode": "local"})
        assert not restart_needed(service.settings, changed)
        control = service.control
        service.apply_settings(changed)
        assert service.control is control and service.port == first_port  # no restart
        assert chat(service).headers["x-hybridcoder-model"] == "qwen2.5-coder:1.5b-base"
        assert control is not None and control.status().mode == "local"

        moved = proxy_settings(ollama_emulator, None, **{"proxy.port": 0})
        moved.proxy.port = _free_port()
        assert restart_needed(service.settings, moved)
        service.apply_settings(moved)
        assert service.port == moved.proxy.port and service.control is not control
        assert chat(service).status_code == 200
        assert port_is_free(first_port)
    finally:
        service.stop()


def test_control_changes_are_live_and_persist_only_when_asked(service: ProxyService) -> None:
    service.start()
    try:
        control = service.control
        assert control is not None
        control.set_mode("local")  # the app's own settings keeper saves; the service's control does not
        assert control.wait_saved(5)
        assert Settings.load().routing.mode == "auto"
        assert service.settings.routing.mode == "local"  # but the service's copy is kept in step
        control.persist = True  # what an embedding without its own settings saver asks for
        control.set_mode("cloud")
        control.set_threshold(0.7)
        control.set_budget(daily_usd=2.5)
        assert control.wait_saved(5)
    finally:
        service.stop()
    saved = Settings.load()
    assert (saved.routing.mode, saved.routing.threshold, saved.budget.daily_usd) == ("cloud", 0.7, 2.5)
    assert saved.models.chat == "qwen2.5-coder:7b"  # the rest of the file is untouched


def test_setup_complete_needs_the_tools_step_and_a_token(service: ProxyService) -> None:
    assert not service.setup_complete()
    SetupState().record("tools", "done", detail={"configured": ["continue"]})
    assert not service.setup_complete()  # no access token yet
    KeyStore().proxy_token(create=True)
    assert service.setup_complete()


def test_a_proxy_that_dies_is_reported(service: ProxyService) -> None:
    events: list[str] = []
    service.add_listener(events.append)
    service.start()
    server = service._server
    assert server is not None and server._server is not None
    server._server.should_exit = True  # the server ends without the service asking
    deadline = time.monotonic() + 10
    while "error" not in events and time.monotonic() < deadline:
        time.sleep(0.05)
    assert events == ["started", "error"] and not service.running
    service.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_status_follows_the_local_server_without_any_request(service: ProxyService,
                                                             ollama_emulator: OllamaEmulator) -> None:
    service.probe_interval_s = 0.2
    service.start()
    try:
        control = service.control
        assert control is not None
        assert wait_for(lambda: control.status().local_state == "up")
        assert control.status().health == "ready"
        ollama_emulator.stop()  # Ollama quits: the tray turns red without waiting for a request
        assert wait_for(lambda: control.status().local_state == "down")
        status = control.status()
        assert status.health == "error" and f"not answering at {ollama_emulator.url}" in status.health_reason
        ollama_emulator.start()
        assert wait_for(lambda: control.status().health == "ready")
    finally:
        service.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
