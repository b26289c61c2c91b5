"""Versioned schema migrations for the usage ledger (``PRAGMA user_version``).

Append a new function to ``MIGRATIONS`` for every schema change; never edit one
that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _v1(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS requests (
            id TEXT PRIMARY KEY,
            ts REAL NOT NULL,
            client TEXT NOT NULL DEFAULT 'unknown',
            endpoint TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            route TEXT NOT NULL,
            first_choice TEXT NOT NULL DEFAULT '',
            provider TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            requested_model TEXT NOT NULL DEFAULT '',
            reasons TEXT NOT NULL DEFAULT '[]',
            score REAL,
            fallback_cause TEXT,
            stream INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            tokens_estimated INTEGER NOT NULL DEFAULT 0,
            ttft_ms REAL,
            total_ms REAL,
            status INTEGER NOT NULL DEFAULT 200,
            error TEXT,
            redactions INTEGER NOT NULL DEFAULT 0,
            features TEXT,
            prompt_text TEXT
        );
        CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
        """
    )


def _v2(conn: sqlite3.Connection) -> None:
    """Roll-ups for fast figures and retention (see ``rollups.py``), back-filled from the raw rows."""
    from hybridcoder.ledger import rollups

    # One explicit transaction: the tables and their back-fill appear together or not at all.
    if not conn.in_transaction:
        conn.execute("BEGIN")
    statements = [
        """CREATE TABLE IF NOT EXISTS usage_dims (
            id INTEGER PRIMARY KEY,
            route TEXT NOT NULL, kind TEXT NOT NULL, client TEXT NOT NULL, provider TEXT NOT NULL,
            model TEXT NOT NULL, first_choice TEXT NOT NULL, fallback_cause TEXT NOT NULL,
            UNIQUE (route, kind, client, provider, model, first_choice, fallback_cause))""",
        """CREATE TABLE IF NOT EXISTS usage_daily (
            start INTEGER NOT NULL,
            dim INTEGER NOT NULL REFERENCES usage_dims(id),
            band INTEGER NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            estimated INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            redactions INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (start, dim, band)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS series_keys (
            id INTEGER PRIMARY KEY,
            route TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
            UNIQUE (route, provider, model))""",
        """CREATE TABLE IF NOT EXISTS usage_hourly (
            start INTEGER NOT NULL,
            skey INTEGER NOT NULL REFERENCES series_keys(id),
            band INTEGER NOT NULL,
            requests INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_tokens INTEGER NOT NULL DEFAULT 0,
            comparable_prompt_tokens INTEGER NOT NULL DEFAULT 0,
            comparable_completion_tokens INTEGER NOT NULL DEFAULT 0,
            cacheable_prompt_tokens INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (start, skey, band)) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS latency_daily (
            day INTEGER NOT NULL, route TEXT NOT NULL, kind TEXT NOT NULL, metric TEXT NOT NULL,
            counts TEXT NOT NULL,
            PRIMARY KEY (day, route, kind, metric)) WITHOUT ROWID""",
        "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ]
    for statement in statements:
        conn.execute(statement)
    rollups.rebuild(conn)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the latest version; returns that version."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with conn:
            step(conn)
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)
