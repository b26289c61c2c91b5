"""Models: one progress bar per model with MB/s and time left; Cancel (in the wizard's button row) keeps what was downloaded and
Resume continues from there (Ollama keeps partial downloads). The numbers are the core's
:class:`~hybridcoder.ollama.PullProgress`, passed along with the flow's progress events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from hybridcoder.gui.wizard.common import WizardContext, WizardPage, label, pull_progress
from hybridcoder.gui.wizard.runner import FlowRunner
from hybridcoder.gui.workers import submit
from hybridcoder.setup_flow import PullModels, SetupEvent, SetupOptions, SetupResult

if TYPE_CHECKING:
    from hybridcoder.ollama import PullProgress

MB = 1_000_000


def speed_text(update: PullProgress) -> str:
    """``1.2 of 4.7 GB · 38.5 MB/s · 1 min 32 s left`` (plus what an earlier try already had)."""
    parts = [f"{update.completed / 1e9:.1f} of {update.total / 1e9:.1f} GB" if update.total else "Starting"]
    if update.bytes_per_s > 0:
        parts.append(f"{update.bytes_per_s / MB:.1f} MB/s")
    if update.eta_s is not None:
        eta = int(update.eta_s)
        parts.append(f"{eta // 60} min {eta % 60} s left" if eta >= 60 else f"{eta} s left")
    if update.resumed:
        parts.append(f"resumed, {update.resumed_bytes / MB:.0f} MB were already here")
    return " · ".join(parts)


def wanted_models() -> list[tuple[str, bool]]:
    """(tag, already downloaded) for the chat and autocomplete models in the settings (worker thread)."""
    from hybridcoder.settings import Settings
    from hybridcoder.setup_flow import model_downloads

    return model_downloads(Settings.load())


class ModelBars(QWidget):
    """A labelled bar per model tag, fed with PullProgress snapshots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[str, tuple[QProgressBar, QLabel]] = {}
        #: The latest snapshot per tag: where a download stood when its step stopped.
        self.latest: dict[str, PullProgress] = {}

    def set_models(self, models: list[tuple[str, bool]]) -> None:
        if set(self.rows) - {tag for tag, _ in models}:  # other models were chosen since: start over
            while self.grid.count():
                item = self.grid.takeAt(0)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.deleteLater()
            self.rows.clear()
            self.latest.clear()
        for tag, done in models:
            self._row(tag)
            if done:
                self.finish(tag, "Already downloaded")

    def _row(self, tag: str) -> tuple[QProgressBar, QLabel]:
        if tag not in self.rows:
            row = len(self.rows) * 2
            bar = QProgressBar()
            bar.setRange(0, 1000)
            detail = label("Waiting")
            self.grid.addWidget(label(tag, wrap=False, bold=True), row, 0)
            self.grid.addWidget(bar, row, 1)
            self.grid.addWidget(detail, row + 1, 1)
            self.rows[tag] = (bar, detail)
        return self.rows[tag]

    def update_model(self, update: PullProgress) -> None:
        bar, detail = self._row(update.tag)
        bar.setValue(int(update.fraction * 1000))
        detail.setText(speed_text(update))
        self.latest[update.tag] = update

    def finish(self, tag: str, text: str = "Downloaded") -> None:
        bar, detail = self._row(tag)
        bar.setValue(1000)
        detail.setText(text)

    def finish_all(self) -> None:
        for tag, (bar, _detail) in self.rows.items():
            if bar.value() < 1000:
                self.finish(tag)

    def stop_all(self, *, paused: bool = False) -> None:
        """The step stopped (failed or cancelled): each unfinished bar keeps its value and says where it
        stopped, so no stale "Starting" or speed is left on screen; the next try resumes from there."""
        for tag, (bar, detail) in self.rows.items():
            if bar.value() >= 1000:
                continue
            update = self.latest.get(tag)
            if update is None or not update.completed or not update.total:
                detail.setText("Not downloaded yet.")
                continue
            where = f"{update.completed / 1e9:.1f} of {update.total / 1e9:.1f} GB"
            detail.setText(f"Paused at {where}." if paused else f"Stopped at {where}; Retry resumes from there.")

    def detail_text(self, tag: str) -> str:
        return str(self.rows[tag][1].text())


class ModelsPage(WizardPage):
    name = "models"
    cancellable = True
    title = "Download the models"
    subtitle = "Both models are downloaded once; afterwards everything runs without the internet."

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.bars = ModelBars()
        self.body.addWidget(self.bars)
        self.message = label()
        self.body.addWidget(self.message)
        self.all_there = False
        self.paused = False
        self.runner = FlowRunner(parent=self)
        self.runner.step_event.connect(self._event)
        self.runner.finished.connect(self._step_done)

    def next_text(self) -> str:
        return "Next" if self.all_there else "Resume download" if self.paused else "Download"

    def enter(self) -> None:
        submit(wanted_models, self._show_models, self.error.show_error)

    def _show_models(self, models: list[tuple[str, bool]]) -> None:
        self.bars.set_models(models)
        self.all_there = bool(models) and all(done for _tag, done in models)
        if self.all_there:
            self.message.setText("The models are already downloaded.")
        self.next_changed.emit(self.next_text())

    def start(self) -> None:
        if self.all_there:
            self.completed.emit()
            return
        self.error.hide()
        self.message.setText("")
        self.set_busy(True)
        self.runner.start(SetupOptions(), [PullModels()])

    def cancel(self) -> None:
        self.runner.cancel()

    def _event(self, event: SetupEvent) -> None:
        update = pull_progress(event.detail)
        if update is not None:
            self.bars.update_model(update)

    def _step_done(self, result: SetupResult) -> None:
        self.set_busy(False)
        outcome = result.steps[0]
        self.paused = outcome.status == "cancelled"
        if outcome.status in ("failed", "cancelled"):
            self.bars.stop_all(paused=self.paused)
        if self.paused:
            self.error.hide()
            self.message.setText("Paused. What was downloaded is kept; Resume download continues from there.")
        elif not self.show_failure(result):
            self.bars.finish_all()
            self.all_there = True
            self.message.setText(outcome.message)
            self.completed.emit()
        self.next_changed.emit(self.next_text())
