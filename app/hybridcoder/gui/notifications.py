"""Notifications for what needs the user: Ollama stopped, a burst of fallbacks, the budget reached.

:class:`Notifier` watches the status snapshots and raises a notification when one of
these starts being true — never more than one per cause every few minutes, so a flapping
Ollama does not bury the desktop. It shows them through the tray icon when a tray exists
and always emits ``notified`` (the main window shows the same sentence in its banner).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from hybridcoder.gui.proxy_status import StatusSnapshot

#: At most one notification per cause in this many seconds.
QUIET_S = 300.0
#: This many fallbacks to the cloud within the watcher's window is a "burst".
FALLBACK_BURST = 3

CAUSES = ("ollama_stopped", "fallbacks", "budget")


class Notifier(QObject):
    """Turns state changes into throttled notifications; ``notify`` is also usable directly."""

    notified = Signal(str, str, str)  # cause, title, message

    def __init__(self, tray: QSystemTrayIcon | None = None, parent: QObject | None = None, *,
                 quiet_s: float = QUIET_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.tray = tray
        self.quiet_s = quiet_s
        self._clock = clock
        self._last_sent: dict[str, float] = {}
        self._active: set[str] = set()

    def notify(self, cause: str, title: str, message: str) -> bool:
        """Show one notification unless this cause was shown within the quiet period."""
        now = self._clock()
        last = self._last_sent.get(cause)
        if last is not None and now - last < self.quiet_s:
            return False
        self._last_sent[cause] = now
        self.tell(title, message)
        self.notified.emit(cause, title, message)
        return True

    def tell(self, title: str, message: str) -> None:
        """Show one message through the tray now (no throttle: for answers to the user's own clicks)."""
        tray = self.tray
        if tray is not None and tray.isVisible() and QSystemTrayIcon.supportsMessages():
            tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 10000)

    def observe(self, snapshot: StatusSnapshot) -> None:
        """Notify for each cause that has just become true (a cause must clear before it repeats)."""
        for cause, title, message in self._conditions(snapshot):
            if message is None:
                self._active.discard(cause)
            elif cause not in self._active:
                self._active.add(cause)
                self.notify(cause, title, message)

    @staticmethod
    def _conditions(snapshot: StatusSnapshot) -> list[tuple[str, str, str | None]]:
        status: Any = snapshot.status
        ollama_down = status is not None and getattr(status, "local_state", "") == "down"
        cloud_works = status is not None and getattr(status, "cloud_available", False)
        return [
            ("ollama_stopped", "Ollama stopped",
             ("Ollama stopped answering; requests go to the cloud until it is back — start it with `ollama serve`."
              if cloud_works else
              "Ollama stopped answering, so local requests fail — start it with `ollama serve`.")
             if ollama_down else None),
            ("fallbacks", "Local model keeps failing",
             f"{snapshot.recent_fallbacks} requests fell back to the cloud in the last few minutes; "
             "check the dashboard for what failed." if snapshot.recent_fallbacks >= FALLBACK_BURST else None),
            ("budget", "Cloud budget reached",
             (snapshot.budget_message or "The cloud budget is used up; requests stay local.")
             if snapshot.budget_exhausted else None),
        ]
