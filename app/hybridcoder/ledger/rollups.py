"""Roll-ups of the usage ledger, so figures never scan the raw rows.

Written in the same transaction as the raw rows (``store.py``), so they never disagree
with them and a crash loses neither:

- ``usage_daily``: sums per local day, label set and prompt band. The labels the dashboard
  breaks down by (route, kind, client, provider, model, first choice, fallback cause) are
  stored once in ``usage_dims`` and referenced by a small integer, which keeps the table
  narrow and its GROUP BYs on integers. Kept for ever: this is where rows older than the
  retention window live on, and it is written continuously, so it is always complete.
- ``usage_hourly``: sums per local hour for the hourly series, keyed only by what pricing
  needs (route, provider, model in ``series_keys``; prompt band). Trimmed by retention.
- ``latency_daily``: per local day, route, kind and metric ("ttft", "total"), a histogram
  of logarithmic buckets 5 % wide stored as a dense JSON list, so p50/p95 come out within
  ~2.5 % and a month merges in a few milliseconds.

Prompt sizes are bucketed into bands on :data:`BAND_EDGES` so that tiered prices ("above
100K prompt tokens the whole request costs more") price exactly from sums.

Must never store text other than those labels.
"""

from __future__ import annotations

import bisect
import json
import math
import operator
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: Prompt-size band edges (tokens): the price tiers in use. Tiers on other thresholds snap down.
BAND_EDGES: tuple[int, ...] = (100_000, 200_000, 272_000)
BANDS = range(len(BAND_EDGES) + 1)

#: Kinds whose prompts resend a growing conversation (a cloud model would read most from cache).
CACHEABLE_KINDS = frozenset({"chat", "edit", "agent", "other"})
#: Kinds a cloud chat model would not have answered (left out of money-saved figures).
NOT_COMPARABLE_KINDS = frozenset({"embed"})

#: Latency buckets grow by this factor; a bucket's midpoint is within ~2.5 % of any value in it.
LATENCY_GROWTH = 1.05
_LOG_GROWTH = math.log(LATENCY_GROWTH)

DIM_COLUMNS = ("route", "kind", "client", "provider", "model", "first_choice", "fallback_cause")
DAILY_SUMS = ("requests", "errors", "estimated", "prompt_tokens", "completion_tokens", "cache_read_tokens",
              "cache_write_tokens", "redactions")
SERIES_COLUMNS = ("route", "provider", "model")
#: ``comparable_*``: tokens of kinds a cloud chat model could have answered; ``cacheable_prompt_tokens``:
#: prompt tokens of conversation kinds. Both feed the money-saved figures per hour.
HOURLY_SUMS = ("requests", "prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens",
               "comparable_prompt_tokens", "comparable_completion_tokens", "cacheable_prompt_tokens")

#: Columns of ``requests`` that roll-ups are computed from, in the order :func:`accumulate` reads.
SOURCE_COLUMNS = ("ts", "route", "kind", "client", "provider", "model", "first_choice", "fallback_cause",
                  "prompt_tokens", "completion_tokens", "cache_read_tokens", "cache_write_tokens",
                  "tokens_estimated", "status", "redactions", "ttft_ms", "total_ms")

Dims = tuple[str, str, str, str, str, str, str]
SeriesKey = tuple[str, str, str]


def prompt_band(prompt_tokens: int) -> int:
    """Band index: how many edges the prompt is strictly above (0 = at most 100K tokens)."""
    return bisect.bisect_left(BAND_EDGES, prompt_tokens)


def band_is_above(band: int, threshold: int) -> bool:
    """Whether every prompt in ``band`` is above ``threshold``.

    Exact when ``threshold`` is on :data:`BAND_EDGES`; otherwise the threshold is snapped down
    to the nearest edge, which can only overstate a cost, never hide one.
    """
    snapped = bisect.bisect_right(BAND_EDGES, threshold) - 1
    return band > snapped


def latency_bucket(ms: float) -> int:
    """Logarithmic bucket of a latency in milliseconds (0 holds everything under 1 ms)."""
    if ms < 1.0:
        return 0
    return int(math.log(ms) / _LOG_GROWTH) + 1


def bucket_value(bucket: int) -> float:
    """A representative latency for a bucket: its geometric midpoint (0.5 ms for bucket 0)."""
    if bucket <= 0:
        return 0.5
    return math.exp((bucket - 0.5) * _LOG_GROWTH)


@lru_cache(maxsize=8192)
def _hour_of_slot(slot: int) -> int:
    # Every time-zone offset in use is a multiple of 15 minutes, so a 15-minute UTC slot lies
    # inside one local hour.
    t = time.localtime(slot * 900)
    return slot * 900 - t.tm_min * 60 - t.tm_sec


def local_hour_start(ts: float) -> int:
    """Unix time of the start of the local-time hour containing ``ts``."""
    return _hour_of_slot(int(ts // 900))


@lru_cache(maxsize=8192)
def _day_of_hour(hour_start: int) -> int:
    t = time.localtime(hour_start)
    return int(time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1)))


def local_day_start(ts: float) -> int:
    """Unix time of local midnight on the day containing ``ts`` (DST-correct through mktime)."""
    return _day_of_hour(local_hour_start(ts))


@dataclass
class Deltas:
    """Roll-up changes accumulated from a batch of rows (by label), applied by :func:`apply`."""

    daily: dict[tuple[int, Dims, int], list[int]] = field(default_factory=dict)
    hourly: dict[tuple[int, SeriesKey, int], list[int]] = field(default_factory=dict)
    latency: dict[tuple[int, str, str, str], dict[int, int]] = field(default_factory=dict)


def accumulate(rows: Iterable[Sequence[Any]], deltas: Deltas, sign: int = 1) -> None:
    """Add (``sign=1``) or remove (``sign=-1``) rows shaped like :data:`SOURCE_COLUMNS`."""
    daily, hourly, latency = deltas.daily, deltas.hourly, deltas.latency
    for (ts, route, kind, client, provider, model, first_choice, cause, prompt, completion, cache_read,
         cache_write, estimated, status, redactions, ttft_ms, total_ms) in rows:
        hour = local_hour_start(ts)
        day = _day_of_hour(hour)
        prompt, completion = int(prompt or 0), int(completion or 0)
        cache_read, cache_write = int(cache_read or 0), int(cache_write or 0)
        provider, model = provider or "", model or ""
        band = prompt_band(prompt)
        dkey = (day, (route, kind, client or "", provider, model, first_choice or route, cause or ""), band)
        d = daily.get(dkey)
        if d is None:
            d = daily[dkey] = [0] * len(DAILY_SUMS)
        d[0] += sign
        d[1] += sign if int(status or 0) >= 400 else 0
        d[2] += sign if estimated else 0
        d[3] += sign * prompt
        d[4] += sign * completion
        d[5] += sign * cache_read
        d[6] += sign * cache_write
        d[7] += sign * int(redactions or 0)
        hkey = (hour, (route, provider, model), band)
        h = hourly.get(hkey)
        if h is None:
            h = hourly[hkey] = [0] * len(HOURLY_SUMS)
        h[0] += sign
        h[1] += sign * prompt
        h[2] += sign * completion
        h[3] += sign * cache_read
        h[4] += sign * cache_write
        if kind not in NOT_COMPARABLE_KINDS:
            h[5] += sign * prompt
            h[6] += sign * completion
            if kind in CACHEABLE_KINDS:
                h[7] += sign * prompt
        for metric, value in (("ttft", ttft_ms), ("total", total_ms)):
            if value is not None:
                hist = latency.setdefault((day, route, kind, metric), {})
                bucket = latency_bucket(float(value))
                hist[bucket] = hist.get(bucket, 0) + sign


def _ids(conn: sqlite3.Connection, table: str, columns: Sequence[str], labels: Iterable[tuple[str, ...]]) -> dict[
        tuple[str, ...], int]:
    """Ids of label tuples in a label table, adding the new ones."""
    where = " AND ".join(f"{c} = ?" for c in columns)
    insert = (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
              f"VALUES ({', '.join('?' * len(columns))})")
    out: dict[tuple[str, ...], int] = {}
    for label in set(labels):
        row = conn.execute(f"SELECT id FROM {table} WHERE {where}", label).fetchone()
        if row is None:
            conn.execute(insert, label)
            row = conn.execute(f"SELECT id FROM {table} WHERE {where}", label).fetchone()
        out[label] = int(row[0])
    return out


def _upsert_sql(table: str, key: Sequence[str], sums: Sequence[str]) -> str:
    columns = [*key, *sums]
    updates = ", ".join(f"{c} = {c} + excluded.{c}" for c in sums)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT({', '.join(key)}) DO UPDATE SET {updates}")


_UPSERT_DAILY = _upsert_sql("usage_daily", ("start", "dim", "band"), DAILY_SUMS)
_UPSERT_HOURLY = _upsert_sql("usage_hourly", ("start", "skey", "band"), HOURLY_SUMS)


def apply(conn: sqlite3.Connection, deltas: Deltas) -> None:
    """Write accumulated deltas (inside the caller's transaction); emptied groups are removed."""
    if deltas.daily:
        dims = _ids(conn, "usage_dims", DIM_COLUMNS, (k[1] for k in deltas.daily))
        conn.executemany(_UPSERT_DAILY, [(day, dims[labels], band, *sums)
                                         for (day, labels, band), sums in deltas.daily.items()])
        if any(v[0] <= 0 for v in deltas.daily.values()):
            conn.execute("DELETE FROM usage_daily WHERE requests <= 0")
    if deltas.hourly:
        keys = _ids(conn, "series_keys", SERIES_COLUMNS, (k[1] for k in deltas.hourly))
        conn.executemany(_UPSERT_HOURLY, [(hour, keys[labels], band, *sums)
                                          for (hour, labels, band), sums in deltas.hourly.items()])
        if any(v[0] <= 0 for v in deltas.hourly.values()):
            conn.execute("DELETE FROM usage_hourly WHERE requests <= 0")
    for key, change in deltas.latency.items():
        row = conn.execute("SELECT counts FROM latency_daily WHERE day = ? AND route = ? AND kind = ? AND metric = ?",
                           key).fetchone()
        hist = read_histogram(row[0]) if row else {}
        for bucket, count in change.items():
            hist[bucket] = hist.get(bucket, 0) + count
        text = write_histogram(hist)
        if text is not None:
            conn.execute("INSERT OR REPLACE INTO latency_daily (day, route, kind, metric, counts) VALUES (?, ?, ?, ?, ?)",
                         (*key, text))
        elif row:
            conn.execute("DELETE FROM latency_daily WHERE day = ? AND route = ? AND kind = ? AND metric = ?", key)


def write_histogram(hist: dict[int, int]) -> str | None:
    """Stored form of a histogram: JSON ``[first bucket, count, count, ...]`` (dense from the first
    to the last non-empty bucket, so readers merge it with list arithmetic); None when empty."""
    filled = [b for b, c in hist.items() if c > 0]
    if not filled:
        return None
    low, high = min(filled), max(filled)
    return json.dumps([low, *(max(0, hist.get(b, 0)) for b in range(low, high + 1))], separators=(",", ":"))


def read_histogram(text: str) -> dict[int, int]:
    """A stored latency histogram as bucket → count."""
    low, *counts = json.loads(text)
    return {low + i: c for i, c in enumerate(counts) if c}


def add_histogram(total: list[int], text: str) -> None:
    """Add a stored histogram into a dense per-bucket list (grown as needed); the fast path for readers."""
    low, *counts = json.loads(text)
    high = low + len(counts)
    if high > len(total):
        total.extend([0] * (high - len(total)))
    total[low:high] = map(operator.add, total[low:high], counts)


def rebuild(conn: sqlite3.Connection, batch: int = 50_000) -> None:
    """Recompute the roll-ups from the raw rows still kept (inside the caller's transaction).

    Used by the schema migration and by tools that bulk-load rows. Days before the first raw
    row (raw rows already removed by retention) keep their daily totals.
    """
    first = conn.execute("SELECT MIN(ts) FROM requests").fetchone()[0]
    if first is None:
        return
    since = local_day_start(float(first))
    conn.execute("DELETE FROM usage_daily WHERE start >= ?", (since,))
    conn.execute("DELETE FROM usage_hourly WHERE start >= ?", (since,))
    conn.execute("DELETE FROM latency_daily WHERE day >= ?", (since,))
    cursor = conn.execute(f"SELECT {', '.join(SOURCE_COLUMNS)} FROM requests")
    deltas = Deltas()
    while True:
        rows = cursor.fetchmany(batch)
        if not rows:
            break
        accumulate(rows, deltas)
    apply(conn, deltas)
