"""Done: what to do next (reload VS Code), start at login (on by default) and the dashboard.

Finish applies the start-at-login choice (``hybridcoder.autostart``) on a worker, then the wizard
emits ``setup_finished``; "Open the dashboard" also asks the app to show it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QWidget

from hybridcoder.gui.wizard.common import WizardContext, WizardPage, label
from hybridcoder.gui.workers import submit

NEXT_STEPS = (
    "Reload VS Code (Ctrl+Shift+P → “Developer: Reload Window”) so Continue and Cline pick up the new settings, "
    "then choose “Hybrid Coder” as the model.",
    "Aider reads its settings when it starts: just run `aider` in your project.",
    "Hybrid Coder keeps running in the tray (or in its window where there is no tray); your tools need it running.",
)


def apply_start_at_login(enabled: bool) -> None:
    from hybridcoder import autostart

    if enabled:
        autostart.enable()
    else:
        autostart.disable()


class DonePage(WizardPage):
    name = "done"
    title = "All set"
    subtitle = "Hybrid Coder is running and your tools point at it."

    open_dashboard = Signal()

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.summary = label(selectable=True)
        self.body.addWidget(self.summary)
        self.body.addWidget(label("What next:", bold=True))
        self.next_steps = label("\n".join(f"•  {line}" for line in NEXT_STEPS))
        self.body.addWidget(self.next_steps)
        self.start_at_login = QCheckBox("Start Hybrid Coder when I log in (recommended: your tools need it)")
        self.start_at_login.setChecked(True)
        self.body.addWidget(self.start_at_login)
        row = QHBoxLayout()
        self.dashboard = QPushButton("Open the dashboard")
        self.dashboard.clicked.connect(self._open_dashboard)
        row.addWidget(self.dashboard)
        row.addStretch(1)
        self.body.addLayout(row)
        self._dashboard_wanted = False

    def next_text(self) -> str:
        return "Finish"

    def enter(self) -> None:
        result = self.context.last_result
        if result is not None:
            lines = [line for line in result.summary if not line.startswith("Next:")]
            self.summary.setText("\n".join(lines))

    def _open_dashboard(self) -> None:
        self._dashboard_wanted = True
        self.start()

    def start(self) -> None:
        enabled = self.start_at_login.isChecked()
        self.set_busy(True)
        submit(lambda: apply_start_at_login(enabled), self._applied, self._failed)

    def _applied(self, _result: object) -> None:
        self.set_busy(False)
        if self._dashboard_wanted:
            self.open_dashboard.emit()
        self.completed.emit()

    def _failed(self, message: str) -> None:
        self.set_busy(False)
        self.error.show_error(message)
        self.error.retry_button.setText("Try again")
