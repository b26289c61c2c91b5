"""The dashboard shows what the ledger holds: tiles equal compute_figures and hand counts, periods
switch, CSV export writes the rows shown, it refreshes by itself, and "Ask the cloud instead" puts
both answers side by side through a real proxy in front of the Ollama and Anthropic emulators."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from hybridcoder.analytics import compute_figures
from hybridcoder.cli import main
from hybridcoder.gui import dashboard as dashboard_module
from hybridcoder.gui.dashboard import EMPTY_TEXT, DashboardView
from hybridcoder.keys import KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.proxy.control import ProxyControl
from hybridcoder.proxy.server import ProxyServer
from hybridcoder.settings import Settings
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.ledger.helpers import rec, write
from tests.proxy.conftest import CHAT, TOKEN, proxy_settings

# Sonnet 5.5 list prices: $2 per million input tokens, $10 per million output tokens.
CLOUD = rec("cloud", kind="chat", prompt_tokens=4_000, completion_tokens=200, client="aider",
            ttft_ms=900.0, total_ms=3_000.0)  # 4,000×$2 + 200×$10 per M = $0.0100


def local(minutes_ago: float, total_ms: float, **fields: object) -> object:
    return rec("local", kind="chat", prompt_tokens=1_000, completion_tokens=100, client="continue",
               ttft_ms=total_ms / 4, total_ms=total_ms, ts=(datetime.now() - timedelta(minutes=minutes_ago)).timestamp(),
               **fields)


@pytest.fixture(autouse=True)
def _jobs_finish_before_teardown() -> Iterator[None]:
    yield
    QThreadPool.globalInstance().waitForDone(20000)


def shown(qtbot: QtBot, control: object = None) -> DashboardView:
    view = DashboardView(app_paths().ledger_file, control)  # type: ignore[arg-type]
    qtbot.addWidget(view)
    view.resize(1200, 860)
    with qtbot.waitSignal(view.refreshed, timeout=20000):
        view.show()
    return view


def refreshed(qtbot: QtBot, view: DashboardView, action: object) -> None:
    with qtbot.waitSignal(view.refreshed, timeout=20000):
        action()  # type: ignore[operator]


def tile(view: DashboardView, name: str) -> tuple[str, str]:
    return view.tiles[name].value.text(), view.tiles[name].detail.text()


def test_tiles_equal_compute_figures_and_hand_counts(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ledger = app_paths().ledger_file
    write(ledger, local(1, 500), local(2, 700), local(3, 900), CLOUD)
    threads: list[str] = []
    real = dashboard_module.compute_figures

    def spying(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dashboard_module, "compute_figures", spying)
    view = shown(qtbot)

    # By hand: 3 of 4 requests local; 3,300 of 7,500 tokens; spend $0.0100; saved 3,000×$2 + 300×$10 per M.
    assert tile(view, "local_requests") == ("75.0%", "3 of 4 requests")
    assert tile(view, "local_tokens") == ("44.0%", "3.3K of 7.5K tokens")
    assert tile(view, "spend") == ("$0.01", "1 priced cloud requests")
    assert tile(view, "saved")[0] == "$0.0090"
    # And exactly what `hybridcoder stats` computes for the same period.
    figures = compute_figures(ledger, Settings.load(), "7d")
    assert view.figures is not None
    shown_json, expected = view.figures.as_json(), figures.as_json()
    shown_json.pop("generated_at"), expected.pop("generated_at")
    assert shown_json == expected
    latency = {i.route: i for i in figures.latency if i.kind == "all"}
    assert latency["local"].total_p50_ms is not None and latency["cloud"].total_p50_ms is not None
    assert tile(view, "latency")[0] == (f"{latency['local'].total_p50_ms:.0f} ms · "
                                        f"{latency['cloud'].total_p50_ms / 1000:.1f} s")
    # The table lists the four rows with the cloud row priced.
    rows = view.recent.visible_rows()
    assert len(rows) == 4
    cloud_rows = [r for r in rows if r.route == "cloud"]
    assert len(cloud_rows) == 1 and cloud_rows[0].cost_usd == pytest.approx(0.01)
    assert view.recent.model.cell(cloud_rows[0], 8) == "$0.0100"
    # The ledger was read off the UI thread.
    assert threads and threading.main_thread().name not in threads
    # `hybridcoder stats` prints the same numbers.
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert f"{stats['shares']['requests']['local']:.1%}" == tile(view, "local_requests")[0]
    assert f"{stats['shares']['tokens']['local']:.1%}" == tile(view, "local_tokens")[0]
    assert f"${stats['spend']['usd']:,.2f}" == tile(view, "spend")[0]
    assert f"${stats['savings']['list_price_usd']:.4f}" == tile(view, "saved")[0]


def test_period_switch_changes_figures_and_charts(qtbot: QtBot) -> None:
    midnight = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    three_days_ago = (midnight - timedelta(days=3) + timedelta(hours=12)).timestamp()
    older = [rec("cloud", kind="agent", prompt_tokens=2_000, completion_tokens=100, ts=three_days_ago + i)
             for i in range(5)]
    write(app_paths().ledger_file, local(1, 400), local(2, 600), *older)
    view = shown(qtbot)
    assert tile(view, "local_requests") == ("28.6%", "2 of 7 requests")
    assert view.requests_chart.title == "Requests per day"
    assert len(view.requests_chart.categories) == 7
    stacks = dict(view.requests_chart.shown)
    assert sum(stacks["Local"]) == 2 and sum(stacks["Cloud"]) == 5
    assert stacks["Cloud"][3] == 5  # the bar for three days ago

    refreshed(qtbot, view, lambda: view.set_period("today"))
    assert tile(view, "local_requests") == ("100.0%", "2 of 2 requests")
    assert view.requests_chart.title == "Requests per hour"
    assert len(view.recent.visible_rows()) == 2

    refreshed(qtbot, view, lambda: view.set_period("30d"))
    assert tile(view, "local_requests") == ("28.6%", "2 of 7 requests")
    assert len(view.requests_chart.categories) == 30


def test_csv_export_writes_the_filtered_rows(qtbot: QtBot, tmp_path: Path) -> None:
    write(app_paths().ledger_file, local(1, 400), local(2, 600), CLOUD)
    view = shown(qtbot)
    view.recent.route_box.setCurrentIndex(view.recent.route_box.findData("local"))
    assert len(view.recent.visible_rows()) == 2
    target = tmp_path / "requests.csv"
    with qtbot.waitSignal(view.recent.exported, timeout=10000) as signal:
        view.recent.export_csv(target)
    assert signal.args == [str(target), 2]
    with target.open(encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["time", "client", "kind", "route", "model", "reason", "latency_ms", "tokens", "cost_usd", "id"]
    assert [line[3] for line in lines[1:]] == ["local", "local"]
    assert [line[6] for line in lines[1:]] == ["400", "600"]  # newest first
    assert {line[7] for line in lines[1:]} == {"1100"}
    assert {line[1] for line in lines[1:]} == {"continue"}

    view.recent.route_box.setCurrentIndex(0)
    view.recent.filter_edit.setText("aider")
    assert [r.client for r in view.recent.visible_rows()] == ["aider"]


def test_export_to_an_unwritable_place_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    write(app_paths().ledger_file, local(1, 400))
    view = shown(qtbot)
    with qtbot.waitSignal(view.recent.export_failed, timeout=10000) as signal:
        view.recent.export_csv(tmp_path / "missing-folder" / "requests.csv")
    assert "choose another folder" in signal.args[0]


def test_empty_ledger_shows_an_empty_state(qtbot: QtBot) -> None:
    view = shown(qtbot)
    assert all(t.value.text() == "—" for t in view.tiles.values())
    assert EMPTY_TEXT in view.banner.text() and not view.banner.isHidden()
    assert view.requests_chart.shown == []
    assert view.recent.empty.isVisibleTo(view) and not view.recent.table.isVisibleTo(view)


def test_dashboard_refreshes_by_itself(qtbot: QtBot) -> None:
    ledger = app_paths().ledger_file
    write(ledger, local(1, 400))
    view = shown(qtbot)
    assert tile(view, "local_requests")[1] == "1 of 1 requests"
    view.timer.setInterval(100)
    write(ledger, CLOUD)
    qtbot.waitUntil(lambda: len(view.recent.visible_rows()) == 2, timeout=10000)
    assert tile(view, "local_requests")[1] == "1 of 2 requests"
    assert sum(dict(view.requests_chart.shown)["Cloud"]) == 1


def test_ask_the_cloud_instead_shows_both_answers(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                                                 ollama_emulator: OllamaEmulator,
                                                 anthropic_emulator: AnthropicEmulator) -> None:
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    KeyStore().set("anthropic", DEFAULT_KEY)
    server = ProxyServer(proxy_settings(ollama_emulator, anthropic_emulator)).start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=20) as client:
            reply = client.post("/v1/chat/completions", json={"model": "hybrid-auto", "messages": CHAT})
        assert reply.status_code == 200
        local_answer = reply.json()["choices"][0]["message"]["content"]
        assert local_answer.startswith("Echo:")
        assert server.state is not None
        control = ProxyControl(server.state, url=server.url, port=server.port)
        view = shown(qtbot)
        assert view.recent.ask_button.isEnabled() is False
        refreshed(qtbot, view, lambda: view.set_control(control))
        (row,) = view.recent.visible_rows()
        assert row.route == "local" and row.request_id in view.recent.model.askable
        assert view.recent.select_request(row.request_id)
        assert view.recent.ask_button.isEnabled()
        with qtbot.waitSignal(view.comparison_shown, timeout=30000) as signal:
            view.recent.ask_button.click()
        comparison = signal.args[0]
        (dialog,) = view.compare_dialogs
        assert dialog.isVisible()
        assert dialog.local_text.toPlainText() == local_answer
        assert dialog.cloud_text.toPlainText() == comparison.cloud_answer != ""
        assert comparison.cloud_model in dialog.cloud_label.text()
        assert "qwen2.5-coder:7b" in dialog.local_label.text()
        # The cloud's answer is a request of its own: it shows up in the table after the next refresh.
        qtbot.waitUntil(lambda: any(r.route == "cloud" for r in view.recent.visible_rows()), timeout=10000)
        dialog.close()
    finally:
        server.stop()


def test_ask_without_a_running_proxy_says_what_to_do(qtbot: QtBot) -> None:
    write(app_paths().ledger_file, local(1, 400))
    view = shown(qtbot)
    view.ask_cloud_instead(view.recent.visible_rows()[0].request_id)
    assert "not running" in view.banner.text() and view.compare_dialogs == []


def test_a_long_table_is_filled_in_slices_and_then_grows_on_top(qtbot: QtBot) -> None:
    ledger = app_paths().ledger_file
    write(ledger, *(local(10 + i * 0.1, 300 + i) for i in range(130)))
    view = shown(qtbot)  # `refreshed` comes after the last slice
    rows = view.recent.visible_rows()
    assert len(rows) == 130 and rows[0].latency_ms == 300 and rows[-1].latency_ms == 429
    write(ledger, local(1, 5_000))
    refreshed(qtbot, view, view.refresh)
    rows = view.recent.visible_rows()
    assert len(rows) == 131 and rows[0].latency_ms == 5_000
