"""Qt checks for ``hybridcoder --self-test`` and for timing the frozen app's first window.

``open_main_window_offscreen`` builds the real main window (with a proxy service that is never
started), shows it, lets Qt paint it once and closes it. ``report_first_window`` is for
``scripts/build``: it prints how long after process start the first top-level window became visible,
then exits the process. Neither starts the proxy or touches settings.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QApplication

#: Set to 1 to make the app print "first window shown after N.NNN s" and exit (scripts/build).
FIRST_WINDOW_ENV = "HYBRIDCODER_REPORT_FIRST_WINDOW"


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication(sys.argv[:1])


def open_main_window_offscreen() -> str:
    """Build, show and close the real main window; returns what was shown."""
    app = _application()
    from hybridcoder.app_service import ProxyService
    from hybridcoder.gui.main_window import MainWindow

    service = ProxyService()
    window = MainWindow(service)
    try:
        window.show()
        app.processEvents()
        if not window.isVisible():
            raise RuntimeError("the main window did not become visible")
        grabbed = window.grab()
        if grabbed.isNull():
            raise RuntimeError("the main window could not be painted")
        title = window.windowTitle()
        size = f"{grabbed.width()}x{grabbed.height()}"
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
    return f"main window '{title}' shown and painted {size} on '{app.platformName()}'"


def _process_start() -> float:
    """Seconds since the epoch when this process started (as the OS counts it)."""
    try:
        import psutil

        return float(psutil.Process().create_time())
    except Exception:  # no psutil: the earliest clock we have
        return time.time() - time.perf_counter()


class _FirstWindow(QObject):
    def __init__(self, started: float) -> None:
        super().__init__()
        self.started = started

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        # A widget window is on screen once its QWindow is exposed (after the first paint is possible).
        if event.type() == QEvent.Type.Expose and isinstance(watched, QWindow) and watched.isExposed():
            elapsed = time.time() - self.started
            sys.stdout.write(f"first window shown after {elapsed:.3f} s ({watched.title() or 'untitled'})\n")
            sys.stdout.flush()
            os._exit(0)  # a measurement run: nothing to save, and no shutdown to wait for
        return False


def report_first_window() -> None:
    """Install the first-window probe on the (new or existing) QApplication."""
    app = _application()
    probe = _FirstWindow(_process_start())
    app.installEventFilter(probe)
    app.setProperty("hybridcoder_first_window_probe", True)
    _PROBES.append(probe)


_PROBES: list[_FirstWindow] = []
