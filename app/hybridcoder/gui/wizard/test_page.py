"""Test: a real request through the proxy to the local model (answer and latency), and to the cloud
when a key is set. Runs the flow's proxy and verify steps; the proxy is the app's own (ProxyService).
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QProgressBar, QWidget

from hybridcoder.gui.wizard.common import WizardContext, WizardPage, label
from hybridcoder.gui.wizard.runner import FlowRunner
from hybridcoder.setup_flow import SetupEvent, SetupOptions, SetupResult, StartProxy, Verify, VerifyAnswer


def answer_text(answer: VerifyAnswer) -> str:
    text = " ".join(answer.text.split())
    return f"“{text[:120]}” in {answer.latency_ms:,.0f} ms"


class TestPage(WizardPage):
    __test__ = False  # not a pytest class, despite the name
    name = "test"
    cancellable = True
    title = "Try it"
    subtitle = "One real request goes through Hybrid Coder to the local model, and to the cloud model if you added one."

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        form = QFormLayout()
        self.local = label("Not run yet", selectable=True)
        self.cloud = label("Not run yet", selectable=True)
        form.addRow("Local model:", self.local)
        form.addRow("Cloud model:", self.cloud)
        self.body.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.body.addWidget(self.progress)
        self.message = label()
        self.body.addWidget(self.message)
        self.passed = False
        self.runner = FlowRunner(context.start_proxy, parent=self)
        self.runner.step_event.connect(self._event)
        self.runner.finished.connect(self._step_done)

    def next_text(self) -> str:
        return "Next" if self.passed else "Run the test"

    def enter(self) -> None:
        if not self.passed and not self.runner.running:
            self.start()

    def start(self) -> None:
        if self.passed:
            self.completed.emit()
            return
        self.error.hide()
        self.local.setText("Asking…")
        self.cloud.setText("Asking…" if self.context.cloud else "Not set up (local only)")
        self.progress.show()
        self.set_busy(True)
        self.runner.start(SetupOptions(cloud=self.context.cloud), [StartProxy(), Verify(always=True)])

    def cancel(self) -> None:
        self.runner.cancel()

    def _event(self, event: SetupEvent) -> None:
        if isinstance(event.detail, VerifyAnswer):
            self.show_answer(event.detail)
        elif event.status == "progress":
            self.message.setText(event.message + "…")

    def show_answer(self, answer: VerifyAnswer) -> None:
        (self.local if answer.route == "local" else self.cloud).setText(answer_text(answer))

    def _step_done(self, result: SetupResult) -> None:
        self.set_busy(False)
        self.progress.hide()
        self.message.setText("")
        if self.show_failure(result):
            for field in (self.local, self.cloud):
                if field.text() == "Asking…":
                    field.setText("No answer")
            return
        if self.cloud.text() == "Asking…":
            self.cloud.setText("Not set up (no cloud key)")
        verify = result.steps[-1]
        if verify.status == "already done":
            self.local.setText("Answered in an earlier test with these settings")
        self.passed = True
        self.message.setText("Hybrid Coder answers. Your tools can use it now.")
        self.next_changed.emit(self.next_text())
