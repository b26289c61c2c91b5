"""``hybridcoder stats``: the same figures as compute_figures, as text, JSON and CSV; clear errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from hybridcoder.analytics import compute_figures
from hybridcoder.analytics.periods import PeriodError, resolve_period
from hybridcoder.cli import main
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings
from tests.ledger.helpers import at, rec, write


@pytest.fixture
def recorded() -> None:
    now = datetime.now()
    write(app_paths().ledger_file,
          rec("cloud", prompt_tokens=100_000, completion_tokens=1_000, client="cline", ts=at(now)),
          rec("local", prompt_tokens=20_000, completion_tokens=600, client="continue", ttft_ms=120.0,
              total_ms=900.0, ts=at(now)),
          rec("local", kind="autocomplete", prompt_tokens=1_000, completion_tokens=40,
              ts=at(now - timedelta(days=3))),
          rec("cloud", model="claude-mystery-9", fallback_cause="client_retry", ts=at(now)))


def test_json_matches_compute_figures(recorded: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--since", "7d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = compute_figures(app_paths().ledger_file, Settings.load(), "7d").as_json()
    for section in ("totals", "spend", "savings", "breakdown", "latency", "fallbacks", "escalations"):
        assert data[section] == expected[section], section
    assert data["spend"]["usd"] == pytest.approx(0.21)  # 100,000 × $2 + 1,000 × $10 per M
    assert data["budget"]["exhausted"] is False


def test_csv_has_one_row_per_figure(recorded: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--since", "30d", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert set(rows[0]) == {"section", "group", "metric", "value"}
    by_key = {(r["section"], r["group"], r["metric"]): r["value"] for r in rows}
    assert float(by_key[("spend", "", "usd")]) == pytest.approx(0.21)
    assert by_key[("spend", "", "unpriced_models")] == "claude-mystery-9"
    assert by_key[("escalations", "client_retry", "count")] == "1"
    assert ("budget", "daily", "cap_usd") in by_key


def test_text_output_labels_both_savings_figures(recorded: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--since", "today"]) == 0
    out = capsys.readouterr().out
    assert "Saved at list price" in out and "cache-adjusted estimate" in out
    assert "Price unknown: 1 requests on claude-mystery-9" in out
    assert "Requests          3" in out  # the autocomplete from 3 days ago is not today


def test_empty_ledger_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats"]) == 0
    assert "No requests recorded" in capsys.readouterr().out


def test_bad_periods_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--since", "last tuesday"]) == 2
    assert "not a period" in capsys.readouterr().err
    assert main(["stats", "--since", "today", "--until", "2020-01-01"]) == 1
    err = capsys.readouterr().err
    assert "ends" in err and "Traceback" not in err


def test_period_words() -> None:
    now = datetime(2026, 11, 25, 15, 30)
    assert resolve_period("today", now=now).since == datetime(2026, 11, 25)
    assert resolve_period("7d", now=now).since == datetime(2026, 11, 19)
    assert resolve_period("30d", now=now).since == datetime(2026, 10, 27)
    assert resolve_period("yesterday", "yesterday", now=now).until == datetime(2026, 11, 25)
    custom = resolve_period("2026-11-01", "2026-11-02", now=now)
    assert (custom.since, custom.until) == (datetime(2026, 11, 1), datetime(2026, 11, 3))
    for bad in ("0d", "24h", "last week"):
        with pytest.raises(PeriodError):
            resolve_period(bad, now=now)
