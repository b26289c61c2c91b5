"""Pieces every wizard page uses: the page base class, the error panel (one sentence, Retry, details),
the question panel (consent or a cloud key, asked by the flow while it runs) and the offer to keep
keys in a private file when there is no OS keyring.

Widgets only; the texts they show come from the core (step messages, SetupError sentences).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.gui.wizard.runner import CloudAnswer, Question
from hybridcoder.setup_flow import SetupResult

if TYPE_CHECKING:
    from hybridcoder.app_service import ProxyService
    from hybridcoder.ollama import PullProgress

PROVIDERS = (("anthropic", "Anthropic (Claude)"), ("openai", "OpenAI"), ("ollama-cloud", "Ollama Cloud"))


def label(text: str = "", *, wrap: bool = True, selectable: bool = False, size: float | None = None,
          bold: bool = False) -> QLabel:
    widget = QLabel(text)
    widget.setWordWrap(wrap)
    if selectable:
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if size is not None or bold:
        font = QFont(widget.font())
        if size is not None:
            font.setPointSizeF(font.pointSizeF() * size)
        font.setBold(bold)
        widget.setFont(font)
    return widget


def pull_progress(detail: object) -> PullProgress | None:
    """``detail`` as a PullProgress, without importing the Ollama SDK on the UI thread (a worker may be
    importing it right now, and the import lock would stall the window): if one exists, its module is loaded."""
    module = sys.modules.get("hybridcoder.ollama.pull_progress")
    return detail if module is not None and isinstance(detail, module.PullProgress) else None


def failure(result: SetupResult) -> tuple[str, str] | None:
    """(sentence, details) for a flow that stopped, else None."""
    stopped = next((s for s in result.steps if s.status in ("failed", "cancelled")), None)
    if stopped is None:
        return None
    details = "\n".join(f"{s.title}: {s.status}" + (f" — {s.message}" if s.message else "") for s in result.steps)
    from hybridcoder.paths import app_paths

    details += f"\n\nLog files: {app_paths().log_dir}"
    return stopped.message, details


class WizardPage(QWidget):
    """One page. Next calls :meth:`start`; the page emits ``completed`` when its step is done."""

    completed = Signal()
    busy_changed = Signal(bool)
    #: Next's label on this page, e.g. "Download".
    next_changed = Signal(str)

    title = ""
    subtitle = ""
    name = ""
    #: True when the page's content (a list, a diff) should take the spare height.
    grows = False
    #: True when its step can be stopped midway (downloads, starting Ollama, the test request).
    cancellable = False

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.busy = False
        # The page scrolls rather than squeezing its rows when the window is small (wrapped
        # labels do not make a window grow, so without it their lines would overlap).
        frame = QVBoxLayout(self)
        frame.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        content = QWidget()
        scroll.setWidget(content)
        frame.addWidget(scroll)
        outer = QVBoxLayout(content)
        outer.setContentsMargins(24, 18, 24, 12)
        outer.setSpacing(10)
        outer.addWidget(label(self.title, size=1.5, bold=True))
        if self.subtitle:
            outer.addWidget(label(self.subtitle))
        self.body = QVBoxLayout()
        self.body.setSpacing(8)
        outer.addLayout(self.body, 1 if self.grows else 0)
        # Right under the page's content, where the eye already is.
        self.error = ErrorPanel()
        self.error.retry.connect(self.start)
        outer.addWidget(self.error)
        if not self.grows:
            outer.addStretch(1)

    def next_text(self) -> str:
        return "Next"

    def can_go_next(self) -> bool:
        """False greys Next (while the page's own error panel offers the way on)."""
        return True

    def enter(self) -> None:
        """The page became visible: look at the machine (in a worker)."""

    def start(self) -> None:
        """Next was pressed: run this page's step, then emit ``completed``."""
        self.completed.emit()

    def cancel(self) -> None:
        """Stop the running step (the flow keeps its state; the next start resumes)."""

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    def show_failure(self, result: SetupResult) -> bool:
        """Show the error panel for a stopped flow; True when it stopped."""
        stopped = failure(result)
        if stopped is None:
            self.error.hide()
            return False
        self.error.show_error(*stopped)
        return True


class WizardContext:
    """What the pages share: the app's proxy service and the choices made so far."""

    def __init__(self, service: ProxyService | None) -> None:
        self.service = service
        #: True when the wizard had to make its own service (none was given); it stops it on shutdown.
        self.owns_service = False
        #: False after "Skip, local only".
        self.cloud = True
        self.tools: tuple[str, ...] = ("all",)
        self.last_result: SetupResult | None = None
        #: The hardware scan with its recommendation, once a page has made it (a MachineOverview).
        self.overview: Any = None

    def start_proxy(self) -> None:
        """Called by the flow (on its worker) when the proxy must run: the app's own in-process proxy."""
        from hybridcoder.app_service import ProxyService
        from hybridcoder.settings import Settings

        service = self.service
        if service is None:
            service = self.service = ProxyService()
            self.owns_service = True
        service.apply_settings(Settings.load())  # the models and Ollama address setup just chose
        if not service.running:
            service.start()


class ErrorPanel(QFrame):
    """One sentence, a Retry button and the details behind an expander."""

    retry = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#errorPanel { border: 1px solid #c62828; border-radius: 6px; }")
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.sentence = label(selectable=True)
        self.sentence.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.sentence, 1, Qt.AlignmentFlag.AlignTop)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry.emit)
        row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self.details_button = QToolButton()
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAutoRaise(True)
        self.details_button.toggled.connect(self._toggle)
        layout.addWidget(self.details_button)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(110)
        self.details.hide()
        layout.addWidget(self.details)
        self.hide()

    def show_error(self, sentence: str, details: str = "") -> None:
        # The sentence's first line level with the Retry button's text, not above it.
        top = max(0, (self.retry_button.sizeHint().height() - self.sentence.fontMetrics().height()) // 2)
        self.sentence.setContentsMargins(0, top, 0, 0)
        self.sentence.setText(sentence)
        self.details.setPlainText(details or sentence)
        self.details_button.setChecked(False)
        self.show()

    def _toggle(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.details.setVisible(shown)


class CloudKeyForm(QWidget):
    """Provider, key (hidden) and the two first-class choices: check and store, or stay local."""

    submitted = Signal(object)  # CloudAnswer
    skipped = Signal()

    def __init__(self, parent: QWidget | None = None, *, buttons: bool = True) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.providers = QButtonGroup(self)
        self.provider_buttons: dict[str, QRadioButton] = {}
        for value, text in PROVIDERS:
            button = QRadioButton(text)
            self.providers.addButton(button)
            self.provider_buttons[value] = button
            row.addWidget(button)
        row.addStretch(1)
        self.provider_buttons["anthropic"].setChecked(True)
        layout.addLayout(row)
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("Paste the API key (checked with a real call before it is stored)")
        layout.addWidget(self.key)
        self.check_button = QPushButton("Check and store the key")
        self.skip_button = QPushButton("Skip, local only")
        if buttons:
            actions = QHBoxLayout()
            actions.addWidget(self.check_button)
            actions.addWidget(self.skip_button)
            actions.addStretch(1)
            layout.addLayout(actions)
        self.check_button.clicked.connect(lambda: self.submitted.emit(self.answer()))
        self.skip_button.clicked.connect(self.skipped.emit)

    @property
    def provider(self) -> str:
        return next(v for v, b in self.provider_buttons.items() if b.isChecked())

    def set_provider(self, provider: str) -> None:
        if provider in self.provider_buttons:
            self.provider_buttons[provider].setChecked(True)

    def answer(self) -> CloudAnswer:
        return CloudAnswer(self.provider, self.key.text().strip())


class QuestionPanel(QFrame):
    """Shows what the running flow asks and sends the answer back to its runner."""

    answered = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.text = label()
        layout.addWidget(self.text)
        self.buttons = QWidget()
        row = QHBoxLayout(self.buttons)
        row.setContentsMargins(0, 0, 0, 0)
        self.yes = QPushButton("Install")
        self.no = QPushButton("Not now")
        row.addWidget(self.yes)
        row.addWidget(self.no)
        row.addStretch(1)
        layout.addWidget(self.buttons)
        self.key_form = CloudKeyForm()
        layout.addWidget(self.key_form)
        self.yes.clicked.connect(lambda: self._reply(True))
        self.no.clicked.connect(lambda: self._reply(False))
        self.key_form.submitted.connect(self._reply)
        self.key_form.skipped.connect(lambda: self._reply(None))
        self.hide()

    def ask(self, question: Question) -> None:
        self.text.setText(question.text)
        self.buttons.setVisible(question.kind == "consent")
        self.key_form.setVisible(question.kind == "cloud_key")
        self.show()
        (self.yes if question.kind == "consent" else self.key_form.key).setFocus()

    def _reply(self, value: Any) -> None:
        self.hide()
        self.key_form.key.clear()
        self.answered.emit(value)


class KeyringFallbackOffer(QFrame):
    """No OS keyring: one sentence, and the consented private-file fallback with where the file lives."""

    consent_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label("This computer has no system keyring (no GNOME Keyring or KWallet is running), so "
                               "keys and the proxy's access token cannot be kept there."))
        self.allow = QCheckBox("Keep them in a private file instead (readable only by you)")
        self.allow.toggled.connect(self.consent_changed.emit)
        layout.addWidget(self.allow)
        self.where = label(selectable=True)
        layout.addWidget(self.where)
        self.hide()

    def offer(self, path: str, allowed: bool) -> None:
        self.where.setText(f"File: {path}")
        self.allow.setChecked(allowed)
        self.show()


def keyring_facts() -> tuple[bool, str, bool]:
    """(keyring available, fallback file path, fallback allowed) — for a worker thread."""
    from hybridcoder.keys import KeyStore, keyring_available
    from hybridcoder.settings import Settings

    return keyring_available(), str(KeyStore().fallback_path), Settings.load().keys.allow_file_fallback


def allow_file_fallback(allowed: bool) -> None:
    """Record the person's consent to the private key file (settings keys.allow_file_fallback)."""
    from hybridcoder.settings import Settings

    settings = Settings.load()
    if settings.keys.allow_file_fallback != allowed:
        settings.keys.allow_file_fallback = allowed
        settings.save()
