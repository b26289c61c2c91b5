"""The one-button path: every step of the flow in order with the recommended choices, shown as a
checklist with the current step's progress, a bar per model download, the test answers, the flow's
questions (install Ollama? a cloud key, or stay local?) and, if a step fails, its sentence with Retry
(the flow resumes where it stopped).
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from hybridcoder.gui.wizard.common import (
    KeyringFallbackOffer,
    QuestionPanel,
    WizardContext,
    WizardPage,
    allow_file_fallback,
    keyring_facts,
    label,
    pull_progress,
)
from hybridcoder.gui.wizard.models_page import ModelBars
from hybridcoder.gui.wizard.runner import FlowRunner, Question
from hybridcoder.gui.wizard.test_page import answer_text
from hybridcoder.gui.workers import submit
from hybridcoder.setup_flow import SetupEvent, SetupOptions, SetupResult, VerifyAnswer, default_steps

MARKS = {"done": "✔", "already done": "✔", "skipped": "–", "failed": "✖", "cancelled": "■",
         "started": "…", "progress": "…", "not run": " "}


class RunAllPage(WizardPage):
    name = "run_all"
    cancellable = True
    title = "Setting everything up"
    subtitle = "This takes a few minutes, mostly for the model download. You can keep working meanwhile."

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        grid = QGridLayout()
        grid.setColumnStretch(2, 1)
        self.rows: dict[str, tuple[QLabel, QLabel]] = {}
        for index, step in enumerate(default_steps()):
            mark, title, message = label("", wrap=False), label(step.title, wrap=False), label()
            grid.addWidget(mark, index, 0)
            grid.addWidget(title, index, 1)
            grid.addWidget(message, index, 2)
            self.rows[step.name] = (mark, message)
        self.body.addLayout(grid)
        self.progress = QProgressBar()
        self.progress.hide()
        self.body.addWidget(self.progress)
        self.bars = ModelBars()
        self.body.addWidget(self.bars)
        self.answers = label(selectable=True)
        self.answers.hide()
        self.body.addWidget(self.answers)
        self.question = QuestionPanel()
        self.body.addWidget(self.question)
        # A failure for want of a keyring (token or key) is fixed right here, then Retry.
        self.keyring = KeyringFallbackOffer()
        self.keyring.consent_changed.connect(
            lambda allowed: submit(lambda: allow_file_fallback(allowed), lambda _r: None, self.error.show_error))
        self.body.addWidget(self.keyring)
        self.finished_ok = False
        self.runner = FlowRunner(context.start_proxy, parent=self)
        self.runner.step_event.connect(self.show_event)
        self.runner.question.connect(self._ask)
        self.question.answered.connect(self._answered)
        self._asked = ""
        self.runner.finished.connect(self._done)

    def can_go_next(self) -> bool:
        """After a failure the error panel's Retry is the one way on: Next stays greyed, not a second Retry."""
        return self.error.isHidden()

    def enter(self) -> None:
        if not self.runner.running and not self.finished_ok:
            self.start()

    def start(self) -> None:
        if self.finished_ok:
            self.completed.emit()
            return
        self.error.hide()
        self.keyring.hide()
        self.answers.clear()
        self.answers.hide()
        self.set_busy(True)
        self.runner.start(SetupOptions(cloud=self.context.cloud))

    def cancel(self) -> None:
        self.runner.cancel()

    def _answered(self, value: object) -> None:
        if self._asked == "cloud_key" and value is None:
            self.context.cloud = False  # "Skip, local only" holds for a Retry too: not asked again
        self.runner.answer(value)

    def _ask(self, question: Question) -> None:
        self._asked = question.kind
        self.progress.hide()  # the flow waits for the person now, not for work
        if question.kind == "consent":
            self.question.yes.setText("Install Ollama")
            self.question.no.setText("Don't install")
        self.question.ask(question)

    def show_event(self, event: SetupEvent) -> None:
        row = self.rows.get(event.step)
        if row is None:
            return
        mark, message = row
        mark.setText(MARKS.get(event.status, ""))
        update = pull_progress(event.detail)
        if update is not None:
            self.bars.update_model(update)
        elif isinstance(event.detail, VerifyAnswer):
            line = f"{event.detail.route.capitalize()} model answered: {answer_text(event.detail)}"
            self.answers.setText("\n".join(filter(None, (self.answers.text(), line))))
            self.answers.show()
        if event.status == "progress":
            message.setText(event.message + "…")
            if event.fraction is None:
                self.progress.setRange(0, 0)
            else:
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(event.fraction * 1000))
            self.progress.show()
        elif event.status in ("failed", "cancelled"):
            # The sentence itself is in the error panel below, once; the row only marks where it stopped.
            message.setText("Failed; see below." if event.status == "failed" else "Cancelled; see below.")
        elif event.status != "started":
            # "<the step's title>: already done." repeats the row's title: say only the news.
            done_before = event.status == "already done" and event.message.endswith(": already done.")
            if event.step == "cloud_key" and event.status == "already done" and not self.context.cloud:
                message.setText("Skipped: everything stays local.")
            else:
                message.setText("Already done." if done_before else event.message)
        if event.step == "models" and event.status in ("done", "already done"):
            self.bars.finish_all()

    def _done(self, result: SetupResult) -> None:
        self.set_busy(False)
        self.progress.hide()
        self.question.hide()
        self.context.last_result = result
        if self.show_failure(result):
            self.bars.stop_all()
            self.error.retry_button.setFocus()  # Enter retries
            self.next_changed.emit(self.next_text())
            submit(keyring_facts, self._offer_file, lambda _m: None)
            return
        self.finished_ok = True
        self.completed.emit()

    def _offer_file(self, facts: tuple[bool, str, bool]) -> None:
        available, path, allowed = facts
        if not available:
            self.keyring.offer(path, allowed)
