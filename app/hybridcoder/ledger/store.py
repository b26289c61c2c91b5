"""SQLite storage for the usage ledger.

Recording must cost microseconds on the request path, so :meth:`UsageLedger.record`
only puts the row on a queue; a writer thread commits batches. A locked or corrupt
database never breaks proxying: recording degrades with a warning (rows wait in
memory while the file is locked); a corrupt file is moved aside and a fresh one
started. Each batch and its roll-ups commit in one WAL transaction, so a crash
loses at most the rows still queued. Schema changes go through numbered
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from hybridcoder.ledger import rollups
from hybridcoder.ledger.migrations import migrate
from hybridcoder.ledger.records import RequestRecord
from hybridcoder.ledger.retention import apply_retention
from hybridcoder.paths import make_private_dir, make_private_file

log = logging.getLogger(__name__)

_COLUMNS = (
    "id", "ts", "client", "endpoint", "kind", "route", "first_choice", "provider", "model",
    "requested_model", "reasons", "score", "fallback_cause", "stream", "prompt_tokens",
    "completion_tokens", "cache_read_tokens", "cache_write_tokens", "tokens_estimated",
    "ttft_ms", "total_ms", "status", "error", "redactions", "features", "prompt_text",
)
_INSERT = f"INSERT OR REPLACE INTO requests ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_STOP = object()


def _json_text(value: Any) -> str:
    """Compact JSON for the reasons and features columns.

    orjson, not ``json.dumps``: the writer thread serialises a features dict per row, and
    every microsecond it holds the GIL is taken from the proxy's event loop. Anything
    orjson cannot encode falls back to the standard library (readers use ``json.loads``).
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, default=str)


def _row(record: RequestRecord) -> tuple[Any, ...]:
    return (
        record.id, record.ts, record.client, record.endpoint, record.kind, record.route,
        record.first_choice or record.route, record.provider, record.model, record.requested_model,
        _json_text(record.reasons), record.score, record.fallback_cause, int(record.stream),
        int(record.prompt_tokens), int(record.completion_tokens), int(record.cache_read_tokens),
        int(record.cache_write_tokens), int(record.tokens_estimated), record.ttft_ms, record.total_ms,
        int(record.status), record.error, int(record.redactions),
        _json_text(record.features) if record.features else None, record.prompt_text,
    )


def connect(path: Path, *, readonly: bool = False, timeout: float = 5.0) -> sqlite3.Connection:
    """Open the ledger with the pragmas every connection needs."""
    make_private_dir(path.parent)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout, check_same_thread=False)
    else:
        # SQLite gives its -wal and -shm files the database's mode: create it private first.
        make_private_file(path)
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _source(record: RequestRecord) -> tuple[Any, ...]:
    """The record in the shape :func:`rollups.accumulate` reads (``rollups.SOURCE_COLUMNS``)."""
    return (
        record.ts, record.route, record.kind, record.client, record.provider, record.model,
        record.first_choice or record.route, record.fallback_cause, record.prompt_tokens,
        record.completion_tokens, record.cache_read_tokens, record.cache_write_tokens,
        record.tokens_estimated, record.status, record.redactions, record.ttft_ms, record.total_ms,
    )


_SELECT_OLD = f"SELECT {', '.join(rollups.SOURCE_COLUMNS)} FROM requests WHERE id IN "


def write_records(conn: sqlite3.Connection, records: list[RequestRecord]) -> None:
    """Insert rows and update the roll-ups in one transaction (all or nothing).

    A record whose id is already stored replaces the old row, and the old row's share is
    taken out of the roll-ups first, so re-recording a request never counts it twice.
    """
    latest = {record.id: record for record in records}
    deltas = rollups.Deltas()
    ids = list(latest)
    with conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            old = conn.execute(_SELECT_OLD + f"({', '.join('?' * len(chunk))})", chunk).fetchall()
            rollups.accumulate(old, deltas, sign=-1)
        rollups.accumulate([_source(r) for r in latest.values()], deltas)
        conn.executemany(_INSERT, [_row(r) for r in latest.values()])
        rollups.apply(conn, deltas)


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class UsageLedger:
    """Append-mostly store of :class:`RequestRecord` rows with a background writer.

    ``retention_days`` (pass ``settings.ledger.retention_days``) makes the writer apply
    retention at start and then hourly; ``None`` keeps every raw row. While the database is
    locked by another program, rows wait in memory (up to ``max_buffered``) and are written
    when it frees up; only beyond that are they dropped, with a warning.
    """

    def __init__(self, path: Path, *, batch_size: int = 500, flush_interval_s: float = 0.2,
                 retention_days: int | None = None, busy_timeout_s: float = 5.0,
                 max_buffered: int = 100_000) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.retention_days = retention_days
        self.busy_timeout_s = busy_timeout_s
        self.max_buffered = max_buffered
        self.warning: str | None = None
        self.dropped = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: Set by flush() and close() (and by a full batch): write now, not at the next interval.
        self._wake = threading.Event()
        self._flushed = threading.Condition()
        self._pending = 0
        self._retry: list[RequestRecord] = []
        self._listeners: list[Callable[[RequestRecord], None]] = []
        self._retry_at = 0.0
        self._next_retention = 0.0
        self._conn = self._open()
        self._thread = threading.Thread(target=self._writer, name="ledger-writer", daemon=True)
        self._thread.start()

    # -- opening, corruption ---------------------------------------------------------
    def _open(self) -> sqlite3.Connection | None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, timeout=self.busy_timeout_s)
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            migrate(conn)
            return conn
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            if _is_busy(exc):
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
                    moved = src.replace(Path(str(aside) + suffix))
                    make_private_file(moved)  # the damaged copy still holds prompts and usage
        self.warning = f"The usage database was damaged and was moved to {aside.name}; a fresh one was started."
        try:
            conn = connect(self.path, timeout=self.busy_timeout_s)
            migrate(conn)
            return conn
        except sqlite3.Error as exc2:
            self.warning = f"The usage database cannot be opened ({exc2}); requests are not being recorded."
            log.warning(self.warning)
            return None

    # -- recording ---------------------------------------------------------------------
    def record(self, record: RequestRecord) -> None:
        """Queue a row; returns immediately (microseconds). Listeners hear of it at once.

        The writer is not woken: it collects what is queued every ``flush_interval_s``.
        Waking it per row would make it fight the caller (the proxy's event loop) for
        the GIL after every request, and write one row per transaction.
        """
        with self._flushed:
            self._pending += 1
        self._queue.put(record)
        for listener in self._listeners:
            try:
                listener(record)
            except Exception:  # a broken listener must never break recording (or proxying)
                log.exception("ledger listener failed")

    def add_listener(self, listener: Callable[[RequestRecord], None]) -> None:
        """Call ``listener(record)`` on every :meth:`record`, on the caller's thread; it must be fast.

        The budget tracker listens so a cloud request counts against the cap before the
        background writer has stored it.
        """
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[RequestRecord], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _writer(self) -> None:
        running = True
        while running:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            batch: list[RequestRecord] = []
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    running = False
                    break
                batch.append(item)
            if len(batch) >= self.batch_size:
                self._wake.set()  # more rows are waiting: the next batch goes at once
            if self._retry and (time.monotonic() >= self._retry_at or not running or batch):
                batch = self._retry + batch
                self._retry = []
            done = self._write(batch, final=not running) if batch else 0
            self._maybe_apply_retention()
            with self._flushed:
                self._pending -= done
                self._flushed.notify_all()

    def _write(self, batch: list[RequestRecord], *, final: bool = False) -> int:
        """Write a batch; returns how many rows are finished with (written or dropped)."""
        if self._conn is None and time.monotonic() >= self._retry_at:
            self._conn = self._open()
        if self._conn is None:
            return self._keep_for_later(batch, final)
        try:
            write_records(self._conn, batch)
            if self.warning and "busy" in self.warning:
                self.warning = None
            return len(batch)
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                log.warning("ledger write failed (%s); %d rows kept for a retry", exc, len(batch))
                return self._keep_for_later(batch, final)
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = self._start_fresh(exc)
            if self._conn is not None:
                try:
                    write_records(self._conn, batch)
                    return len(batch)
                except sqlite3.Error:
                    pass
            self.dropped += len(batch)
            return len(batch)

    def _keep_for_later(self, batch: list[RequestRecord], final: bool) -> int:
        """Hold rows in memory while the database is busy; drop only past ``max_buffered``."""
        if final:
            self.dropped += len(batch)
            log.warning("usage database still unavailable at shutdown; %d rows not recorded", len(batch))
            return len(batch)
        self.warning = "The usage database is busy; recording is delayed until it frees up."
        overflow = max(0, len(batch) - self.max_buffered)
        self._retry = batch[overflow:]
        self._retry_at = time.monotonic() + 1.0
        if overflow:
            self.dropped += overflow
            self.warning = "The usage database has been busy for a long time; some requests were not recorded."
        return overflow

    def _maybe_apply_retention(self) -> None:
        if self.retention_days is None or self._conn is None or time.monotonic() < self._next_retention:
            return
        self._next_retention = time.monotonic() + 3600.0
        try:
            result = apply_retention(self._conn, self.retention_days)
        except sqlite3.Error as exc:
            log.warning("ledger retention skipped (%s)", exc)
            return
        if result.raw_rows_deleted:
            log.info("ledger retention: %d raw rows older than %d days removed (totals kept)",
                     result.raw_rows_deleted, self.retention_days)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is on disk."""
        deadline = time.monotonic() + timeout
        self._wake.set()
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
            self._wake.set()
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
