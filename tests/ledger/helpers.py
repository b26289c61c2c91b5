"""Small builders shared by the ledger and analytics tests."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from hybridcoder.ledger import RequestRecord, UsageLedger


def at(moment: datetime) -> float:
    """Unix time of a naive local datetime."""
    return moment.timestamp()


def rec(route: str = "local", *, kind: str = "chat", model: str | None = None, provider: str | None = None,
        ts: float | None = None, **fields: Any) -> RequestRecord:
    """A record with sensible defaults for its route."""
    if model is None:
        model = "qwen2.5-coder:7b" if route == "local" else "claude-sonnet-5-5"
    if provider is None:
        provider = "ollama" if route == "local" else "anthropic"
    extra: dict[str, Any] = {"ts": ts} if ts is not None else {}
    return RequestRecord(kind=kind, route=route, model=model, provider=provider, **extra, **fields)


def write(path: Path, *records: RequestRecord) -> None:
    """Record through a real UsageLedger and wait until everything is on disk."""
    with UsageLedger(path) as ledger:
        for record in records:
            ledger.record(record)
        assert ledger.flush(10)


def query(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
