"""What the tray, the notifications and the window show about the proxy, refreshed off the UI thread.

:class:`ProxyStatusWatcher` asks the running proxy for its state (``ProxyControl.status``),
today's figures (``compute_figures``, the same numbers as ``hybridcoder stats``) and the
budget every few seconds on a worker, and emits one :class:`StatusSnapshot`. Only one
refresh runs at a time; a widget never computes a figure itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from hybridcoder.gui.workers import run_in_pool
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

REFRESH_MS = 3000
#: Fallbacks counted for the "burst of fallbacks" notification.
FALLBACK_WINDOW_S = 300.0


@dataclass(frozen=True)
class StatusSnapshot:
    """One look at the app's proxy; ``status`` is the control API's ControlStatus (None when stopped)."""

    running: bool
    health: str  # "ready" | "degraded" | "paused" | "error"
    health_reason: str
    status: Any = None
    requests_today: int = 0
    local_share: float | None = None
    saved_usd: float | None = None
    spend_usd: float = 0.0
    budget_exhausted: bool = False
    budget_message: str | None = None
    recent_fallbacks: int = 0

    @property
    def tooltip(self) -> str:
        """The tray tooltip: state, then today's local share and money saved."""
        lines = [f"Hybrid Coder — {HEALTH_WORDS.get(self.health, self.health)}"]
        if self.health_reason and self.health != "ready":
            lines.append(self.health_reason)
        if self.requests_today and self.local_share is not None:
            plural = "" if self.requests_today == 1 else "s"
            today = f"Today: {self.local_share:.0%} local of {self.requests_today:,} request{plural}"
            if self.saved_usd is not None:
                saved = "under $0.01" if 0 < self.saved_usd < 0.005 else f"${self.saved_usd:,.2f}"
                today += f", {saved} saved"
            lines.append(today)
        elif self.running:
            lines.append("Today: no requests yet")
        return "\n".join(lines)


HEALTH_WORDS = {"ready": "ready", "degraded": "degraded", "paused": "paused", "error": "not working"}


def is_fallback(request: Any) -> bool:
    """A recent request that went to the cloud because the local model failed (not by choice)."""
    reason = str(getattr(request, "reason", "") or "").lower()
    route = str(getattr(request, "route", "") or "")
    return route == "cloud" and ("fallback" in reason or reason.startswith("local_") or "fell back" in reason)


def take_snapshot(service: Any, settings: Settings, start_error: str | None,
                  starting: bool = False) -> StatusSnapshot:
    """Everything the tray shows, read in one go (blocking: SQLite; call from a worker)."""
    control = getattr(service, "control", None) if getattr(service, "running", False) else None
    if control is None:
        if starting:
            return StatusSnapshot(False, "paused", "Starting the proxy…")
        if start_error:
            return StatusSnapshot(False, "error", start_error)
        complete = getattr(service, "setup_complete", None)
        if complete is not None and not complete():
            return StatusSnapshot(False, "paused", "Setup is not finished; open Hybrid Coder to finish it.")
        return StatusSnapshot(False, "error", "The proxy is not running; choose Retry to start it.")
    status = control.status()
    fields: dict[str, Any] = {}
    ledger_path = getattr(service, "ledger_path", None)
    if ledger_path is not None:
        try:
            from hybridcoder.analytics import compute_figures

            figures = compute_figures(ledger_path, settings, "today")
            fields.update(requests_today=figures.requests, local_share=figures.route("local").request_share,
                          saved_usd=figures.savings.list_price_usd, spend_usd=figures.spend.usd)
        except Exception as exc:  # an unreadable ledger must not take the tray down
            log.info("today's figures unavailable: %s", type(exc).__name__)
        if settings.budget.daily_usd > 0 or settings.budget.monthly_usd > 0:
            try:
                from hybridcoder.analytics.budget import BudgetTracker

                tracker = BudgetTracker(ledger_path, settings)
                try:
                    budget = tracker.refresh()
                finally:
                    tracker.close()
                fields.update(budget_exhausted=budget.exhausted, budget_message=budget.message())
            except Exception as exc:
                log.info("budget state unavailable: %s", type(exc).__name__)
    try:
        now = time.time()
        recent = control.recent_requests(50)
        fields["recent_fallbacks"] = sum(
            1 for r in recent if is_fallback(r) and now - float(r.time) <= FALLBACK_WINDOW_S)
    except Exception as exc:
        log.info("recent requests unavailable: %s", type(exc).__name__)
    return StatusSnapshot(True, status.health, status.health_reason, status, **fields)


class ProxyStatusWatcher(QObject):
    """Emits ``updated(StatusSnapshot)`` every few seconds and after ``refresh_now()``."""

    updated = Signal(object)

    def __init__(self, service: Any, settings: Settings, parent: QObject | None = None,
                 interval_ms: int = REFRESH_MS) -> None:
        super().__init__(parent)
        self.service = service
        self.settings = settings
        self.start_error: str | None = None
        #: The app is starting the proxy right now (so "not running" is not a problem yet).
        self.starting = False
        self.last: StatusSnapshot | None = None
        self._busy = False
        self._again = False
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh_now)

    def start(self) -> None:
        self._stopped = False
        self._timer.start()
        self.refresh_now()

    def stop(self) -> None:
        """No more snapshots, not even from a refresh still running (the app is quitting)."""
        self._stopped = True
        self._timer.stop()

    def refresh_now(self) -> None:
        """Take a new snapshot in the background (coalesced when one is already running)."""
        if self._stopped:
            return
        if self._busy:
            self._again = True
            return
        self._busy = True
        run_in_pool(take_snapshot, self.service, self.settings, self.start_error, self.starting,
                    on_done=self._arrived, on_error=self._failed)

    def _arrived(self, snapshot: StatusSnapshot) -> None:
        self._busy = False
        if self._stopped:
            return
        self.last = snapshot
        self.updated.emit(snapshot)
        if self._again:
            self._again = False
            self.refresh_now()

    def _failed(self, message: str) -> None:
        self._busy = False
        if self._stopped:
            return
        snapshot = StatusSnapshot(bool(getattr(self.service, "running", False)), "error", message)
        self.last = snapshot
        self.updated.emit(snapshot)
        if self._again:
            self._again = False
            self.refresh_now()
