"""The usage ledger: one row per proxied request, in SQLite (WAL) under HYBRIDCODER_HOME.

The proxy records through :class:`UsageLedger` (queued, batched, off the request
path); every batch also updates the roll-ups (``rollups.py``) that analytics reads.
``retention.py`` trims old raw rows, ``migrations.py`` versions the schema. Never
stores prompt text unless the user turned that on, and never a key.
"""

from __future__ import annotations

from hybridcoder.ledger.records import RequestRecord
from hybridcoder.ledger.retention import RetentionResult, apply_retention
from hybridcoder.ledger.store import UsageLedger

__all__ = ["RequestRecord", "RetentionResult", "UsageLedger", "apply_retention"]
