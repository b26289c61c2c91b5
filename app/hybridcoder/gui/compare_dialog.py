"""Both answers side by side: what the local model said, and what the cloud says to the same request.

Opened by the dashboard after ``ProxyControl.ask_cloud_instead`` returned (the asking happens in
a worker; this window only shows the result it is given). Read-only text, selectable and
copyable; closing it changes nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.analytics.recent import RecentRow
from hybridcoder.gui.recent_requests import format_latency

__all__ = ["CompareDialog"]


def _answer_box(text: str, name: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(True)
    box.setPlainText(text or "(empty answer)")
    box.setAccessibleName(name)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    box.setFont(font)
    box.setMinimumSize(280, 220)
    return box


class CompareDialog(QDialog):
    """``comparison`` is a ``CloudComparison`` (request_id, local_answer, cloud_answer, cloud_model,
    cloud_latency_ms); ``row`` is the table row it came from, for the local side's model and latency."""

    def __init__(self, comparison: Any, row: RecentRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.setWindowTitle("Local and cloud answers")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        local_title = "Local answer"
        if row is not None:
            local_title += f" — {row.model}, {format_latency(row.latency_ms)}"
        cloud_title = (f"Cloud answer — {comparison.cloud_model}, "
                       f"{format_latency(float(comparison.cloud_latency_ms))}")
        self.local_label = QLabel(f"<b>{local_title}</b>")
        self.cloud_label = QLabel(f"<b>{cloud_title}</b>")
        for label in (self.local_label, self.cloud_label):
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
        self.local_text = _answer_box(str(comparison.local_answer), "Local answer")
        self.cloud_text = _answer_box(str(comparison.cloud_answer), "Cloud answer")

        self.request_label = QLabel(
            f"The {row.kind} request from {row.client} at {row.time:%H:%M} on {row.time:%b %d}, answered by both."
            if row is not None else "One request, answered by both.")
        self.request_label.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self.local_label, 0, 0)
        grid.addWidget(self.cloud_label, 0, 1)
        grid.addWidget(self.local_text, 1, 0)
        grid.addWidget(self.cloud_text, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        note = QLabel("The cloud's answer is for comparison only; your editor keeps the answer it already got.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(self.request_label)
        layout.addLayout(grid, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(900, 520)
