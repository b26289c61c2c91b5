"""The main window: the Dashboard and Settings pages, with the proxy's state along the top.

Closing the window only hides it (the app, the tray and the proxy keep running); Quit
(menu or Ctrl+Q) is the way out. A problem with the proxy shows as one sentence with
Retry and details; it disappears by itself once the next status no longer has it.
Never blocks: the status comes from the app's watcher, the pages run their own workers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.gui.app_settings import SettingsKeeper
from hybridcoder.gui.error_banner import ErrorBanner
from hybridcoder.gui.icons import app_icon
from hybridcoder.gui.proxy_status import HEALTH_WORDS, StatusSnapshot
from hybridcoder.gui.settings_page import SettingsPage

log = logging.getLogger(__name__)

PAGES = (("dashboard", "Dashboard"), ("settings", "Settings"))
MINIMUM_SIZE = QSize(760, 540)


def _ledger_path(service: Any) -> Path:
    path = getattr(service, "ledger_path", None)
    if path is not None:
        return Path(path)
    from hybridcoder.paths import app_paths

    return app_paths().ledger_file


def _build_dashboard(service: Any, keeper: SettingsKeeper) -> QWidget:
    """B3's DashboardView, or a placeholder when this build has none."""
    try:
        from hybridcoder.gui.dashboard import DashboardView
    except ImportError as exc:
        log.info("dashboard not available: %s", exc)
        placeholder = QLabel("The dashboard is not available in this build.\n"
                             "`hybridcoder stats` shows the same numbers in the terminal.")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setWordWrap(True)
        return placeholder
    control = getattr(service, "control", None) if getattr(service, "running", False) else None
    try:
        return DashboardView(_ledger_path(service), control, settings=keeper.settings)
    except TypeError:  # an older DashboardView without the settings keyword
        return DashboardView(_ledger_path(service), control)


class MainWindow(QMainWindow):
    """Dashboard and Settings; ``show_page("dashboard" | "settings")``."""

    #: The user pressed Retry on a proxy problem (the app restarts the proxy).
    retry_requested = Signal()
    #: Quit from the menu or Ctrl+Q.
    quit_requested = Signal()

    def __init__(self, service: Any, keeper: SettingsKeeper | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.keeper = keeper or SettingsKeeper(service, parent=self)
        self.setWindowTitle("Hybrid Coder")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(MINIMUM_SIZE)
        self.resize(980, 700)
        self._control: Any = None
        #: The banner shows a problem from the proxy's status (cleared when the status no longer has it).
        self._banner_from_status = False

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = ErrorBanner()
        layout.addWidget(self.banner)
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(8, 8, 8, 8)
        self.nav = QListWidget()
        self.nav.setAccessibleName("Pages")
        self.nav.setFixedWidth(150)
        self.nav.setFrameShape(QListWidget.Shape.NoFrame)
        self.stack = QStackedWidget()
        self.dashboard = _build_dashboard(service, self.keeper)
        self.settings_page = SettingsPage(service, self.keeper)
        self._pages: dict[str, QWidget] = {"dashboard": self.dashboard, "settings": self.settings_page}
        for name, label in PAGES:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setSizeHint(QSize(140, 34))
            self.nav.addItem(item)
            self.stack.addWidget(self._pages[name])
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        layout.addWidget(body, 1)
        self.setCentralWidget(central)
        self.state_label = QLabel("Starting the proxy…")
        self.statusBar().addWidget(self.state_label, 1)
        self._build_menu()
        self.nav.setCurrentRow(0)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Hybrid Coder")
        for index, (name, label) in enumerate(PAGES, start=1):
            action = QAction(label, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index}"))
            action.triggered.connect(lambda _checked=False, n=name: self.show_page(n))
            menu.addAction(action)
        menu.addSeparator()
        close = QAction("Close window", self)
        close.setShortcut(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.close)
        menu.addAction(close)
        self.quit_action = QAction("Quit Hybrid Coder", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        menu.addAction(self.quit_action)
        self.addAction(self.quit_action)  # Ctrl+Q works even while the menu bar is hidden

    def add_proxy_menu(self, tray: Any) -> QMenu:
        """The tray's quick controls in the menu bar too: where the desktop has no tray (GNOME without
        AppIndicator), this window is the only way to pause, switch mode or start Ollama."""
        menu = self.menuBar().addMenu("&Proxy")
        menu.addAction(tray.start_ollama_action)
        menu.addMenu(tray.routing_menu)
        menu.addAction(tray.next_to_cloud_action)
        menu.addMenu(tray.models_menu)
        menu.addAction(tray.pause_action)
        self.proxy_menu = menu
        return menu

    # -- pages -------------------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        """Bring the window up on one page ("dashboard" or "settings")."""
        if name not in self._pages:
            raise ValueError(f"unknown page {name!r}")
        self.nav.setCurrentRow([n for n, _ in PAGES].index(name))
        self.show()
        self.setWindowState((self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
        if QGuiApplication.platformName() not in ("offscreen", "minimal"):  # they cannot raise windows
            self.raise_()
            self.activateWindow()

    @property
    def current_page(self) -> str:
        return PAGES[self.stack.currentIndex()][0]

    # -- state ------------------------------------------------------------------------------------
    def update_status(self, snapshot: StatusSnapshot) -> None:
        """Show the proxy's state; a problem that is gone is taken off the screen."""
        status = snapshot.status
        if snapshot.health == "error":
            self._status_problem(snapshot.health_reason or "The proxy is not working.", snapshot,
                                 self.retry_requested.emit)
        elif snapshot.health == "degraded":
            self._status_problem(snapshot.health_reason or "Part of the proxy is not working.", snapshot, None)
        elif self._banner_from_status:
            self._banner_from_status = False
            self.banner.clear()
        if status is not None:
            words = HEALTH_WORDS.get(snapshot.health, snapshot.health)
            self.state_label.setText(f"Proxy {words} at {status.url} · mode {status.mode}"
                                     + (" · paused" if status.paused else ""))
        else:
            self.state_label.setText("Proxy not running")
        control = getattr(self.service, "control", None) if snapshot.running else None
        if control is not self._control:
            self._control = control
            set_control = getattr(self.dashboard, "set_control", None)
            if set_control is not None:
                set_control(control)

    def _status_problem(self, message: str, snapshot: StatusSnapshot, retry: Any) -> None:
        """A problem the status reports; it stays exactly as long as the status has it."""
        if self._banner_from_status and self.banner.text() == message:
            return  # unchanged: keep the details the user may have opened
        self._banner_from_status = True
        self.banner.show_error(message, details=self._details(snapshot), retry=retry, dismissable=False)

    @staticmethod
    def _details(snapshot: StatusSnapshot) -> str:
        from hybridcoder.paths import app_paths

        log_line = f"Log file: {app_paths().log_file}"
        status = snapshot.status
        if status is None:
            return log_line
        return (f"Local model: {status.local_state}\nCloud: {status.cloud_state}\n"
                f"Mode: {status.mode}\nProxy: {status.url}\n{log_line}")

    def show_message(self, message: str) -> None:
        """A notification's sentence, shown where the user looks when there is no tray.

        A problem already on screen (with its Retry) stays: it is the more useful of the two.
        """
        if self._banner_from_status and not self.banner.isHidden():
            return
        self._banner_from_status = False
        self.banner.show_error(message)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        """Closing hides the window; the app keeps serving your tools until Quit."""
        event.ignore()
        self.hide()
