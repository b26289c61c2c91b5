"""End to end: the daily cap switches a real proxy to local-only, and back when the day rolls over.

A real ProxyServer in front of the Ollama and Anthropic emulators asks a BudgetTracker (with an
injected clock) on every request; the tracker hears of each cloud request from the ledger.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from datetime import datetime, timedelta

import openai
import pytest

from hybridcoder.analytics import BudgetTracker
from hybridcoder.keys import KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.proxy.config import ProxyConfig
from hybridcoder.proxy.server import ProxyServer
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, TOKEN, proxy_settings


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _wait_for_rows(server: ProxyServer, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert server.ledger is not None and server.ledger.flush(10)
        conn = sqlite3.connect(app_paths().ledger_file)
        try:
            if conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] >= count:
                return
        finally:
            conn.close()
        time.sleep(0.01)
    raise AssertionError(f"the proxy did not record {count} requests")


def _run(ollama: OllamaEmulator, anthropic: AnthropicEmulator, monkeypatch: pytest.MonkeyPatch,
         on_exhausted: str) -> tuple[list[tuple[int, str, str | None]], list[dict[str, object]]]:
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    KeyStore().set("anthropic", DEFAULT_KEY)
    settings = proxy_settings(ollama, anthropic, **{"budget.daily_usd": 0.5, "budget.on_exhausted": on_exhausted})
    clock = Clock(datetime.now())
    tracker = BudgetTracker(app_paths().ledger_file, settings, now=clock)
    config = dataclasses.replace(ProxyConfig.from_settings(settings), budget_exhausted=tracker.exhausted)
    server = ProxyServer(config=config).start()
    outcomes: list[tuple[int, str, str | None]] = []
    states: list[dict[str, object]] = []
    try:
        assert server.ledger is not None
        tracker.attach(server.ledger)
        client = openai.OpenAI(base_url=server.url + "/v1", api_key=TOKEN, max_retries=0, timeout=20)
        for step in range(4):
            if step == 3:
                clock.now += timedelta(days=1)  # midnight passes
            # Each cloud answer reports 100,000 input + 10,000 output tokens on Sonnet 5.5 = $0.30.
            anthropic.script_reply("cloud answer", input_tokens=100_000, output_tokens=10_000)
            try:
                reply = client.chat.completions.create(model="hybrid-cloud", messages=CHAT)  # type: ignore[arg-type]
                outcomes.append((200, reply.choices[0].message.content or "", None))
            except openai.APIStatusError as exc:
                outcomes.append((exc.status_code, "", str(exc.body)))
                anthropic.replies.clear()
            # The proxy records a request just after its last byte; the next decision sees it.
            _wait_for_rows(server, step + 1)
            states.append(tracker.state().as_json())
        assert server.ledger.flush(10)
        client.close()
    finally:
        server.stop()
        tracker.close()
    return outcomes, states


def test_cap_switches_to_local_only_and_back_after_midnight(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes, states = _run(ollama_emulator, anthropic_emulator, monkeypatch, "local")
    texts = [text for _, text, _ in outcomes]
    assert texts[0] == texts[1] == "cloud answer"  # $0.30, then $0.60: the $0.50 cap is reached
    assert states[0]["warn"] is False and states[1]["exhausted"] is True
    assert texts[2] and texts[2] != "cloud answer"  # answered by the local model instead
    assert texts[3] == "cloud answer"  # a new day: the cloud is back
    assert states[3]["exhausted"] is False
    conn = sqlite3.connect(app_paths().ledger_file)
    rows = conn.execute("SELECT route, fallback_cause FROM requests ORDER BY ts").fetchall()
    conn.close()
    assert rows == [("cloud", None), ("cloud", None), ("local", "budget_exhausted"), ("cloud", None)]


def test_ask_mode_refuses_cloud_spending_with_402(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes, states = _run(ollama_emulator, anthropic_emulator, monkeypatch, "ask")
    assert [status for status, _, _ in outcomes] == [200, 200, 402, 200]
    assert "budget" in (outcomes[2][2] or "")
    assert states[2]["ask_first"] is True
