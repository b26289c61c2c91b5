"""The control panel window: proxy on/off, routing mode, and the health checks.

A thin client of the core: every action calls a core API through ``workers.submit``
and updates widgets from the result signal. Never blocks the event loop.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.analytics import compute_figures
from hybridcoder.doctor import run_checks
from hybridcoder.gui.workers import submit
from hybridcoder.paths import app_paths
from hybridcoder.proxy.server import ProxyServer
from hybridcoder.routing.learning import Learner
from hybridcoder.settings import Settings

LEVEL_MARKS = {"ok": "✔", "warning": "⚠", "problem": "✖", "info": "•"}
MODES = [("auto", "Auto: the router decides"), ("local", "Local only"), ("cloud", "Cloud only")]


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings.load()
        self.proxy: ProxyServer | None = None
        self.setWindowTitle("Hybrid Coder")
        self.resize(720, 520)

        central = QWidget()
        layout = QVBoxLayout(central)

        proxy_box = QGroupBox("Routing proxy")
        form = QFormLayout(proxy_box)
        self.proxy_status = QLabel("Stopped")
        self.proxy_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.proxy_button = QPushButton("Start proxy")
        self.proxy_button.clicked.connect(self.toggle_proxy)
        row = QHBoxLayout()
        row.addWidget(self.proxy_status, 1)
        row.addWidget(self.proxy_button)
        form.addRow("Status:", row)
        self.mode_box = QComboBox()
        for value, label in MODES:
            self.mode_box.addItem(label, value)
        values = [value for value, _ in MODES]
        mode = self.settings.routing.mode
        self.mode_box.setCurrentIndex(values.index(mode) if mode in values else 0)
        self.mode_box.currentIndexChanged.connect(self.change_mode)
        form.addRow("Routing:", self.mode_box)
        self.learning_label = QLabel("")
        self.reset_learning_button = QPushButton("Reset learning")
        self.reset_learning_button.setToolTip(
            "Forget which kinds of request failed locally and went to the cloud.")
        self.reset_learning_button.clicked.connect(self.reset_learning)
        learning_row = QHBoxLayout()
        learning_row.addWidget(self.learning_label, 1)
        learning_row.addWidget(self.reset_learning_button)
        form.addRow("Learning:", learning_row)
        self.usage_label = QLabel("")
        form.addRow("Today:", self.usage_label)
        layout.addWidget(proxy_box)

        checks_box = QGroupBox("Health checks")
        checks_layout = QVBoxLayout(checks_box)
        self.checks = QListWidget()
        self.checks.setWordWrap(True)
        checks_layout.addWidget(self.checks)
        self.refresh_button = QPushButton("Check again")
        self.refresh_button.clicked.connect(self.refresh_checks)
        checks_layout.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(checks_box, 1)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.setCentralWidget(central)
        self.refresh_checks()

    # -- health checks ------------------------------------------------------------------
    def refresh_checks(self) -> None:
        """The "Check again" button: health checks and today's usage, both in the background."""
        self.refresh_usage()
        self.refresh_button.setEnabled(False)
        self.checks.clear()
        self.checks.addItem("Checking this machine…")
        settings = self.settings
        submit(lambda: run_checks(settings), self._show_checks, self._show_error)

    def _show_checks(self, checks: list[Any]) -> None:
        self.checks.clear()
        for check in checks:
            text = f"{LEVEL_MARKS.get(check.level, '•')}  {check.text}"
            if check.fix:
                text += f"\n      → {check.fix}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, check.level)
            self.checks.addItem(item)
        self.refresh_button.setEnabled(True)

    # -- usage and learning ---------------------------------------------------------------
    def refresh_usage(self) -> None:
        settings = self.settings

        def summary() -> tuple[str, str]:
            figures = compute_figures(app_paths().ledger_file, settings, "today")
            local = figures.route("local")
            saved = figures.savings.list_price_usd
            usage = (f"{figures.requests:,} requests, {local.request_share:.0%} answered locally, "
                     f"cloud spend ${figures.spend.usd:,.2f}"
                     + (f", saved ${saved:,.2f} at list price" if saved is not None else ""))
            learned = Learner(enabled=settings.routing.learning, autosave=False).stats()
            learning = (f"{learned['examples']} escalations learned from, "
                        f"{learned['avoided_round_trips']} round trips avoided")
            return usage, learning

        submit(summary, self._show_usage, self._show_error)

    def _show_usage(self, texts: tuple[str, str]) -> None:
        self.usage_label.setText(texts[0])
        self.learning_label.setText(texts[1])

    def reset_learning(self) -> None:
        def reset() -> None:
            Learner(autosave=False).reset()

        submit(reset, self._learning_reset, self._show_error)

    def _learning_reset(self, _result: object) -> None:
        self.message.setText("Routing forgot what it learned; a running proxy picks this up when it restarts.")
        self.refresh_usage()

    # -- proxy --------------------------------------------------------------------------
    def toggle_proxy(self) -> None:
        self.proxy_button.setEnabled(False)
        if self.proxy is None:
            self.proxy_status.setText("Starting…")
            settings = self.settings
            submit(lambda: ProxyServer(settings).start(), self._proxy_started, self._proxy_failed)
        else:
            proxy, self.proxy = self.proxy, None
            self.proxy_status.setText("Stopping…")
            submit(proxy.stop, lambda _: self._proxy_stopped(), self._proxy_failed)

    def _proxy_started(self, proxy: ProxyServer) -> None:
        self.proxy = proxy
        self.proxy_status.setText(f"Running at {proxy.url}")
        self.proxy_button.setText("Stop proxy")
        self.proxy_button.setEnabled(True)

    def _proxy_stopped(self) -> None:
        self.proxy_status.setText("Stopped")
        self.proxy_button.setText("Start proxy")
        self.proxy_button.setEnabled(True)

    def _proxy_failed(self, message: str) -> None:
        self._proxy_stopped()
        self._show_error(message)

    # -- settings -----------------------------------------------------------------------
    def change_mode(self, index: int) -> None:
        self.settings.routing.mode = str(self.mode_box.itemData(index))
        settings = self.settings
        submit(settings.save, lambda _: self.message.setText(
            "Routing mode saved; it applies the next time the proxy starts."
            if self.proxy is not None else "Routing mode saved."), self._show_error)

    def _show_error(self, message: str) -> None:
        self.message.setText(message)
        self.refresh_button.setEnabled(True)

    def shutdown(self) -> None:
        """Stop the proxy and let running jobs finish, synchronously on quit (the only blocking call, at exit)."""
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        QThreadPool.globalInstance().waitForDone(10000)

    def closeEvent(self, event: Any) -> None:  # Qt's method name
        self.shutdown()
        super().closeEvent(event)
