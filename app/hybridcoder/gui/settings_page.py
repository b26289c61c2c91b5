"""The Settings page: routing preference, cloud, budgets, privacy, connections, login, keys, tools.

Every change goes through the :class:`SettingsKeeper`: it is saved (atomic TOML) and handed to
the running proxy at once (``ProxyService.apply_settings``), so nothing waits for a restart.
Keys, the access token, start-at-login and tool undo are blocking calls (keyring, files,
network) and run on workers; their answers come back as signals. Never computes a figure.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hybridcoder.gui.app_settings import SettingsKeeper
from hybridcoder.gui.error_banner import ErrorBanner
from hybridcoder.gui.workers import run_in_pool
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

PROVIDERS = (("anthropic", "Anthropic"), ("openai", "OpenAI"), ("ollama-cloud", "Ollama Cloud"))
#: The keyring's name for each cloud provider's key.
KEY_NAMES = {"anthropic": "anthropic", "openai": "openai", "ollama-cloud": "ollama"}
MODEL_FIELDS = {"anthropic": "anthropic_model", "openai": "openai_model", "ollama-cloud": "ollama_cloud_model"}
TOOLS = (("continue", "Continue"), ("cline", "Cline"), ("aider", "Aider"))
MODES = (("auto", "Auto: the router decides"), ("local", "Local only"), ("cloud", "Cloud only"))
SLIDER_STEPS = 100
DEBOUNCE_MS = 400


def slider_to_threshold(position: int) -> float:
    """Slider left (prefer local) keeps more requests local: a higher router threshold."""
    return round(1.0 - position / SLIDER_STEPS, 2)


def threshold_to_slider(threshold: float) -> int:
    return round((1.0 - min(1.0, max(0.0, threshold))) * SLIDER_STEPS)


def valid_url(text: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# -- blocking helpers (workers) ------------------------------------------------------------------
def read_key_facts() -> dict[str, Any]:
    """Masked key status per provider, the keyring backend in use, and the token (masked)."""
    from hybridcoder.keys import KeyStore, keyring_available, keyring_backend_name, mask

    keys = KeyStore(allow_file_fallback=Settings.load().keys.allow_file_fallback)
    statuses = {name: keys.status(name) for name in KEY_NAMES.values()}
    token = keys.proxy_token(create=False)
    return {"statuses": statuses, "backend": keyring_backend_name(), "real_keyring": keyring_available(),
            "token_masked": mask(token), "has_token": bool(token)}


def store_key(provider: str, value: str, settings: Settings) -> str:
    """Check the key with a cheap real call, then store it; returns where it went."""
    from hybridcoder.keys import KeyStore
    from hybridcoder.setup_flow import check_cloud_key

    value = value.strip()
    check_cloud_key(provider, value, settings)
    return KeyStore(allow_file_fallback=settings.keys.allow_file_fallback).set(KEY_NAMES[provider], value)


def delete_key(provider: str, settings: Settings) -> bool:
    from hybridcoder.keys import KeyStore

    return KeyStore(allow_file_fallback=settings.keys.allow_file_fallback).delete(KEY_NAMES[provider])


def read_token(settings: Settings) -> str:
    from hybridcoder.keys import KeyStore

    return KeyStore(allow_file_fallback=settings.keys.allow_file_fallback).proxy_token(create=False) or ""


def undo_tool(tool: str, settings: Settings) -> str:
    """Put one tool's configuration back as it was before Hybrid Coder changed it."""
    from hybridcoder.clients.configure import (
        client_models_from_settings,
        configure_tools,
        proxy_url_from_settings,
    )

    report = configure_tools([tool], proxy_url=proxy_url_from_settings(settings), token=read_token(settings),
                             models=client_models_from_settings(settings), undo=True)
    return "; ".join(t.message for t in report.tools) or "Nothing to undo."


def tool_changes() -> dict[str, str]:
    """Per tool: when Hybrid Coder last changed its settings (a change not undone yet), else ""."""
    from hybridcoder.clients.safe_write import list_backups

    changes: dict[str, str] = {}
    for tool, _label in TOOLS:
        run = next((r for r in list_backups(tool) if not r.undone), None)
        changes[tool] = run.created if run is not None else ""
    return changes


def _when(created: str) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


def _running_control(service: Any) -> Any:
    return getattr(service, "control", None) if getattr(service, "running", False) else None


def read_learning(service: Any) -> dict[str, Any]:
    """What routing learned: from the running proxy when there is one, else from its saved file."""
    control = _running_control(service)
    if control is not None:
        return dict(control.status().learning)
    from hybridcoder.routing.learning import Learner

    return dict(Learner(autosave=False).stats())


def reset_learning(service: Any) -> dict[str, Any]:
    """Forget what routing learned, in the RUNNING proxy (and its saved file), not in a copy."""
    control = _running_control(service)
    if control is not None:
        control.reset_learning()
    else:
        from hybridcoder.routing.learning import Learner

        Learner(autosave=False).reset()
    return read_learning(service)


def repoint_tools(settings: Settings) -> str:
    """Point the tools setup configured at the proxy's (new) address; one sentence of what changed."""
    from hybridcoder.clients.configure import (
        TOOL_LABELS,
        client_models_from_settings,
        configure_tools,
        proxy_url_from_settings,
    )
    from hybridcoder.setup_flow import SetupState

    tools = [t for t in SetupState().step("tools").get("detail", {}).get("configured", []) if t in TOOL_LABELS]
    if not tools or settings.proxy.port == 0:
        return ""
    report = configure_tools(tools, proxy_url=proxy_url_from_settings(settings), token=read_token(settings),
                             models=client_models_from_settings(settings))
    if report.errors:
        return report.errors[0].message
    names = ", ".join(TOOL_LABELS[t] for t in tools)
    return f"The proxy now listens on port {settings.proxy.port}; {names} updated to use it."


def autostart_enabled() -> bool:
    from hybridcoder import autostart

    return bool(autostart.is_enabled())


def set_autostart(on: bool) -> bool:
    from hybridcoder import autostart

    if on:
        autostart.enable()
    else:
        autostart.disable()
    return bool(autostart.is_enabled())


class SettingsPage(QWidget):
    """All the settings a user changes after setup; constructible with just the service."""

    #: A background action reported something (tests wait on it): the message shown.
    reported = Signal(str)

    def __init__(self, service: Any, keeper: SettingsKeeper | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.keeper = keeper or SettingsKeeper(service, parent=self)
        self.keeper.failed.connect(self._failed)
        self.keeper.applied.connect(self._applied)
        self.keeper.changed.connect(self._follow_mode)
        self.keeper.reloaded.connect(self._reloaded)
        self._loading = False
        self._token_shown = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.banner = ErrorBanner()
        outer.addWidget(self.banner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the page list straight to the fields
        body = QWidget()
        self._body = QVBoxLayout(body)
        self._body.setSpacing(12)
        self._forms: list[QFormLayout] = []
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self._build_routing()
        self._build_cloud()
        self._build_connections()
        self._build_keys()
        self._build_tools()
        self._body.addStretch(1)
        self._align_labels()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._commit_slider)
        self.load_from(self.keeper.settings)
        self.refresh_background_facts()

    # -- building ---------------------------------------------------------------------------
    def _group(self, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        self._forms.append(form)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._body.addWidget(box)
        return form

    def _align_labels(self) -> None:
        """One label column for every group, so the fields line up down the page."""
        labels: list[QWidget] = []
        for form in self._forms:
            for row in range(form.rowCount()):
                item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    labels.append(widget)
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)
        buttons = list(self.undo_buttons.values())
        widest = max((b.sizeHint().width() for b in buttons), default=0)
        for button in buttons:
            button.setMinimumWidth(widest)

    def _build_routing(self) -> None:
        form = self._group("Routing")
        self.mode_box = QComboBox()
        for value, label in MODES:
            self.mode_box.addItem(label, value)
        self.mode_box.currentIndexChanged.connect(self._mode_changed)
        form.addRow("&Mode:", self.mode_box)
        slider_row = QHBoxLayout()
        left = QLabel("Prefer local")
        right = QLabel("Prefer quality")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(10)
        self.slider.setTickInterval(10)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setAccessibleName("Routing preference")
        self.slider.setToolTip("Left keeps more requests on your machine; right sends more hard ones to the cloud.")
        self.slider.valueChanged.connect(self._slider_moved)
        slider_row.addWidget(left)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(right)
        preference = QLabel("&Preference:")
        preference.setBuddy(self.slider)
        form.addRow(preference, slider_row)
        self.threshold_label = QLabel()
        self.threshold_label.setObjectName("hint")
        self.threshold_label.setWordWrap(True)
        form.addRow("", self.threshold_label)
        self.redact_box = QCheckBox("Remove secrets before a request goes to the cloud")
        self.redact_box.setToolTip("API keys, passwords and tokens in your code are masked in cloud requests.")
        self.redact_box.toggled.connect(
            lambda on: self._change(lambda s: setattr(s.routing, "redact_secrets", on)))
        form.addRow("Privacy:", self.redact_box)
        self.learning_box = QCheckBox("Learn from requests the local model failed")
        self.learning_box.toggled.connect(
            lambda on: self._change(lambda s: setattr(s.routing, "learning", on)))
        form.addRow("Learning:", self.learning_box)
        learned_row = QHBoxLayout()
        self.learning_label = QLabel("…")
        self.learning_label.setWordWrap(True)
        self.reset_learning_button = QPushButton("Reset learning")
        self.reset_learning_button.setToolTip("Forget which kinds of request failed locally and went to the cloud.")
        self.reset_learning_button.clicked.connect(self.reset_learning)
        learned_row.addWidget(self.learning_label, 1)
        learned_row.addWidget(self.reset_learning_button)
        form.addRow("", learned_row)

    def _build_cloud(self) -> None:
        form = self._group("Cloud")
        self.provider_box = QComboBox()
        for value, label in PROVIDERS:
            self.provider_box.addItem(label, value)
        self.provider_box.currentIndexChanged.connect(self._provider_changed)
        form.addRow("P&rovider:", self.provider_box)
        self.cloud_model_edit = QLineEdit()
        self.cloud_model_edit.setPlaceholderText("the provider's model id")
        self.cloud_model_edit.editingFinished.connect(self._cloud_model_changed)
        form.addRow("Cloud &model:", self.cloud_model_edit)
        self.daily_budget = self._money_box()
        self.daily_budget.editingFinished.connect(
            lambda: self._change(lambda s: setattr(s.budget, "daily_usd", float(self.daily_budget.value()))))
        form.addRow("&Daily budget:", self.daily_budget)
        self.monthly_budget = self._money_box()
        self.monthly_budget.editingFinished.connect(
            lambda: self._change(lambda s: setattr(s.budget, "monthly_usd", float(self.monthly_budget.value()))))
        form.addRow("M&onthly budget:", self.monthly_budget)

    @staticmethod
    def _money_box() -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 100000.0)
        box.setDecimals(2)
        box.setSingleStep(1.0)
        box.setPrefix("$ ")
        box.setSpecialValueText("No cap")
        box.setKeyboardTracking(False)
        return box

    def _build_connections(self) -> None:
        form = self._group("Connections")
        self.ollama_url_edit = QLineEdit()
        self.ollama_url_edit.setPlaceholderText("http://127.0.0.1:11434")
        self.ollama_url_edit.setToolTip("Ollama on this machine, or on a shared GPU server.")
        self.ollama_url_edit.editingFinished.connect(self._ollama_url_changed)
        form.addRow("Ollama &URL:", self.ollama_url_edit)
        self.local_kind_box = QComboBox()
        self.local_kind_box.addItem("Ollama", "ollama")
        self.local_kind_box.addItem("OpenAI-compatible server", "openai")
        self.local_kind_box.setToolTip("Ollama, or any OpenAI-compatible server: LM Studio, llama.cpp, vLLM.")
        self.local_kind_box.currentIndexChanged.connect(self._local_kind_changed)
        form.addRow("&Local server:", self.local_kind_box)
        self.openai_local_edit = QLineEdit()
        self.openai_local_edit.setPlaceholderText("http://gpu-box:8000/v1")
        self.openai_local_edit.editingFinished.connect(self._openai_local_changed)
        form.addRow("Server U&RL:", self.openai_local_edit)
        self.port_box = QSpinBox()
        self.port_box.setRange(0, 65535)
        self.port_box.setSpecialValueText("any free port")
        self.port_box.setKeyboardTracking(False)
        self.port_box.editingFinished.connect(self._port_changed)
        form.addRow("Proxy &port:", self.port_box)
        self.autostart_box = QCheckBox("Start Hybrid Coder when I log in")
        self.autostart_box.setEnabled(False)
        self.autostart_box.toggled.connect(self._autostart_toggled)
        form.addRow("Login:", self.autostart_box)

    def _build_keys(self) -> None:
        form = self._group("Keys")
        self.backend_label = QLabel("Checking the keyring…")
        self.backend_label.setWordWrap(True)
        form.addRow("Stored in:", self.backend_label)
        self.key_labels: dict[str, QLabel] = {}
        self.key_delete_buttons: dict[str, QPushButton] = {}
        for provider, label in PROVIDERS:
            row = QHBoxLayout()
            status = QLabel("…")
            status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            delete = QPushButton("Delete")
            delete.setEnabled(False)
            delete.setAccessibleName(f"Delete the {label} key")
            delete.clicked.connect(lambda _checked=False, p=provider: self.delete_key(p))
            row.addWidget(status, 1)
            row.addWidget(delete)
            self.key_labels[provider] = status
            self.key_delete_buttons[provider] = delete
            form.addRow(f"{label}:", row)
        add_row = QHBoxLayout()
        self.key_provider_box = QComboBox()
        for provider, label in PROVIDERS:
            self.key_provider_box.addItem(label, provider)
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste a key to add or replace it")
        self.key_edit.returnPressed.connect(self.save_key)
        self.key_save_button = QPushButton("Check and save")
        self.key_save_button.clicked.connect(self.save_key)
        add_row.addWidget(self.key_provider_box)
        add_row.addWidget(self.key_edit, 1)
        add_row.addWidget(self.key_save_button)
        form.addRow("Add key:", add_row)
        token_row = QHBoxLayout()
        self.token_edit = QLineEdit()
        self.token_edit.setReadOnly(True)
        self.token_edit.setAccessibleName("Proxy access token")
        self.token_button = QPushButton("Show access token")
        self.token_button.clicked.connect(self.toggle_token)
        self.copy_token_button = QPushButton("Copy")
        self.copy_token_button.clicked.connect(self.copy_token)
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.token_button)
        token_row.addWidget(self.copy_token_button)
        form.addRow("Access token:", token_row)

    def _build_tools(self) -> None:
        box = QGroupBox("Your tools")
        grid = QGridLayout(box)
        hint = QLabel("Hybrid Coder changed these tools' settings to use the proxy. Undo puts the last change "
                      "back exactly as it was (a backup is kept).")
        hint.setWordWrap(True)
        grid.addWidget(hint, 0, 0, 1, 3)
        self.undo_buttons: dict[str, QPushButton] = {}
        self.tool_states: dict[str, QLabel] = {}
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(16)
        for row, (tool, label) in enumerate(TOOLS, start=1):
            grid.addWidget(QLabel(label), row, 0)
            state = QLabel("…")
            state.setEnabled(False)  # secondary text: drawn in the palette's muted colour
            grid.addWidget(state, row, 1)
            self.tool_states[tool] = state
            button = QPushButton(f"Undo {label} changes")
            button.clicked.connect(lambda _checked=False, t=tool: self.undo(t))
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            button.setEnabled(False)  # until the backups say there is something to undo
            grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignRight)
            self.undo_buttons[tool] = button
        self._body.addWidget(box)

    # -- showing the settings ---------------------------------------------------------------------
    def load_from(self, settings: Settings) -> None:
        """Put the settings' values into the widgets (no change is saved while doing so)."""
        self._loading = True
        try:
            self._select(self.mode_box, settings.routing.mode)
            self.slider.setValue(threshold_to_slider(settings.routing.threshold))
            self._show_threshold(settings.routing.threshold)
            self.redact_box.setChecked(settings.routing.redact_secrets)
            self.learning_box.setChecked(settings.routing.learning)
            self._select(self.provider_box, settings.cloud.provider)
            self.cloud_model_edit.setText(self._cloud_model(settings))
            self.daily_budget.setValue(settings.budget.daily_usd)
            self.monthly_budget.setValue(settings.budget.monthly_usd)
            self.ollama_url_edit.setText(settings.ollama.url)
            self._select(self.local_kind_box, settings.local.kind)
            self.openai_local_edit.setText(settings.local.openai_url)
            self.openai_local_edit.setEnabled(settings.local.kind == "openai")
            self.port_box.setValue(settings.proxy.port)
            self._select(self.key_provider_box, settings.cloud.provider)
        finally:
            self._loading = False

    @staticmethod
    def _select(box: QComboBox, value: str) -> None:
        index = box.findData(value)
        if index >= 0:
            box.setCurrentIndex(index)

    @staticmethod
    def _cloud_model(settings: Settings) -> str:
        return str(getattr(settings.cloud, MODEL_FIELDS.get(settings.cloud.provider, "anthropic_model")))

    def _show_threshold(self, threshold: float) -> None:
        self.threshold_label.setText(f"Requests scoring below {threshold:.2f} stay local "
                                     "(0 = everything to the cloud, 1 = everything local).")

    # -- changes --------------------------------------------------------------------------------------
    def _change(self, mutate: Any) -> None:
        if not self._loading:
            self.keeper.change(mutate)

    def _mode_changed(self, _index: int) -> None:
        mode = str(self.mode_box.currentData())
        self._change(lambda s: setattr(s.routing, "mode", mode))

    def _follow_mode(self) -> None:
        """The tray changes the mode too; the combo box follows it."""
        if self.mode_box.currentData() != self.keeper.settings.routing.mode:
            self._loading = True
            try:
                self._select(self.mode_box, self.keeper.settings.routing.mode)
            finally:
                self._loading = False

    def _reloaded(self) -> None:
        """Someone else wrote settings.toml (the CLI, the wizard): show what it holds now."""
        self.load_from(self.keeper.settings)

    def _slider_moved(self, position: int) -> None:
        self._show_threshold(slider_to_threshold(position))
        if not self._loading:
            self._debounce.start()

    def _commit_slider(self) -> None:
        value = slider_to_threshold(self.slider.value())
        self._change(lambda s: setattr(s.routing, "threshold", value))

    def _provider_changed(self, _index: int) -> None:
        provider = str(self.provider_box.currentData())
        if self._loading:
            return
        self.keeper.change(lambda s: setattr(s.cloud, "provider", provider))
        self._loading = True
        try:
            self.cloud_model_edit.setText(self._cloud_model(self.keeper.settings))
            self._select(self.key_provider_box, provider)
        finally:
            self._loading = False

    def _cloud_model_changed(self) -> None:
        model = self.cloud_model_edit.text().strip()
        if not model:
            self.cloud_model_edit.setText(self._cloud_model(self.keeper.settings))
            return
        if model == self._cloud_model(self.keeper.settings):
            return
        field = MODEL_FIELDS[self.keeper.settings.cloud.provider]
        self._change(lambda s: setattr(s.cloud, field, model))

    def _ollama_url_changed(self) -> None:
        url = self.ollama_url_edit.text().strip().rstrip("/")
        if url == self.keeper.settings.ollama.url:
            return
        if not valid_url(url):
            self.banner.show_error(f"“{url}” is not a web address; enter one like http://127.0.0.1:11434.")
            return
        self._change(lambda s: setattr(s.ollama, "url", url))

    def _local_kind_changed(self, _index: int) -> None:
        kind = str(self.local_kind_box.currentData())
        self.openai_local_edit.setEnabled(kind == "openai")
        if kind == "openai" and not valid_url(self.openai_local_edit.text()):
            self.openai_local_edit.setFocus()  # saved once the server's address is entered
            return
        self._change(lambda s: setattr(s.local, "kind", kind))

    def _openai_local_changed(self) -> None:
        url = self.openai_local_edit.text().strip().rstrip("/")
        if url == self.keeper.settings.local.openai_url:
            return
        if url and not valid_url(url):
            self.banner.show_error(f"“{url}” is not a web address; enter one like http://gpu-box:8000/v1.")
            return
        kind = str(self.local_kind_box.currentData())

        def mutate(s: Settings) -> None:
            s.local.openai_url = url
            s.local.kind = kind if url else "ollama"

        self._change(mutate)

    def _port_changed(self) -> None:
        port = int(self.port_box.value())
        if port == self.keeper.settings.proxy.port:
            return
        self._change(lambda s: setattr(s.proxy, "port", port))
        # The tools talk to the proxy's port: the ones setup configured follow it.
        self.keeper.after_saved(repoint_tools, copy.deepcopy(self.keeper.settings), context=self,
                                on_done=self._tools_repointed, on_error=self._failed)

    def _tools_repointed(self, message: str) -> None:
        if message:
            self.banner.show_info(message)
            self.reported.emit(message)

    def _applied(self, _snapshot: object) -> None:
        self.banner.show_info("Saved; the proxy uses it from the next request.")
        self.reported.emit(self.banner.text())

    def _failed(self, message: str) -> None:
        self.banner.show_error(message)
        self.reported.emit(message)

    # -- background facts: keys, token, login -------------------------------------------------------------
    def refresh_background_facts(self) -> None:
        run_in_pool(read_key_facts, on_done=self._show_key_facts, on_error=self._failed)
        run_in_pool(read_learning, self.service, on_done=self._show_learning, on_error=self._failed)
        run_in_pool(tool_changes, on_done=self._show_tool_changes, on_error=self._tool_changes_unknown, context=self)
        run_in_pool(autostart_enabled, on_done=self._show_autostart, context=self,
                    on_error=lambda _message: self.autostart_box.setToolTip(
                        "Start at login is not available on this system."))

    def _show_key_facts(self, facts: dict[str, Any]) -> None:
        backend = str(facts["backend"]).rsplit(".", 2)
        where = ".".join(backend[-2:]) if len(backend) >= 2 else facts["backend"]
        if facts["real_keyring"]:
            self.backend_label.setText(f"the system keyring ({where})")
        else:
            self.backend_label.setText(
                f"no system keyring is available ({where}); keys come from environment variables or the "
                "private file you allowed during setup")
        for provider, name in KEY_NAMES.items():
            status = facts["statuses"][name]
            text = f"{status.masked} (from the {status.source})" if status.present else "no key"
            self.key_labels[provider].setText(text)
            self.key_delete_buttons[provider].setEnabled(status.present and status.source != "environment")
        if not self._token_shown:
            self.token_edit.setText(facts["token_masked"] if facts["has_token"] else "(no token yet; run setup)")
        self.token_button.setEnabled(bool(facts["has_token"]))
        self.copy_token_button.setEnabled(bool(facts["has_token"]))

    def _show_learning(self, stats: dict[str, Any]) -> None:
        examples, avoided = int(stats.get("examples", 0)), int(stats.get("avoided_round_trips", 0))
        if examples:
            self.learning_label.setText(f"Learned from {examples} escalation{'s' if examples != 1 else ''}; "
                                        f"{avoided} round trip{'s' if avoided != 1 else ''} to the cloud avoided.")
        else:
            self.learning_label.setText("Nothing learned yet.")
        self.reset_learning_button.setEnabled(examples > 0)

    def reset_learning(self) -> None:
        self.reset_learning_button.setEnabled(False)
        run_in_pool(reset_learning, self.service, on_done=self._learning_reset, on_error=self._failed)

    def _learning_reset(self, stats: dict[str, Any]) -> None:
        self._show_learning(stats)
        self.banner.show_info("Routing forgot what it learned; the running proxy uses that from the next request.")
        self.reported.emit(self.banner.text())

    def _show_autostart(self, enabled: bool) -> None:
        self._loading = True
        try:
            self.autostart_box.setChecked(enabled)
            self.autostart_box.setEnabled(True)
        finally:
            self._loading = False

    def _autostart_toggled(self, on: bool) -> None:
        if self._loading:
            return
        self.autostart_box.setEnabled(False)
        run_in_pool(set_autostart, on, on_done=self._autostart_done, on_error=self._autostart_failed)

    def _autostart_done(self, enabled: bool) -> None:
        self._show_autostart(enabled)
        self.banner.show_info("Hybrid Coder starts when you log in." if enabled
                              else "Hybrid Coder no longer starts at login.")
        self.reported.emit(self.banner.text())

    def _autostart_failed(self, message: str) -> None:
        self.autostart_box.setEnabled(True)
        self._failed(message)

    def save_key(self) -> None:
        value = self.key_edit.text().strip()
        provider = str(self.key_provider_box.currentData())
        if not value:
            self.banner.show_error("Paste the key first, then choose Check and save.")
            return
        self.key_save_button.setEnabled(False)
        self.key_save_button.setText("Checking…")
        settings = self.keeper.settings
        run_in_pool(self._store_and_restart, provider, value, settings, on_done=self._key_saved,
                    on_error=self._key_failed)

    def _store_and_restart(self, provider: str, value: str, settings: Settings) -> str:
        where = store_key(provider, value, settings)
        self._restart_for_keys()
        return where

    def _restart_for_keys(self) -> None:
        """The proxy reads keys when it starts, so a running one restarts to use the new key."""
        if getattr(self.service, "running", False):
            self.service.restart()

    def _key_saved(self, where: str) -> None:
        self.key_edit.clear()
        self.key_save_button.setEnabled(True)
        self.key_save_button.setText("Check and save")
        place = "the system keyring" if where == "keyring" else "the private key file"
        self.banner.show_info(f"Key checked and saved in {place}.")
        self.reported.emit(self.banner.text())
        self.refresh_background_facts()

    def _key_failed(self, message: str) -> None:
        self.key_save_button.setEnabled(True)
        self.key_save_button.setText("Check and save")
        self.banner.show_error(message, retry=self.save_key)
        self.reported.emit(message)

    def delete_key(self, provider: str) -> None:
        settings = self.keeper.settings

        def work() -> bool:
            removed = delete_key(provider, settings)
            self._restart_for_keys()
            return removed

        run_in_pool(work, on_done=lambda removed: self._key_deleted(provider, removed), on_error=self._failed,
                    context=self)

    def _key_deleted(self, provider: str, removed: bool) -> None:
        label = dict(PROVIDERS)[provider]
        self.banner.show_info(f"The {label} key was deleted." if removed else f"There was no stored {label} key.")
        self.reported.emit(self.banner.text())
        self.refresh_background_facts()

    def toggle_token(self) -> None:
        if self._token_shown:
            self._token_shown = False
            self.token_button.setText("Show access token")
            self.refresh_background_facts()
            return
        run_in_pool(read_token, self.keeper.settings, on_done=self._show_token, on_error=self._failed)

    def _show_token(self, token: str) -> None:
        self._token_shown = True
        self.token_edit.setText(token)
        self.token_button.setText("Hide access token")

    def copy_token(self) -> None:
        run_in_pool(read_token, self.keeper.settings, on_done=self._copy_token, on_error=self._failed)

    def _copy_token(self, token: str) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None and token:
            clipboard.setText(token)
            self.banner.show_info("Access token copied; paste it into a tool that asks for an API key.")

    def undo(self, tool: str) -> None:
        button = self.undo_buttons[tool]
        button.setEnabled(False)
        run_in_pool(undo_tool, tool, self.keeper.settings, context=self, on_done=lambda text: self._undone(tool, text),
                    on_error=lambda message: self._undo_failed(tool, message))

    def _show_tool_changes(self, changes: dict[str, str]) -> None:
        for tool, created in changes.items():
            self.tool_states[tool].setText(f"changed by Hybrid Coder on {_when(created)}" if created
                                           else "not changed by Hybrid Coder")
            self.undo_buttons[tool].setEnabled(bool(created))

    def _tool_changes_unknown(self, _message: str) -> None:
        for button in self.undo_buttons.values():  # the backups could not be read: let Undo say what it finds
            button.setEnabled(True)

    def _undone(self, tool: str, text: str) -> None:
        self.banner.show_info(text)
        self.reported.emit(text)
        run_in_pool(tool_changes, on_done=self._show_tool_changes, context=self)

    def _undo_failed(self, tool: str, message: str) -> None:
        self.undo_buttons[tool].setEnabled(True)
        self.banner.show_error(message, retry=lambda: self.undo(tool))
        self.reported.emit(message)
