"""Retention: keep raw request rows (and the hourly series) for N days; daily totals for ever.

Every row is rolled up into ``usage_daily`` when it is written (``rollups.py``), so the
figures stay correct after raw rows are gone; only the per-request log and the per-hour
series get shorter. Freed pages are reused by new rows, so the file stops growing once the
window is full.

Never deletes a daily roll-up row.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RetentionResult:
    cutoff: float  # unix time: raw rows and hourly roll-ups before this are gone
    raw_rows_deleted: int
    hourly_rows_trimmed: int


def retention_cutoff(retention_days: int, now: float | None = None) -> float:
    """Local midnight ``retention_days`` days before today (today counts as day 1)."""
    now = time.time() if now is None else now
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday - (retention_days - 1), 0, 0, 0, 0, 0, -1))


def apply_retention(conn: sqlite3.Connection, retention_days: int, now: float | None = None) -> RetentionResult:
    """Delete raw rows and hourly roll-ups older than the window, in one transaction.

    Their totals are already in ``usage_daily`` and ``latency_daily`` (written with every
    row), so nothing the figures show changes. ``retention_days <= 0`` keeps everything.
    """
    if retention_days <= 0:
        return RetentionResult(cutoff=0.0, raw_rows_deleted=0, hourly_rows_trimmed=0)
    cutoff = retention_cutoff(retention_days, now)
    with conn:
        trimmed = conn.execute("DELETE FROM usage_hourly WHERE start < ?", (cutoff,)).rowcount
        deleted = conn.execute("DELETE FROM requests WHERE ts < ?", (cutoff,)).rowcount
        conn.execute("INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('retention_run', ?)",
                     (str(time.time() if now is None else now),))
    return RetentionResult(cutoff=cutoff, raw_rows_deleted=max(0, deleted), hourly_rows_trimmed=max(0, trimmed))
