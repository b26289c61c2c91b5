"""SQLite storage for the usage ledger.

Recording must cost microseconds on the request path, so :meth:`UsageLedger.record`
only puts the row on a queue; a writer thread commits batches. A locked or corrupt
database never breaks proxying: recording degrades with a warning; a corrupt file
is moved aside and a fresh one started. Schema changes go through numbered
migrations in ``migrations.py``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hybridcoder.ledger.migrations import migrate
from hybridcoder.ledger.records import RequestRecord

log = logging.getLogger(__name__)

_COLUMNS = (
    "id", "ts", "client", "endpoint", "kind", "route", "first_choice", "provider", "model",
    "requested_model", "reasons", "score", "fallback_cause", "stream", "prompt_tokens",
    "completion_tokens", "cache_read_tokens", "cache_write_tokens", "tokens_estimated",
    "ttft_ms", "total_ms", "status", "error", "redactions", "features", "prompt_text",
)
_INSERT = f"INSERT OR REPLACE INTO requests ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_STOP = object()


def _row(record: RequestRecord) -> tuple[Any, ...]:
    return (
        record.id, record.ts, record.client, record.endpoint, record.kind, record.route,
        record.first_choice or record.route, record.provider, record.model, record.requested_model,
        json.dumps(record.reasons), record.score, record.fallback_cause, int(record.stream),
        int(record.prompt_tokens), int(record.completion_tokens), int(record.cache_read_tokens),
        int(record.cache_write_tokens), int(record.tokens_estimated), record.ttft_ms, record.total_ms,
        int(record.status), record.error, int(record.redactions),
        json.dumps(record.features) if record.features else None, record.prompt_text,
    )


def connect(path: Path, *, readonly: bool = False, timeout: float = 5.0) -> sqlite3.Connection:
    """Open the ledger with the pragmas every connection needs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class UsageLedger:
    """Append-mostly store of :class:`RequestRecord` rows with a background writer."""

    def __init__(self, path: Path, *, batch_size: int = 500, flush_interval_s: float = 0.2) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.warning: str | None = None
        self.dropped = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._flushed = threading.Condition()
        self._pending = 0
        self._conn = self._open()
        self._thread = threading.Thread(target=self._writer, name="ledger-writer", daemon=True)
        self._thread.start()

    # -- opening, corruption ---------------------------------------------------------
    def _open(self) -> sqlite3.Connection | None:
        try:
            conn = connect(self.path)
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            migrate(conn)
            return conn
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc).lower():
                self.warning = "The usage database is locked by another program; requests are not being recorded."
                log.warning(self.warning)
                return None
            return self._start_fresh(exc)

    def _start_fresh(self, exc: Exception) -> sqlite3.Connection | None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        log.warning("usage database is damaged (%s); moving it to %s", exc, aside.name)
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                with contextlib.suppress(OSError):
                    src.replace(Path(str(aside) + suffix))
        self.warning = f"The usage database was damaged and was moved to {aside.name}; a fresh one was started."
        try:
            conn = connect(self.path)
            migrate(conn)
            return conn
        except sqlite3.Error as exc2:
            self.warning = f"The usage database cannot be opened ({exc2}); requests are not being recorded."
            log.warning(self.warning)
            return None

    # -- recording ---------------------------------------------------------------------
    def record(self, record: RequestRecord) -> None:
        """Queue a row; returns immediately (microseconds)."""
        with self._flushed:
            self._pending += 1
        self._queue.put(record)

    def _writer(self) -> None:
        running = True
        while running:
            batch: list[RequestRecord] = []
            try:
                item = self._queue.get(timeout=self.flush_interval_s)
            except queue.Empty:
                continue
            if item is _STOP:
                running = False
            else:
                batch.append(item)
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    running = False
                    break
                batch.append(item)
            if batch:
                self._write(batch)
            with self._flushed:
                self._pending -= len(batch)
                self._flushed.notify_all()

    def _write(self, batch: list[RequestRecord]) -> None:
        if self._conn is None:
            self.dropped += len(batch)
            return
        try:
            with self._conn:
                self._conn.executemany(_INSERT, [_row(r) for r in batch])
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                self.dropped += len(batch)
                self.warning = "The usage database is busy; some requests were not recorded."
                log.warning("ledger write failed (%s); %d rows dropped", exc, len(batch))
                return
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = self._start_fresh(exc)
            if self._conn is not None:
                try:
                    with self._conn:
                        self._conn.executemany(_INSERT, [_row(r) for r in batch])
                except sqlite3.Error:
                    self.dropped += len(batch)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is on disk."""
        deadline = time.monotonic() + timeout
        with self._flushed:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._flushed.wait(remaining)
        return True

    def close(self) -> None:
        """Write everything queued, then stop the writer (clean shutdown loses nothing)."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=10)
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> UsageLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading (small helpers; analytics has the real queries) ---------------------
    @contextlib.contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        conn = connect(self.path)
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        finally:
            conn.close()

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        self.flush()
        with self.reader() as conn:
            rows = conn.execute("SELECT * FROM requests ORDER BY ts DESC LIMIT ?", (limit,)).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["reasons"] = json.loads(item["reasons"] or "[]")
            item["features"] = json.loads(item["features"]) if item.get("features") else {}
            out.append(item)
        return out
