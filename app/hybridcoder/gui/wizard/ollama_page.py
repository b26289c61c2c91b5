"""Ollama: is it installed, is it answering at the configured address; install (with consent) and
start it, with progress, and a clear error with Retry. What the page says comes from the core
(``OllamaManager.status()`` and the flow's ollama step); a configured address that does not answer
is reported the way the core words it, never guessed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QProgressBar, QWidget

from hybridcoder.gui.wizard.common import QuestionPanel, WizardContext, WizardPage, label
from hybridcoder.gui.wizard.runner import FlowRunner, Question
from hybridcoder.gui.workers import submit
from hybridcoder.setup_flow import EnsureOllama, SetupEvent, SetupOptions, SetupResult

if TYPE_CHECKING:
    from hybridcoder.ollama import OllamaStatus


def ollama_status() -> OllamaStatus:
    """What the core sees at the configured address (worker thread)."""
    from hybridcoder.ollama import OllamaManager
    from hybridcoder.settings import Settings

    return OllamaManager(Settings.load().ollama.url).status()


class OllamaPage(WizardPage):
    name = "ollama"
    cancellable = True
    title = "Ollama, which runs the local models"
    subtitle = "Hybrid Coder uses Ollama to run models on this computer (or on a GPU server you name in Settings)."

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.status_value: OllamaStatus | None = None
        form = QFormLayout()
        self.installed, self.running, self.address = label(), label(), label(selectable=True)
        form.addRow("Installed:", self.installed)
        form.addRow("Running:", self.running)
        form.addRow("Address:", self.address)
        self.body.addLayout(form)
        self.question = QuestionPanel()
        self.body.addWidget(self.question)
        self.progress = QProgressBar()
        self.progress.hide()
        self.body.addWidget(self.progress)
        self.message = label()
        self.body.addWidget(self.message)
        self.runner = FlowRunner(parent=self)
        self.runner.step_event.connect(self._event)
        self.runner.question.connect(self._ask)
        self.question.answered.connect(self.runner.answer)
        self.runner.finished.connect(self._step_done)

    def next_text(self) -> str:
        status = self.status_value
        if status is not None and status.running:
            return "Next"
        if status is not None and not status.installed:
            return "Install Ollama"
        return "Start Ollama"

    def enter(self) -> None:
        self.message.setText("Looking for Ollama…")
        submit(ollama_status, self.show_status, self.error.show_error)

    def show_status(self, status: OllamaStatus) -> None:
        self.status_value = status
        self.installed.setText(f"Yes ({status.binary})" if status.binary else
                               "Yes" if status.installed else "No")
        self.running.setText(f"Yes, version {status.version}" if status.running else
                             (status.problem or "No"))
        self.address.setText(status.url)
        self.message.setText("Ollama is ready." if status.running else "")
        self.next_changed.emit(self.next_text())

    def start(self) -> None:
        if self.status_value is not None and self.status_value.running:
            self.completed.emit()
            return
        self.error.hide()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.set_busy(True)
        self.runner.start(SetupOptions(), [EnsureOllama()])

    def cancel(self) -> None:
        self.runner.cancel()

    def _ask(self, question: Question) -> None:
        self.question.yes.setText("Install")
        self.question.no.setText("Not now")
        self.question.ask(question)

    def _event(self, event: SetupEvent) -> None:
        if event.status != "progress":
            return
        text = event.message + "…"
        detail = event.detail  # a DownloadProgress while the installer downloads
        completed = int(getattr(detail, "completed", 0) or 0)
        if completed:
            total = int(getattr(detail, "total", 0) or 0)
            speed = float(getattr(detail, "bytes_per_s", 0.0) or 0.0)
            text += f" {completed / 1e6:.0f}" + (f" of {total / 1e6:.0f}" if total else "") + \
                f" MB · {speed / 1e6:.1f} MB/s"
        self.message.setText(text)
        if event.fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(event.fraction * 1000))

    def _step_done(self, result: SetupResult) -> None:
        self.set_busy(False)
        self.progress.hide()
        self.question.hide()
        if self.show_failure(result):
            self.message.setText("")
            submit(ollama_status, self.show_status, lambda _m: None)
            return
        self.message.setText(result.steps[0].message)
        self.completed.emit()
