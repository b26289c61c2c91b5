"""Tools: the detected Continue, Cline and Aider with checkboxes, "Show changes" (the diff of the
configure dry run), where the backups go, and the proxy's access token masked with a Copy button.
Next runs the flow's token and tools steps for the ticked tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPlainTextEdit, QPushButton, QWidget

from hybridcoder.gui.wizard.common import (
    KeyringFallbackOffer,
    WizardContext,
    WizardPage,
    allow_file_fallback,
    keyring_facts,
    label,
)
from hybridcoder.gui.wizard.runner import FlowRunner
from hybridcoder.gui.workers import submit
from hybridcoder.setup_flow import ConfigureTools, GenerateToken, SetupOptions, SetupResult

LABELS = {"continue": "Continue", "cline": "Cline", "aider": "Aider"}


@dataclass(frozen=True)
class ToolsFacts:
    """What the page shows before anything is written (gathered on a worker)."""

    tools: list[Any]  # hybridcoder.clients.detect.ToolPresence
    backups_dir: str
    token: str | None
    #: Why the token cannot be kept (no keyring and no consent to the file), or "".
    token_problem: str = ""


def tools_facts() -> ToolsFacts:
    from hybridcoder.clients.configure import persistent_proxy_token
    from hybridcoder.clients.detect import detect_tools
    from hybridcoder.errors import HybridCoderError
    from hybridcoder.keys import KeyStore
    from hybridcoder.paths import app_paths
    from hybridcoder.settings import Settings

    keys = KeyStore(allow_file_fallback=Settings.load().keys.allow_file_fallback)
    try:
        token: str | None = persistent_proxy_token(keys)
        problem = ""
    except HybridCoderError as exc:
        token, problem = None, exc.message
    return ToolsFacts(detect_tools(), str(app_paths().backups_dir), token, problem)


def tool_diffs(tools: tuple[str, ...]) -> str:
    """The configure dry run as one text: per tool its status line and diff (token masked by the core)."""
    from hybridcoder.keys import KeyStore
    from hybridcoder.settings import Settings
    from hybridcoder.setup_flow import preview_tool_changes

    settings = Settings.load()
    report = preview_tool_changes(settings, KeyStore(allow_file_fallback=settings.keys.allow_file_fallback), tools)
    parts = []
    for tool in report.tools:
        parts.append(f"# {tool.message}")
        if tool.diff:
            parts.append(tool.diff.rstrip())
    return "\n".join(parts) + "\n"


class ToolsPage(WizardPage):
    name = "tools"
    title = "Point your coding tools at Hybrid Coder"
    subtitle = "Only the Hybrid Coder entries are added or updated; your own settings stay, and every file is backed up."

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.checks: dict[str, QCheckBox] = {}
        for name, text in LABELS.items():
            box = QCheckBox(text)
            box.toggled.connect(lambda _on: self.next_changed.emit(self.next_text()))
            self.checks[name] = box
            self.body.addWidget(box)
        row = QHBoxLayout()
        self.show_changes = QPushButton("Show changes")
        self.show_changes.clicked.connect(self.preview)
        row.addWidget(self.show_changes)
        row.addStretch(1)
        self.body.addLayout(row)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.diff.setMinimumHeight(120)
        self.diff.hide()
        self.body.addWidget(self.diff)
        self.backups = label(selectable=True)
        self.body.addWidget(self.backups)
        token_row = QHBoxLayout()
        self.token_label = label(selectable=True)
        token_row.addWidget(self.token_label, 1)
        self.copy = QPushButton("Copy")
        self.copy.setToolTip("Copy the whole token, e.g. for a tool Hybrid Coder does not configure itself")
        self.copy.clicked.connect(self.copy_token)
        self.copy.setEnabled(False)
        token_row.addWidget(self.copy)
        self.body.addLayout(token_row)
        self.keyring = KeyringFallbackOffer()
        self.keyring.consent_changed.connect(self._consent)
        self.body.addWidget(self.keyring)
        self.message = label()
        self.body.addWidget(self.message)
        self.token: str | None = None
        self.runner = FlowRunner(parent=self)
        self.runner.finished.connect(self._step_done)

    def next_text(self) -> str:
        return "Configure" if self.selected() else "Skip"

    def enter(self) -> None:
        self.message.setText("Looking for Continue, Cline and Aider…")
        submit(tools_facts, self.show_facts, self.error.show_error)

    def show_facts(self, facts: ToolsFacts) -> None:
        self.message.setText("")
        for presence in facts.tools:
            box = self.checks[presence.name]
            text = LABELS[presence.name]
            if presence.present:
                box.setText(f"{text} — found: {presence.where[0]}" + (" (already set up)" if presence.configured else ""))
                box.setChecked(True)
                box.setEnabled(True)
            else:
                box.setText(f"{text} — not found on this computer")
                box.setChecked(False)
                box.setEnabled(False)
        self.backups.setText(f"Backups of every changed file go to {facts.backups_dir} "
                             "(undo in Settings or with `hybridcoder configure all --undo`).")
        self.token = facts.token
        from hybridcoder.keys import mask

        if facts.token:
            self.token_label.setText(f"Access token the tools use: {mask(facts.token)}")
        else:
            self.token_label.setText(facts.token_problem)
            submit(keyring_facts, self._offer_file, lambda _m: None)
        self.copy.setEnabled(bool(facts.token))
        self.next_changed.emit(self.next_text())

    def selected(self) -> tuple[str, ...]:
        return tuple(n for n, box in self.checks.items() if box.isChecked() and box.isEnabled())

    def copy_token(self) -> None:
        if self.token:
            QGuiApplication.clipboard().setText(self.token)
            self.message.setText("The access token is on the clipboard.")

    def preview(self) -> None:
        tools = self.selected()
        if not tools:
            self.diff.setPlainText("No tool is ticked, so nothing would change.")
            self.diff.show()
            return
        self.show_changes.setEnabled(False)

        def shown(text: str) -> None:
            self.show_changes.setEnabled(True)
            self.diff.setPlainText(text)
            self.diff.show()

        def failed(message: str) -> None:
            self.show_changes.setEnabled(True)
            self.error.show_error(message)

        submit(lambda: tool_diffs(tools), shown, failed)

    def start(self) -> None:
        tools = self.selected()
        if not tools:
            self.context.tools = ()
            self.completed.emit()
            return
        self.context.tools = tools
        self.error.hide()
        self.message.setText("Writing the settings…")
        self.set_busy(True)
        self.runner.start(SetupOptions(tools=tools), [GenerateToken(), ConfigureTools()])

    def _step_done(self, result: SetupResult) -> None:
        self.set_busy(False)
        self.message.setText("")
        if not self.show_failure(result):
            self.message.setText(result.steps[-1].message)
            self.completed.emit()

    def _offer_file(self, facts: tuple[bool, str, bool]) -> None:
        available, path, allowed = facts
        if not available:
            self.keyring.offer(path, allowed)

    def _consent(self, allowed: bool) -> None:
        def done(_result: object) -> None:
            if allowed:
                self.enter()  # now the token can be kept: show it

        submit(lambda: allow_file_fallback(allowed), done, self.error.show_error)
