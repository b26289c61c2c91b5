"""Run the core's :class:`~hybridcoder.setup_flow.SetupFlow` (all steps, or a page's few) on a worker thread.

The flow's progress arrives as ``step_event(SetupEvent)`` signals, its result as ``finished(SetupResult)``.
When the flow has to ask the person (install Ollama? which cloud key?) the worker emits
``question(Question)`` and waits, watching the cancel flag, until the page calls :meth:`FlowRunner.answer`.
The worker never touches a widget; everything it reports goes through the signals of this QObject,
which lives in the GUI thread, so the slots run there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from hybridcoder.setup_flow import (
    SetupCallbacks,
    SetupEvent,
    SetupFlow,
    SetupOptions,
    SetupResult,
    StepOutcome,
)

log = logging.getLogger(__name__)

#: At most this often per bar, a progress event crosses to the UI thread.
PROGRESS_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Question:
    """Something the flow asks; ``kind`` is "consent" (yes/no) or "cloud_key" (a key, or skip)."""

    kind: str
    text: str


@dataclass(frozen=True)
class CloudAnswer:
    """The answer to a "cloud_key" question: the provider ("anthropic", "openai", "ollama-cloud") and key."""

    provider: str
    key: str


class _FlowJob(QRunnable):
    def __init__(self, work: Callable[[], SetupResult], runner: FlowRunner) -> None:
        super().__init__()
        self.work = work
        self.runner = runner

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # SetupFlow catches step errors; this is a bug, not a user error
            log.exception("setup flow crashed")
            message = f"Setup failed unexpectedly ({type(exc).__name__}) — try again; the details are in the log file."
            result = SetupResult([StepOutcome("setup", "Setup", "failed", message)], [message])
        try:
            self.runner.finished.emit(result)
        except RuntimeError:  # the wizard was closed while the flow ran
            log.debug("setup flow finished after its page closed")


class FlowRunner(QObject):
    """One flow at a time for one page; ``start`` again after it finished to retry (the flow resumes)."""

    step_event = Signal(object)
    question = Signal(object)
    finished = Signal(object)

    def __init__(self, start_proxy: Callable[[], None] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.start_proxy = start_proxy
        self._cancel = threading.Event()
        self._answered = threading.Event()
        self._answer: Any = None
        self._last_progress: dict[tuple[str, str], float] = {}
        #: The newest progress held back by the rate limit, per bar: sent before anything else, so a
        #: bar that stops (a failed or cancelled download) shows where it really stopped.
        self._held: dict[tuple[str, str], SetupEvent] = {}
        self._held_lock = threading.Lock()
        self.running = False
        self.finished.connect(self._done)

    def start(self, options: SetupOptions, steps: list[Any] | None = None, *,
              cloud_key: CloudAnswer | None = None,
              prepare: Callable[[SetupFlow], None] | None = None) -> None:
        """Run ``steps`` (None = every step) with ``options``. ``cloud_key`` answers the key question
        up front (the cloud page's own field); ``prepare`` runs on the worker before the flow."""
        if self.running:
            return
        self.running = True
        self._cancel = threading.Event()
        cancel = self._cancel

        def work() -> SetupResult:
            holder: dict[str, SetupFlow] = {}

            def ask_key() -> str | None:
                answer = cloud_key if cloud_key is not None else self._ask(Question(
                    "cloud_key", "Add a cloud model for the hard tasks? Paste a key, or skip and stay local."))
                if not isinstance(answer, CloudAnswer) or not answer.key.strip():
                    return None
                flow = holder["flow"]
                if flow.settings.cloud.provider != answer.provider:
                    flow.settings.cloud.provider = answer.provider
                    flow.settings.save()
                return answer.key

            callbacks = SetupCallbacks(
                consent_install_ollama=lambda text: bool(self._ask(Question("consent", text))),
                ask_cloud_key=ask_key,
                # The person typed the key into a field that says it is checked and then stored.
                consent_store_key=lambda _text: True,
                start_proxy=self.start_proxy,
            )
            flow = SetupFlow(options=options, callbacks=callbacks, on_event=self._emit_event, steps=steps)
            holder["flow"] = flow
            if prepare is not None:
                prepare(flow)
            try:
                return flow.run(cancel)
            finally:
                self._send_held()

        QThreadPool.globalInstance().start(_FlowJob(work, self))

    def cancel(self) -> None:
        self._cancel.set()
        self._answer = None
        self._answered.set()

    def answer(self, value: Any) -> None:
        """The page's reply to the pending :class:`Question` (True/False, or a CloudAnswer / None)."""
        self._answer = value
        self._answered.set()

    # -- worker side -------------------------------------------------------------------------
    def _emit_event(self, event: SetupEvent) -> None:
        finished = getattr(event.detail, "phase", "") == "done"
        if event.status == "progress" and event.fraction is not None and not finished:
            # A download reports every few KB; 20 updates a second per bar keep the UI thread idle.
            key = (event.step, getattr(event.detail, "tag", ""))
            now = time.monotonic()
            with self._held_lock:
                if now - self._last_progress.get(key, 0.0) < PROGRESS_INTERVAL_S:
                    self._held[key] = event
                    return
                self._last_progress[key] = now
                self._held.pop(key, None)
        else:
            self._send_held()
        self._send(event)

    def _send_held(self) -> None:
        with self._held_lock:
            held, self._held = list(self._held.values()), {}
        for event in held:
            self._send(event)

    def _send(self, event: SetupEvent) -> None:
        try:
            self.step_event.emit(event)
        except RuntimeError:
            log.debug("setup event after the page closed")

    def _ask(self, question: Question) -> Any:
        self._answered.clear()
        self._answer = None
        try:
            self.question.emit(question)
        except RuntimeError:
            return None
        while not self._answered.wait(0.1):
            if self._cancel.is_set():
                return None
        return self._answer

    def _done(self, _result: object) -> None:
        self.running = False
