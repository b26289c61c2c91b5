"""The first-run wizard: a stack of pages, each driving one or a few steps of the core's SetupFlow.

Welcome offers the one-button path (every step with the recommended choices, on the run-all page)
or the pages one by one: hardware → Ollama → models → cloud → tools → test → done. Next runs the
current page's step on a worker and moves on when it succeeded; Back returns; Cancel stops the
running step (its state is kept, so the next try resumes). The UI thread only draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.gui.wizard.cloud_page import CloudPage
from hybridcoder.gui.wizard.common import WizardContext, WizardPage
from hybridcoder.gui.wizard.done_page import DonePage
from hybridcoder.gui.wizard.hardware_page import HardwarePage
from hybridcoder.gui.wizard.models_page import ModelsPage
from hybridcoder.gui.wizard.ollama_page import OllamaPage
from hybridcoder.gui.wizard.run_all_page import RunAllPage
from hybridcoder.gui.wizard.test_page import TestPage
from hybridcoder.gui.wizard.tools_page import ToolsPage
from hybridcoder.gui.wizard.welcome_page import WelcomePage

if TYPE_CHECKING:
    from hybridcoder.app_service import ProxyService

#: The customize path, in order.
STEP_PAGES = ("hardware", "ollama", "models", "cloud", "tools", "test", "done")


class SetupWizard(QWidget):
    """``setup_finished`` when the person pressed Finish; ``open_dashboard_requested`` for the dashboard."""

    setup_finished = Signal()
    open_dashboard_requested = Signal()

    def __init__(self, service: ProxyService | None, parent: QWidget | None = None, *,
                 look_around: bool = True) -> None:
        """``look_around=False`` builds the pages without starting any work (screenshots)."""
        super().__init__(parent)
        self.setWindowTitle("Set up Hybrid Coder")
        self.setMinimumSize(640, 520)
        self.resize(760, 600)  # the run-all page's checklist, two download bars and a question fit
        self.context = WizardContext(service)
        self.welcome = WelcomePage(self.context)
        self.hardware = HardwarePage(self.context)
        self.ollama = OllamaPage(self.context)
        self.models = ModelsPage(self.context)
        self.cloud = CloudPage(self.context)
        self.tools = ToolsPage(self.context)
        self.test = TestPage(self.context)
        self.done = DonePage(self.context)
        self.run_all = RunAllPage(self.context)
        self.pages: dict[str, WizardPage] = {p.name: p for p in (
            self.welcome, self.hardware, self.ollama, self.models, self.cloud, self.tools, self.test, self.done,
            self.run_all)}
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
            page.completed.connect(lambda p=page: self._completed(p))
            page.busy_changed.connect(lambda _busy: self._update_nav())
            page.next_changed.connect(lambda _text: self._update_nav())
        self.welcome.run_all_requested.connect(lambda: self.show_page("run_all"))
        self.welcome.customize_requested.connect(lambda: self.show_page("hardware"))
        self.done.open_dashboard.connect(self.open_dashboard_requested.emit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 12)
        self.step_label = QLabel()
        self.step_label.setContentsMargins(24, 12, 24, 0)
        layout.addWidget(self.step_label)
        layout.addWidget(self.stack, 1)
        nav = QHBoxLayout()
        nav.setContentsMargins(24, 0, 24, 0)
        self.back_button = QPushButton("&Back")
        self.back_button.clicked.connect(self.back)
        nav.addWidget(self.back_button)
        nav.addStretch(1)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        nav.addWidget(self.cancel_button)
        self.next_button = QPushButton("Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)
        self.history: list[str] = []
        self.show_page("welcome", enter=look_around)

    @property
    def current(self) -> WizardPage:
        page = self.stack.currentWidget()
        assert isinstance(page, WizardPage)
        return page

    def show_page(self, name: str, *, enter: bool = True) -> WizardPage:
        """Show a page; ``enter=False`` shows it without starting its look-around (screenshots)."""
        if self.stack.currentWidget() is not None and self.current.name != name:
            self.history.append(self.current.name)
        page = self.pages[name]
        self.stack.setCurrentWidget(page)
        if name in STEP_PAGES:
            self.step_label.setText(f"Step {STEP_PAGES.index(name) + 1} of {len(STEP_PAGES)}")
        else:
            self.step_label.setText("")
        if enter:
            page.enter()
        self._update_nav()
        return page

    def next(self) -> None:
        page = self.current
        if page.busy:
            return
        page.start()

    def back(self) -> None:
        if self.current.busy or not self.history:
            return
        previous = self.history.pop()
        self.stack.setCurrentWidget(self.pages[previous])
        self.step_label.setText(f"Step {STEP_PAGES.index(previous) + 1} of {len(STEP_PAGES)}"
                                if previous in STEP_PAGES else "")
        self._update_nav()

    def cancel(self) -> None:
        self.current.cancel()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        """Enter presses the focused button, else the page's main one (a plain window, unlike a dialog,
        has no default button of its own)."""
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            focused = QApplication.focusWidget()
            main = self.welcome.run_all if self.current is self.welcome else self.next_button
            # ... or, after a failure that greys Next, the error panel's Retry.
            for button in (focused, main, self.current.error.retry_button):
                if isinstance(button, QPushButton) and button.isVisible() and button.isEnabled():
                    button.animateClick()
                    return
        super().keyPressEvent(event)

    def _completed(self, page: WizardPage) -> None:
        if page is not self.current:
            return
        if page.name == "done":
            self.setup_finished.emit()
            return
        if page.name == "run_all":
            self.show_page("done")
            self.step_label.setText("")  # the one-button path has no numbered steps
            return
        order = list(STEP_PAGES)
        if page.name in order:
            self.show_page(order[order.index(page.name) + 1])

    def _update_nav(self) -> None:
        page = self.current
        self.next_button.setText(page.next_text())
        self.next_button.setEnabled(not page.busy and page.can_go_next())
        self.next_button.setVisible(page.name != "welcome")
        self.cancel_button.setVisible(page.busy and page.cancellable)
        self.back_button.setEnabled(bool(self.history) and not page.busy)
        self.back_button.setVisible(page.name != "welcome")

    def shutdown(self) -> None:
        """Cancel whatever runs (the app calls this before quitting); the flow keeps its state."""
        for page in self.pages.values():
            page.cancel()
        if self.context.owns_service and self.context.service is not None:
            self.context.service.stop()
