"""How every screen shows a problem: one sentence, a Retry button, and the details behind an expander.

``show_error(message, details=..., retry=...)`` fills it; ``clear()`` hides it — callers
clear it as soon as the condition is gone, so a stale error never stays on screen.
``show_info`` shows a short confirmation in the same place without the buttons.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class ErrorBanner(QFrame):
    """A hidden-by-default strip: message, optional Retry, optional details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        row = QHBoxLayout()
        # Icon, sentence and buttons all hang from the row's top; _line_up() moves the icon and the
        # sentence down so that the first line sits level with the buttons' text, the icon centred on it.
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.message, 1, Qt.AlignmentFlag.AlignTop)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.toggled.connect(self._toggle_details)
        row.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self._retry_clicked)
        row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self.dismiss_button = QToolButton()
        self.dismiss_button.setText("✕")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setAccessibleName("Dismiss")
        self.dismiss_button.setToolTip("Dismiss")
        self.dismiss_button.clicked.connect(self.clear)
        row.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(120)
        self.details.hide()
        layout.addWidget(self.details)
        self._retry: Callable[[], None] | None = None
        self.hide()

    def show_error(self, message: str, *, details: str | None = None,
                   retry: Callable[[], None] | None = None, dismissable: bool = True) -> None:
        self._set_icon("⚠")
        self.message.setText(message)
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self.details.setPlainText(details or "")
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.dismiss_button.setVisible(dismissable)
        self.setProperty("kind", "error")
        self._line_up()
        self.show()

    def show_info(self, message: str) -> None:
        self._set_icon("✔")
        self.message.setText(message)
        self._retry = None
        self.retry_button.hide()
        self.details_button.hide()
        self.details.hide()
        self.dismiss_button.show()
        self.setProperty("kind", "info")
        self._line_up()
        self.show()

    def clear(self) -> None:
        self._retry = None
        self.message.clear()
        self.details.clear()
        self.hide()

    def text(self) -> str:
        return self.message.text() if not self.isHidden() else ""

    def _set_icon(self, mark: str) -> None:
        self.icon.setText(mark)

    def _line_up(self) -> None:
        """Centre the icon on the sentence's first line, and that line on the tallest button shown."""
        line = self.message.fontMetrics().height()
        buttons = (self.retry_button, self.details_button, self.dismiss_button)
        tallest = max((b.sizeHint().height() for b in buttons if not b.isHidden()), default=line)
        top = max(0, (tallest - line) // 2)
        self.message.setContentsMargins(0, top, 0, 0)
        self.icon.setContentsMargins(0, top, 0, 0)
        self.icon.setFixedHeight(top + line)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _retry_clicked(self) -> None:
        retry = self._retry
        if retry is not None:
            retry()
