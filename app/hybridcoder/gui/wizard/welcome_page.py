"""Welcome: one large "Set up everything (recommended)" button, or the step-by-step path.

On a machine without an OS keyring the consented private-file fallback is offered right here, so
the one-button run can keep the proxy's access token (the tools need it after a restart).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from hybridcoder.gui.wizard.common import (
    KeyringFallbackOffer,
    WizardContext,
    WizardPage,
    allow_file_fallback,
    keyring_facts,
    label,
)
from hybridcoder.gui.workers import submit
from hybridcoder.machine_overview import MachineOverview, machine_overview
from hybridcoder.recommend import format_gb


class WelcomePage(WizardPage):
    name = "welcome"
    title = "Welcome to Hybrid Coder"
    subtitle = ("A local coding model for routine work and a cloud model for the hard parts, behind one "
                "address your editor already knows how to use.")

    run_all_requested = Signal()
    customize_requested = Signal()

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.body.addSpacing(12)
        self.run_all = QPushButton("Set up everything (recommended)")
        self.run_all.setMinimumHeight(56)
        font = self.run_all.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.run_all.setFont(font)
        self.run_all.setDefault(True)
        self.run_all.clicked.connect(self.run_all_requested.emit)
        self.body.addWidget(self.run_all)
        self.body.addWidget(label(
            "Picks the models that fit this computer, installs Ollama if it is missing (it asks first), downloads "
            "the models, asks for an optional cloud key, points Continue, Cline and Aider at Hybrid Coder (with "
            "backups) and sends a test request."))
        self.plan = label()
        self.body.addWidget(self.plan)
        row = QHBoxLayout()
        self.customize = QPushButton("Customize each step…")
        self.customize.setFlat(True)
        self.customize.clicked.connect(self.customize_requested.emit)
        row.addWidget(self.customize)
        row.addStretch(1)
        self.body.addLayout(row)
        self.keyring = KeyringFallbackOffer()
        self.keyring.consent_changed.connect(self._consent)
        self.body.addWidget(self.keyring)
        self.body.setAlignment(self.run_all, Qt.AlignmentFlag.AlignTop)

    def next_text(self) -> str:
        return "Customize"

    def enter(self) -> None:
        submit(keyring_facts, self._show_keyring, lambda _message: None)
        if self.context.overview is None:
            submit(machine_overview, self.show_plan, lambda _message: None)

    def show_plan(self, overview: MachineOverview) -> None:
        """What the button will choose here, and how much it downloads."""
        self.context.overview = overview
        rec = overview.recommendation
        if rec.chat is None:
            self.plan.setText(rec.summary())
            return
        models = rec.chat.tag + (f" for chat and {rec.autocomplete.tag} for autocomplete" if rec.autocomplete
                                 else " for chat and autocomplete")
        self.plan.setText(f"For this computer: {models}, about {format_gb(rec.download_bytes)} to download.")

    def start(self) -> None:
        self.customize_requested.emit()

    def _show_keyring(self, facts: tuple[bool, str, bool]) -> None:
        available, path, allowed = facts
        if not available:
            self.keyring.offer(path, allowed)

    def _consent(self, allowed: bool) -> None:
        submit(lambda: allow_file_fallback(allowed), lambda _r: None, self.error.show_error)
