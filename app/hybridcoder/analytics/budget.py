"""Daily and monthly cloud spending caps, read by the router on every request.

:meth:`BudgetTracker.state` is cheap (a lock and two clock reads) because the answer is
cached: it is recomputed from the ledger's roll-ups at most every ``refresh_s`` seconds,
immediately when the local day or month rolls over, and a cloud request reported through
:meth:`BudgetTracker.note_cloud_cost` is added to the cached figures at once (the ledger
writes in the background, so the database may not have it yet).

Periods are local calendar days and months: the daily cap resets at local midnight, the
monthly one on the 1st. At ``warn_fraction`` (80 %) of a cap the state warns; at 100 % it is
exhausted and ``settings.budget.on_exhausted`` says what routing does: "local" (local-only
until the period ends) or "ask" (the user decides before more is spent).

Never raises to the caller: a missing, locked or damaged ledger leaves the last known
figures in place (plus what was noted since).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from hybridcoder.analytics.prices import PriceTable, price_tokens
from hybridcoder.ledger.records import RequestRecord
from hybridcoder.ledger.store import UsageLedger, connect
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

_SPEND_SQL = """
    SELECT u.start >= :ds, d.provider, d.model, u.band, SUM(u.requests), SUM(u.prompt_tokens),
           SUM(u.completion_tokens), SUM(u.cache_read_tokens), SUM(u.cache_write_tokens)
    FROM usage_daily u JOIN usage_dims d ON d.id = u.dim
    WHERE u.start >= :ms AND d.route = 'cloud'
    GROUP BY 1, d.provider, d.model, u.band"""


#: Noted requests kept before a forced refresh folds the stored ones into the ledger figures.
_MAX_NOTED = 10_000


def _local(moment: datetime) -> datetime:
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo is not None else moment


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Local midnight today and tomorrow."""
    now = _local(now)
    start = datetime(now.year, now.month, now.day)
    following = datetime.fromordinal(start.toordinal() + 1)
    return start, following


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Local midnight on the 1st of this month and of the next."""
    now = _local(now)
    start = datetime(now.year, now.month, 1)
    following = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1)
    return start, following


@dataclass(frozen=True)
class BudgetState:
    """Spend against the caps at one moment; a cap of 0 means "no cap"."""

    daily_spent_usd: float
    daily_cap_usd: float
    monthly_spent_usd: float
    monthly_cap_usd: float
    warn_fraction: float
    on_exhausted: str
    day_resets_at: datetime
    month_resets_at: datetime
    #: Cloud requests this month whose model has no price (spend may be higher than shown).
    unpriced_requests: int = 0
    #: True when the ledger could not be read at the last refresh.
    stale: bool = False

    @property
    def daily_fraction(self) -> float | None:
        return self.daily_spent_usd / self.daily_cap_usd if self.daily_cap_usd > 0 else None

    @property
    def monthly_fraction(self) -> float | None:
        return self.monthly_spent_usd / self.monthly_cap_usd if self.monthly_cap_usd > 0 else None

    @property
    def daily_exhausted(self) -> bool:
        return self.daily_cap_usd > 0 and self.daily_spent_usd >= self.daily_cap_usd

    @property
    def monthly_exhausted(self) -> bool:
        return self.monthly_cap_usd > 0 and self.monthly_spent_usd >= self.monthly_cap_usd

    @property
    def exhausted(self) -> bool:
        """A cap is reached (100 %): no more cloud spending until the period ends."""
        return self.daily_exhausted or self.monthly_exhausted

    @property
    def warn(self) -> bool:
        """At or above the warning fraction (80 %) of a cap; stays true once exhausted."""
        return any(f is not None and f >= self.warn_fraction for f in (self.daily_fraction, self.monthly_fraction))

    @property
    def local_only(self) -> bool:
        """Routing must keep every request local (``RoutingContext.budget_exhausted``)."""
        return self.exhausted and self.on_exhausted != "ask"

    @property
    def ask_first(self) -> bool:
        """The user asked to be asked before more cloud spending."""
        return self.exhausted and self.on_exhausted == "ask"

    @property
    def resets_at(self) -> datetime | None:
        """When the exhausted state ends (the later of the periods that are exhausted)."""
        if self.monthly_exhausted:
            return self.month_resets_at
        if self.daily_exhausted:
            return self.day_resets_at
        return None

    def message(self) -> str | None:
        """One sentence for the tray, the dashboard or an error response; None when all is well."""
        if self.exhausted:
            which = "monthly" if self.monthly_exhausted else "daily"
            spent, cap = ((self.monthly_spent_usd, self.monthly_cap_usd) if self.monthly_exhausted
                          else (self.daily_spent_usd, self.daily_cap_usd))
            until = self.resets_at.strftime("%Y-%m-%d %H:%M") if self.resets_at else ""
            action = ("cloud requests need your OK" if self.ask_first else "requests stay local")
            return (f"The {which} cloud budget is used up (${spent:.2f} of ${cap:.2f}); "
                    f"{action} until {until}.")
        if self.warn:
            parts = []
            if self.daily_fraction is not None and self.daily_fraction >= self.warn_fraction:
                parts.append(f"{self.daily_fraction:.0%} of today's ${self.daily_cap_usd:.2f}")
            if self.monthly_fraction is not None and self.monthly_fraction >= self.warn_fraction:
                parts.append(f"{self.monthly_fraction:.0%} of this month's ${self.monthly_cap_usd:.2f}")
            return f"Cloud spending has reached {' and '.join(parts)} budget."
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "daily": {"spent_usd": round(self.daily_spent_usd, 6), "cap_usd": self.daily_cap_usd,
                      "fraction": self.daily_fraction, "exhausted": self.daily_exhausted,
                      "resets_at": self.day_resets_at.isoformat(timespec="minutes")},
            "monthly": {"spent_usd": round(self.monthly_spent_usd, 6), "cap_usd": self.monthly_cap_usd,
                        "fraction": self.monthly_fraction, "exhausted": self.monthly_exhausted,
                        "resets_at": self.month_resets_at.isoformat(timespec="minutes")},
            "warn": self.warn, "exhausted": self.exhausted, "on_exhausted": self.on_exhausted,
            "local_only": self.local_only, "ask_first": self.ask_first,
            "unpriced_requests": self.unpriced_requests, "stale": self.stale, "message": self.message(),
        }


@dataclass
class _Noted:
    id: str
    ts: float
    usd: float | None  # None: no price known for the model


class BudgetTracker:
    """Caps from ``settings.budget`` against cloud spend in the ledger at ``ledger_path``.

    ``now`` is the clock that decides which day and month it is (inject one in tests);
    ``monotonic`` paces the refreshes.
    """

    def __init__(self, ledger_path: Path, settings: Settings, *, now: Callable[[], datetime] = datetime.now,
                 prices: PriceTable | None = None, refresh_s: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ledger_path = Path(ledger_path)
        self.settings = settings
        self.prices = prices or PriceTable.load(settings)
        self.refresh_s = refresh_s
        self._now = now
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._state: BudgetState | None = None
        self._refreshed_at = 0.0
        self._noted: list[_Noted] = []
        #: Last good read: (day start, spent today, month start, spent this month).
        self._db_spent = (0.0, 0.0, 0.0, 0.0)
        self._conn: sqlite3.Connection | None = None
        self._warned = False
        self._day_start_ts = self._month_start_ts = 0.0

    # -- the hot path ------------------------------------------------------------------------
    def state(self) -> BudgetState:
        """The current state; cached, so it is safe to call on every request."""
        now = self._now()
        with self._lock:
            state = self._state
            if (state is not None and self._monotonic() - self._refreshed_at < self.refresh_s
                    and _local(now) < state.day_resets_at):
                return state
            return self._refresh(now)

    def note_cloud_cost(self, record: RequestRecord) -> None:
        """Count a finished cloud request now, before the ledger has written it."""
        if record.route != "cloud":
            return
        priced = self.prices.cost(record.model, record, record.provider)
        usd = priced.usd if priced is not None else 0.0
        with self._lock:
            self._noted.append(_Noted(record.id, record.ts, priced.usd if priced is not None else None))
            if len(self._noted) > _MAX_NOTED and self._monotonic() - self._refreshed_at >= self.refresh_s:
                # Nobody asked for a while: reconcile with the ledger now (at most once per interval).
                self._refresh(self._now())
                return
            state = self._state
            if state is None or record.ts < self._month_start_ts:
                return
            self._state = replace(
                state,
                daily_spent_usd=state.daily_spent_usd + (usd if record.ts >= self._day_start_ts else 0.0),
                monthly_spent_usd=state.monthly_spent_usd + usd,
                unpriced_requests=state.unpriced_requests + (priced is None),
            )

    def attach(self, ledger: UsageLedger) -> None:
        """Hear of every request the ledger records (cloud ones count against the caps at once)."""
        ledger.add_listener(self.note_cloud_cost)

    def exhausted(self) -> bool:
        """The probe the proxy calls per request (``ProxyConfig.budget_exhausted``)."""
        return self.state().exhausted

    def refresh(self) -> BudgetState:
        """Recompute from the ledger now (e.g. after the caps changed in settings)."""
        now = self._now()
        with self._lock:
            return self._refresh(now)

    def update_settings(self, settings: Settings) -> None:
        """Use new caps (and price overrides); the next :meth:`state` recomputes."""
        with self._lock:
            self.settings = settings
            self.prices = PriceTable.load(settings)
            self._refreshed_at = float("-inf")
            self._state = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    # -- recomputing -------------------------------------------------------------------------
    def _refresh(self, now: datetime) -> BudgetState:
        day_start, day_end = day_bounds(now)
        month_start, month_end = month_bounds(now)
        ds, ms = day_start.timestamp(), month_start.timestamp()
        self._day_start_ts, self._month_start_ts = ds, ms
        stale = False
        unpriced = 0
        try:
            today, month, unpriced, stored = self._read_ledger(ds, ms)
            self._db_spent = (ds, today, ms, month)
        except sqlite3.Error as exc:
            if not self._warned:
                log.warning("budget: ledger unreadable (%s); using the last known spend", exc)
                self._warned = True
            self._close_conn()
            last_ds, today, last_ms, month = self._db_spent
            today = today if last_ds == ds else 0.0  # the period rolled over meanwhile
            month = month if last_ms == ms else 0.0
            stored = set()
            unpriced = self._state.unpriced_requests if self._state is not None else 0
            stale = True
        # Noted requests the ledger has not written yet; forget the ones it has, and old ones.
        self._noted = [n for n in self._noted if n.id not in stored and n.ts >= ms]
        for noted in self._noted:
            if noted.usd is None:
                unpriced += 1
                continue
            month += noted.usd
            if noted.ts >= ds:
                today += noted.usd
        budget = self.settings.budget
        self._state = BudgetState(
            daily_spent_usd=today, daily_cap_usd=max(0.0, budget.daily_usd),
            monthly_spent_usd=month, monthly_cap_usd=max(0.0, budget.monthly_usd),
            warn_fraction=budget.warn_fraction if 0 < budget.warn_fraction <= 1 else 0.8,
            on_exhausted=budget.on_exhausted if budget.on_exhausted in ("local", "ask") else "local",
            day_resets_at=day_end, month_resets_at=month_end, unpriced_requests=unpriced, stale=stale,
        )
        self._refreshed_at = self._monotonic()
        return self._state

    def _read_ledger(self, ds: float, ms: float) -> tuple[float, float, int, set[str]]:
        if not self.ledger_path.exists():
            return 0.0, 0.0, 0, set()
        if self._conn is None:
            self._conn = connect(self.ledger_path, timeout=0.5)
        conn = self._conn
        # One read transaction: the sums and the "already stored" ids come from the same snapshot,
        # so a batch the writer commits in between is counted exactly once.
        conn.execute("BEGIN")
        try:
            return self._read_snapshot(conn, ds, ms)
        finally:
            conn.rollback()

    def _read_snapshot(self, conn: sqlite3.Connection, ds: float, ms: float) -> tuple[float, float, int, set[str]]:
        today = month = 0.0
        unpriced = 0
        for is_today, provider, model, band, n, prompt, completion, cache_read, cache_write in conn.execute(
                _SPEND_SQL, {"ds": ds, "ms": ms}):
            price = self.prices.lookup(model, provider)
            if price is None:
                unpriced += int(n)
                continue
            usd = price_tokens(price, prompt, completion, cache_read, cache_write, band=band).usd
            month += usd
            if is_today:
                today += usd
        stored: set[str] = set()
        ids = [n.id for n in self._noted]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            stored.update(row[0] for row in conn.execute(
                f"SELECT id FROM requests WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
        return today, month, unpriced, stored

    def _close_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
