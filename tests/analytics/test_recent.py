"""recent_rows: the dashboard table's rows read back from a real ledger, priced like the figures."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest

from hybridcoder.analytics.recent import CSV_HEADER, recent_rows, write_csv
from hybridcoder.paths import app_paths
from tests.ledger.helpers import rec, write

NOW = datetime.now()


def ago(minutes: int) -> float:
    return (NOW - timedelta(minutes=minutes)).timestamp()


def test_rows_newest_first_priced_and_explained() -> None:
    ledger = app_paths().ledger_file
    write(ledger,
          rec("local", prompt_tokens=1_000, completion_tokens=50, reasons=["routine_chat"], total_ms=800.0, ts=ago(4)),
          # Sonnet 5.5: 4,000×$2 + 200×$10 per M = $0.0100
          rec("cloud", prompt_tokens=4_000, completion_tokens=200, reasons=["agent_tools"], ts=ago(3),
              first_choice="local", fallback_cause="local_ttft_timeout", ttft_ms=700.0),
          rec("cloud", model="claude-mystery-9", prompt_tokens=10, completion_tokens=1, ts=ago(2)),
          rec("cloud", model="qwen3-coder:480b-cloud", provider="ollama-cloud", prompt_tokens=10, ts=ago(1)))
    rows = recent_rows(ledger)
    assert [r.model for r in rows] == ["qwen3-coder:480b-cloud", "claude-mystery-9", "claude-sonnet-5-5",
                                       "qwen2.5-coder:7b"]
    plan, unknown, sonnet, local = rows
    assert plan.cost_usd is None and unknown.cost_usd is None  # never $0 for a price we do not know
    assert sonnet.cost_usd == pytest.approx(0.01)
    assert sonnet.reason == "fallback: local ttft timeout"
    assert sonnet.latency_ms == 700.0  # no total recorded: time to first token
    assert local.cost_usd == 0.0 and local.reason == "routine chat" and local.tokens == 1_050
    assert len(recent_rows(ledger, limit=2)) == 2
    assert [r.model for r in recent_rows(ledger, since=NOW - timedelta(minutes=2, seconds=30))] == [
        "qwen3-coder:480b-cloud", "claude-mystery-9"]

    out = io.StringIO()
    assert write_csv(rows, out) == 4
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(CSV_HEADER)
    assert lines[3].split(",")[8] == "0.010000"
    assert lines[2].split(",")[8] == ""


def test_missing_or_damaged_ledger_gives_no_rows() -> None:
    ledger = app_paths().ledger_file
    assert recent_rows(ledger) == []
    ledger.parent.mkdir(parents=True, exist_ok=True)
    ledger.write_bytes(b"this is not a database" * 100)
    assert recent_rows(ledger) == []
