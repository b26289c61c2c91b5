"""Run core calls off the Qt event loop and deliver results through signals.

A :class:`Job` wraps any callable; its :class:`JobSignals` emit ``finished(result)``
or ``failed(message)`` on the GUI thread (queued connection). Jobs never touch
widgets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from hybridcoder.errors import HybridCoderError

log = logging.getLogger(__name__)


class JobSignals(QObject):
    finished = Signal(object)
    failed = Signal(str)


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
