"""Cloud (optional): Anthropic, OpenAI or Ollama Cloud. The key is checked with a cheap real call
(the flow's cloud_key step) before it is stored; "Skip, local only" is a first-class choice. With no
OS keyring the page says so in one sentence and offers the consented private file, showing where it
lives; the key can be stored only once that is allowed.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from hybridcoder.gui.wizard.common import (
    CloudKeyForm,
    KeyringFallbackOffer,
    WizardContext,
    WizardPage,
    allow_file_fallback,
    keyring_facts,
    label,
)
from hybridcoder.gui.wizard.runner import CloudAnswer, FlowRunner
from hybridcoder.gui.workers import submit
from hybridcoder.setup_flow import SetupOptions, SetupResult, StoreCloudKey


def warm_up_sdks() -> None:
    """Import the cloud SDKs ahead of the click (the first import takes seconds on a slow machine)."""
    import anthropic  # noqa: F401
    import openai  # noqa: F401


def current_provider() -> str:
    from hybridcoder.settings import Settings

    return Settings.load().cloud.provider


class CloudPage(WizardPage):
    name = "cloud"
    title = "A cloud model for the hard tasks (optional)"
    subtitle = ("Multi-file changes, long rule sets and agent loops go to a cloud model when one is set up; "
                "everything else stays on this computer. You can add a key later in Settings.")

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.form = CloudKeyForm()
        self.form.submitted.connect(self.check)
        self.form.skipped.connect(self.skip)
        self.body.addWidget(self.form)
        self.keyring = KeyringFallbackOffer()
        self.keyring.consent_changed.connect(self._consent)
        self.body.addWidget(self.keyring)
        self.message = label()
        self.body.addWidget(self.message)
        self.no_keyring = False
        self.runner = FlowRunner(parent=self)
        self.runner.finished.connect(self._step_done)

    def next_text(self) -> str:
        return "Next"

    def enter(self) -> None:
        submit(keyring_facts, self._show_keyring, lambda _m: None)
        submit(current_provider, self.form.set_provider, lambda _m: None)
        submit(warm_up_sdks, lambda _r: None, lambda _m: None)

    def _show_keyring(self, facts: tuple[bool, str, bool]) -> None:
        available, path, allowed = facts
        self.no_keyring = not available
        if self.no_keyring:
            self.keyring.offer(path, allowed)
        self._update_buttons()

    def _consent(self, allowed: bool) -> None:
        self._update_buttons()
        submit(lambda: allow_file_fallback(allowed), lambda _r: None, self.error.show_error)

    def _update_buttons(self) -> None:
        self.form.check_button.setEnabled(not self.no_keyring or self.keyring.allow.isChecked())

    def start(self) -> None:
        """Next: check the typed key, or go on local-only when the field is empty."""
        if self.form.key.text().strip():
            self.check(self.form.answer())
        else:
            self.skip()

    def skip(self) -> None:
        self.context.cloud = False
        self.error.hide()
        self.message.setText("Local only: every request stays on this computer.")
        self.completed.emit()

    def check(self, answer: CloudAnswer) -> None:
        if not answer.key or self.runner.running:
            return
        if self.no_keyring and not self.keyring.allow.isChecked():
            self.error.show_error("There is no system keyring to keep the key in — allow the private file above, "
                                  "or skip and stay local.")
            return
        self.error.hide()
        self.message.setText("Checking the key with a real call…")
        self.set_busy(True)
        self.form.check_button.setEnabled(False)
        self.runner.start(SetupOptions(cloud=True), [StoreCloudKey(replace=True)], cloud_key=answer)

    def _step_done(self, result: SetupResult) -> None:
        self.set_busy(False)
        self._update_buttons()
        self.message.setText("")
        if self.show_failure(result):
            self.error.retry_button.setText("Check again")
            return
        outcome = result.steps[0]
        self.form.key.clear()
        self.message.setText(outcome.message)
        self.context.cloud = outcome.status in ("done", "already done")
        service = self.context.service
        if outcome.status == "done" and service is not None and service.running:
            submit(service.restart, lambda _r: None, self.error.show_error)  # the proxy reads keys at start
        self.completed.emit()
