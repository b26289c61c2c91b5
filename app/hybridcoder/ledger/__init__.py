"""The usage ledger: one row per proxied request, in SQLite (WAL) under HYBRIDCODER_HOME.

The proxy records through :class:`UsageLedger` (queued, batched, off the request
path); analytics reads the same file. Never stores prompt text unless the user
turned that on, and never a key.
"""

from __future__ import annotations

from hybridcoder.ledger.records import RequestRecord
from hybridcoder.ledger.store import UsageLedger

__all__ = ["RequestRecord", "UsageLedger"]
