"""A damaged usage database never stops the proxy: requests are served and a fresh ledger is started."""

from __future__ import annotations

import sqlite3

import pytest

from hybridcoder.paths import app_paths
from hybridcoder.proxy.server import ProxyServer
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, TOKEN, RunningProxy, proxy_settings


def test_corrupt_ledger_is_replaced_and_requests_still_served(ollama_emulator: OllamaEmulator,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    ledger_file = app_paths().ledger_file
    ledger_file.parent.mkdir(parents=True, exist_ok=True)
    ledger_file.write_bytes(b"\x00garbage, not SQLite\xff" * 500)
    server = ProxyServer(proxy_settings(ollama_emulator, None)).start()
    try:
        proxy = RunningProxy(server, TOKEN)
        for _ in range(3):
            reply = proxy.openai().chat.completions.create(model="hybrid-local", messages=CHAT)  # type: ignore[arg-type]
            assert reply.choices[0].message.content
        rows = proxy.rows(3)
        assert server.ledger is not None and server.ledger.warning is not None
        assert "damaged" in server.ledger.warning
    finally:
        server.stop()
    assert [row["route"] for row in rows] == ["local", "local", "local"]
    (aside,) = ledger_file.parent.glob(ledger_file.name + ".corrupt-*")
    assert aside.read_bytes().startswith(b"\x00garbage")
    conn = sqlite3.connect(ledger_file)
    try:
        assert conn.execute("SELECT SUM(requests) FROM usage_daily").fetchone() == (3,)
    finally:
        conn.close()
