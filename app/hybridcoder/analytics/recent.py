"""The last requests, one line each, for the dashboard's table and its CSV export.

:func:`recent_rows` reads the ledger's raw rows (newest first) and prices each cloud row with
the same :class:`~hybridcoder.analytics.prices.PriceTable` the figures use; a local row costs
nothing and a cloud row on a model without a price has ``cost_usd = None`` ("price unknown",
never $0). :func:`write_csv` writes exactly the columns the table shows.

Read-only: never writes to the ledger, never reads prompt text (the dashboard shows answers
only from the running proxy's memory).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from hybridcoder.analytics.prices import Cost, PriceTable
from hybridcoder.ledger.store import connect
from hybridcoder.settings import Settings

__all__ = ["CSV_HEADER", "RecentRow", "reason_text", "recent_rows", "write_csv"]

log = logging.getLogger(__name__)

CSV_HEADER = ("time", "client", "kind", "route", "model", "reason", "latency_ms", "tokens", "cost_usd", "id")

_SELECT = """
    SELECT id, ts, client, kind, route, provider, model, reasons, fallback_cause, ttft_ms, total_ms,
           prompt_tokens, completion_tokens, cache_read_tokens, cache_write_tokens, status, error
    FROM requests WHERE ts >= ? ORDER BY ts DESC LIMIT ?"""


@dataclass(frozen=True)
class _Usage:
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int


@dataclass(frozen=True)
class RecentRow:
    """One recorded request as the table shows it."""

    request_id: str
    time: datetime  # naive local time
    client: str
    kind: str
    route: str
    model: str
    reason: str
    latency_ms: float | None  # whole answer; None when the request failed before answering
    tokens: int
    cost_usd: float | None  # None: no per-token price (a model without a price, or a flat plan)
    status: int = 200

    def csv_cells(self) -> tuple[str, ...]:
        return (self.time.isoformat(timespec="seconds"), self.client, self.kind, self.route, self.model,
                self.reason, "" if self.latency_ms is None else f"{self.latency_ms:.0f}", str(self.tokens),
                "" if self.cost_usd is None else f"{self.cost_usd:.6f}", self.request_id)


def reason_text(codes: list[str], fallback_cause: str | None) -> str:
    """The router's first reason code in words ("routine chat"), or the fallback that overrode it."""
    if fallback_cause:
        return f"fallback: {fallback_cause.replace('_', ' ')}"
    return codes[0].replace("_", " ") if codes else ""


def recent_rows(ledger_path: Path, settings: Settings | None = None, *, limit: int = 200,
                since: datetime | None = None, prices: PriceTable | None = None) -> list[RecentRow]:
    """The newest ``limit`` requests (from ``since``, naive local time); [] for a missing or unreadable ledger."""
    path = Path(ledger_path)
    if not path.exists():
        return []
    table = prices or PriceTable.load(settings)
    start = since.timestamp() if since is not None else 0.0
    try:
        with contextlib.closing(connect(path, timeout=2.0)) as conn:
            rows = conn.execute(_SELECT, (start, int(limit))).fetchall()
    except sqlite3.Error as exc:  # no table yet, locked, damaged: the figures say so; the table stays empty
        log.warning("recent requests: ledger unreadable (%s)", exc)
        return []
    return [_row(row, table) for row in rows]


def _row(row: tuple[Any, ...], table: PriceTable) -> RecentRow:
    (request_id, ts, client, kind, route, provider, model, reasons, cause, ttft_ms, total_ms, prompt,
     completion, cache_read, cache_write, status, _error) = row
    try:
        codes = [str(code) for code in json.loads(reasons or "[]")]
    except (ValueError, TypeError):
        codes = []
    cost_usd: float | None = 0.0
    if route == "cloud":
        priced: Cost | None = table.cost(model or "", _Usage(prompt or 0, completion or 0, cache_read or 0,
                                                              cache_write or 0), provider or "")
        cost_usd = None if priced is None or priced.billing == "plan" else priced.usd
    return RecentRow(
        request_id=str(request_id), time=datetime.fromtimestamp(float(ts)), client=client or "unknown",
        kind=kind or "", route=route or "", model=model or "", reason=reason_text(codes, cause),
        latency_ms=total_ms if total_ms is not None else ttft_ms, tokens=int(prompt or 0) + int(completion or 0),
        cost_usd=cost_usd, status=int(status or 0),
    )


def write_csv(rows: list[RecentRow], out: TextIO) -> int:
    """Write ``rows`` with a header line; returns how many rows were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(row.csv_cells())
    return len(rows)
