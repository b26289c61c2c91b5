"""Done: what to do next (reload VS Code), start at login (on by default) and the dashboard.

Finish applies the start-at-login choice (``hybridcoder.autostart``) on a worker, then the wizard
emits ``setup_finished``; "Open the dashboard" also asks the app to show it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QWidget

from hybridcoder.gui.wizard.common import WizardContext, WizardPage, label
from hybridcoder.gui.workers import submit

RELOAD_VSCODE = ("Reload VS Code (Ctrl+Shift+P → “Developer: Reload Window”) so {names} pick{s} up the new "
                 "settings, then choose “Hybrid Coder” as the model.")
AIDER = "Aider reads its settings when it starts: just run `aider` in your project."
NO_TOOL = ("No coding tool was found to point at Hybrid Coder. Install Continue or Cline (VS Code) or Aider, then "
           "run `hybridcoder configure all`.")
KEEP_RUNNING = ("Hybrid Coder keeps running in the tray (or in its window where there is no tray); your tools need "
                "it running.")
#: Before the flow has said which tools it configured (and in screenshots).
NEXT_STEPS = (RELOAD_VSCODE.format(names="Continue and Cline", s=""), AIDER, KEEP_RUNNING)


def next_steps(configured: list[str] | None) -> list[str]:
    """What to do next, for the tools setup actually configured (None: not known)."""
    if configured is None:
        return list(NEXT_STEPS)
    editors = [name for tool, name in (("continue", "Continue"), ("cline", "Cline")) if tool in configured]
    lines = []
    if editors:
        lines.append(RELOAD_VSCODE.format(names=" and ".join(editors), s="" if len(editors) > 1 else "s"))
    if "aider" in configured:
        lines.append(AIDER)
    if not lines:
        lines.append(NO_TOOL)
    return [*lines, KEEP_RUNNING]


def configured_tools() -> list[str] | None:
    """The tools the flow's tools step configured, from its saved state (read on a worker)."""
    from hybridcoder.setup_flow import SetupState

    step = SetupState().step("tools")
    if step.get("status") != "done":
        return None
    return [str(tool) for tool in step.get("detail", {}).get("configured", [])]


def apply_start_at_login(enabled: bool) -> None:
    from hybridcoder import autostart

    if enabled:
        autostart.enable()
    else:
        autostart.disable()


class DonePage(WizardPage):
    name = "done"
    title = "All set"
    subtitle = "Hybrid Coder is running."

    open_dashboard = Signal()

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.summary = label(selectable=True)
        self.body.addWidget(self.summary)
        self.body.addWidget(label("What next:", bold=True))
        self.next_steps = label()
        self._show_next_steps(None)
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
        submit(configured_tools, self._show_next_steps, lambda _message: None)

    def _show_next_steps(self, configured: list[str] | None) -> None:
        self.next_steps.setText("\n".join(f"•  {line}" for line in next_steps(configured)))

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
