"""The Qt binding in use does not break Python's reference counts in what the app does all day.

PySide6 6.12.0's ``Signal.emit()`` dropped one reference to ``True`` per call; on Python 3.11
the running app then aborted ("bool_dealloc") after an hour or two of status refreshes.
pyproject.toml excludes that release; this test catches a binding that does it again.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    text = Signal(str)
    value = Signal(object)


def test_emitting_signals_keeps_the_reference_counts_of_true_and_none() -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.text.connect(received.append)
    emitter.value.connect(received.append)
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    for _ in range(200):
        emitter.text.emit("x")
        emitter.value.emit(None)
    received.clear()
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    assert after == before
