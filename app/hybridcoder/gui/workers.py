"""Run core calls off the Qt event loop and deliver results through signals.

A :class:`Job` wraps any callable; its :class:`JobSignals` emit ``finished(result)``,
``failed(message)`` or ``progress(value)`` on the GUI thread (queued connection). Jobs
never touch widgets. Two ways in: ``submit(fn, on_done, on_error)`` (the original API)
and ``run_in_pool(fn, *args, on_done=..., on_error=..., on_progress=...)``, which also
passes arguments and can hand the function a ``progress`` callable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from hybridcoder.errors import HybridCoderError

log = logging.getLogger(__name__)


class JobSignals(QObject):
    """The emitter a worker reports through; it lives in the GUI thread, so slots run there."""

    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(object)


class Job(QRunnable):
    """One call of a core function on the shared thread pool."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = JobSignals()

    def run(self) -> None:
        try:
            result = self.fn()
        except HybridCoderError as exc:
            self._emit(self.signals.failed, exc.message)
        except Exception as exc:
            log.exception("background job failed")
            self._emit(self.signals.failed, f"Unexpected error ({type(exc).__name__}); details are in the log file.")
        else:
            self._emit(self.signals.finished, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The app is shutting down and the receiver is gone: nobody is left to tell.
            log.debug("job finished after its window closed")


#: Jobs in flight; holding them keeps their signal objects alive until they report.
_live: set[Job] = set()


def submit(fn: Callable[[], Any], on_done: Callable[[Any], None],
           on_error: Callable[[str], None]) -> Job:
    """Run ``fn`` on the global pool; callbacks run on the GUI thread."""
    job = Job(fn)
    job.setAutoDelete(False)
    _live.add(job)
    job.signals.finished.connect(on_done)
    job.signals.failed.connect(on_error)
    job.signals.finished.connect(lambda _result: _live.discard(job))
    job.signals.failed.connect(lambda _message: _live.discard(job))
    QThreadPool.globalInstance().start(job)
    return job


def run_in_pool(fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
                on_error: Callable[[str], None] | None = None,
                on_progress: Callable[[Any], None] | None = None,
                pool: QThreadPool | None = None, context: QObject | None = None, **kwargs: Any) -> Job:
    """Run ``fn(*args, **kwargs)`` on a thread pool; every callback runs on the GUI thread.

    With ``on_progress``, ``fn`` also receives ``progress=<callable>``; each call of it
    becomes one ``on_progress(value)`` in the GUI thread. A bound method of a QObject as a
    callback is dropped by Qt when that object is deleted, so a closed window never gets a
    late result; for lambdas, pass ``context`` (the widget they touch) for the same guarantee.
    Errors without ``on_error`` are logged (their one-sentence message).
    """
    job: Job
    if context is not None:
        on_done, on_error, on_progress = (_guarded(cb, context) for cb in (on_done, on_error, on_progress))

    def call() -> Any:
        if on_progress is not None:
            return fn(*args, progress=lambda value: Job._emit(job.signals.progress, value), **kwargs)
        return fn(*args, **kwargs)

    job = Job(call)
    job.setAutoDelete(False)
    _live.add(job)
    if on_done is not None:
        job.signals.finished.connect(on_done)
    if on_error is not None:
        job.signals.failed.connect(on_error)
    else:
        job.signals.failed.connect(lambda message: log.info("background job failed: %s", message))
    if on_progress is not None:
        job.signals.progress.connect(on_progress)
    job.signals.finished.connect(lambda _result: _live.discard(job))
    job.signals.failed.connect(lambda _message: _live.discard(job))
    (pool or QThreadPool.globalInstance()).start(job)
    return job


def _guarded(callback: Callable[[Any], None] | None, context: QObject) -> Callable[[Any], None] | None:
    """``callback`` that does nothing once ``context`` (a widget it touches) is deleted."""
    if callback is None:
        return None

    def call(value: Any) -> None:
        if shiboken6.isValid(context):
            callback(value)

    return call


def wait_for_jobs(timeout_ms: int = 10000) -> bool:
    """Let running jobs finish (at quit); True when the pool is idle."""
    return bool(QThreadPool.globalInstance().waitForDone(timeout_ms))
