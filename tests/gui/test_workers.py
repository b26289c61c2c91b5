"""Workers report through signals on the GUI thread and never reach a deleted widget."""

from __future__ import annotations

import threading
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from hybridcoder.errors import HybridCoderError
from hybridcoder.gui.workers import run_in_pool, submit


def test_results_progress_and_errors_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    gui_thread = threading.current_thread()
    seen: list[tuple[str, object, bool]] = []

    def count(limit: int, *, progress: Callable[[object], None]) -> int:
        for i in range(limit):
            progress(i)
        return limit

    run_in_pool(count, 3, on_progress=lambda v: seen.append(("progress", v, threading.current_thread() is gui_thread)),
                on_done=lambda v: seen.append(("done", v, threading.current_thread() is gui_thread)))
    qtbot.waitUntil(lambda: any(kind == "done" for kind, _, _ in seen), timeout=5000)
    assert seen == [("progress", 0, True), ("progress", 1, True), ("progress", 2, True), ("done", 3, True)]

    errors: list[str] = []

    def fails() -> None:
        raise HybridCoderError("Ollama isn't running — start it from the tray or run `ollama serve`.")

    def crashes() -> None:
        raise KeyError("x")

    run_in_pool(fails, on_error=errors.append)
    submit(crashes, lambda _r: None, errors.append)  # the original API still works
    qtbot.waitUntil(lambda: len(errors) == 2, timeout=5000)
    assert "Ollama isn't running — start it from the tray or run `ollama serve`." in errors
    assert "Unexpected error (KeyError); details are in the log file." in errors


def test_a_result_for_a_deleted_widget_is_dropped(qtbot: QtBot) -> None:
    label = QLabel()
    gate = threading.Event()
    run_in_pool(gate.wait, 5, on_done=lambda _r: label.setText("late"), context=label)
    shiboken6.delete(label)  # the window closed while the job was still running
    assert not shiboken6.isValid(label)
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(50)  # the queued result is delivered and dropped; touching the label would raise here
