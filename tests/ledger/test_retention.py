"""Ledger health: versioned migrations back-fill the roll-ups; retention removes old raw rows while
the figures stay exactly the same."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

from hybridcoder.analytics import compute_figures
from hybridcoder.ledger import RequestRecord, UsageLedger
from hybridcoder.ledger.migrations import MIGRATIONS, _v1
from hybridcoder.ledger.retention import apply_retention
from hybridcoder.ledger.rollups import (
    BAND_EDGES,
    band_is_above,
    bucket_value,
    latency_bucket,
    local_day_start,
    prompt_band,
)
from hybridcoder.ledger.store import connect
from hybridcoder.settings import Settings
from tests.ledger.helpers import at, query, rec, write


def test_a_version_1_ledger_is_migrated_and_its_rows_rolled_up(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    conn = sqlite3.connect(path)
    _v1(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.executemany(
        "INSERT INTO requests (id, ts, kind, route, provider, model, prompt_tokens, completion_tokens, ttft_ms) "
        "VALUES (?, ?, 'chat', ?, 'anthropic', 'claude-sonnet-5-5', ?, 10, 250.0)",
        [(f"id{i}", time.time() - i * 600, "cloud" if i % 2 else "local", 1_000 * i) for i in range(30)],
    )
    conn.commit()
    conn.close()
    with UsageLedger(path) as ledger:
        assert ledger.warning is None
    assert query(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert query(path, "SELECT SUM(requests), SUM(prompt_tokens) FROM usage_daily") == [(30, 435_000)]
    assert query(path, "SELECT SUM(requests) FROM usage_hourly") == [(30,)]
    hist = [json.loads(c) for (c,) in query(path, "SELECT counts FROM latency_daily WHERE metric = 'ttft'")]
    assert sum(sum(h[1:]) for h in hist) == 30


def _old_and_new(now: datetime) -> list[RequestRecord]:
    records = []
    for days_ago in (40, 20, 3, 0):
        for i in range(5):
            records.append(rec("cloud" if i % 2 else "local", kind="agent" if i % 2 else "chat",
                               prompt_tokens=10_000 + 150_000 * (i == 3), completion_tokens=500,
                               cache_read_tokens=0, ttft_ms=100.0 * (i + 1), total_ms=1_000.0 * (i + 1),
                               fallback_cause="local_unreachable" if i == 1 else None,
                               ts=at(now - timedelta(days=days_ago, minutes=i))))
    return records


def test_retention_keeps_the_figures_and_drops_old_raw_rows(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    now = datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)
    write(path, *_old_and_new(now))
    settings = Settings()
    before = compute_figures(path, settings, "60d", now=lambda: now).as_json()
    assert before["totals"]["requests"] == 20 and before["spend"]["usd"] > 0
    conn = connect(path)
    result = apply_retention(conn, retention_days=7, now=at(now))
    conn.close()
    assert result.raw_rows_deleted == 10  # the rows from 40 and 20 days ago
    assert query(path, "SELECT COUNT(*) FROM requests") == [(10,)]
    assert query(path, "SELECT MIN(start) >= ? FROM usage_hourly", result.cutoff) == [(1,)]
    after = compute_figures(path, settings, "60d", now=lambda: now).as_json()
    for section in ("totals", "spend", "savings", "breakdown", "latency", "fallbacks", "escalations", "shares"):
        assert after[section] == before[section], section
    assert after["series"]["daily"] == before["series"]["daily"]
    # Only the hourly series is shorter: it covers the retention window.
    assert len(after["series"]["hourly"]) < len(before["series"]["hourly"])


def test_the_writer_applies_retention_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    now = datetime.now()
    write(path, *_old_and_new(now))
    with UsageLedger(path, retention_days=30, flush_interval_s=0.05) as ledger:
        deadline = time.monotonic() + 10
        while query(path, "SELECT COUNT(*) FROM requests") != [(15,)] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ledger.warning is None
    assert query(path, "SELECT COUNT(*) FROM requests") == [(15,)]
    assert query(path, "SELECT SUM(requests) FROM usage_daily") == [(20,)]


def test_prompt_bands_separate_every_price_threshold() -> None:
    assert [prompt_band(p) for p in (0, 100_000, 100_001, 200_000, 200_001, 272_001)] == [0, 0, 1, 1, 2, 3]
    for edge in BAND_EDGES:
        assert not band_is_above(prompt_band(edge), edge)
        assert band_is_above(prompt_band(edge + 1), edge)
    # A threshold between edges snaps down: the cost can be overstated, never hidden.
    assert band_is_above(prompt_band(150_000), 120_000)


def test_latency_buckets_are_within_two_and_a_half_percent() -> None:
    for ms in (1.0, 7.3, 95.0, 480.0, 2_345.6, 61_000.0, 599_000.0):
        assert abs(bucket_value(latency_bucket(ms)) - ms) / ms <= 0.025
    assert latency_bucket(0.2) == 0


def test_local_day_start_is_midnight() -> None:
    moment = datetime(2026, 3, 29, 15, 45)
    assert datetime.fromtimestamp(local_day_start(at(moment))) == datetime(2026, 3, 29)
