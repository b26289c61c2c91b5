"""The tray icon and its menu: the one-glance view of the proxy and its quick controls.

The icon shows the state (ready, degraded, paused, error); the tooltip shows today's local
share and money saved. The menu changes the RUNNING proxy at once through its control API
(``ProxyControl``: mode, next request to the cloud, pause, active models) and saves what
should survive a restart through the :class:`SettingsKeeper`. Loading and unloading models
talks to Ollama on a worker. The menu exists without a visible tray (``menu()``), so it
can be tested and rendered offscreen; the app decides when the icon can be shown.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from hybridcoder.errors import HybridCoderError
from hybridcoder.gui.app_settings import SettingsKeeper
from hybridcoder.gui.icons import state_icon
from hybridcoder.gui.proxy_status import StatusSnapshot
from hybridcoder.gui.workers import run_in_pool

log = logging.getLogger(__name__)

MODES = (("auto", "Auto (the router decides)"), ("local", "Local only"), ("cloud", "Cloud only"))
ROLES = (("chat", "Use for chat"), ("autocomplete", "Use for autocomplete"))


@dataclass(frozen=True)
class ModelsInfo:
    """Installed models and which of them are in memory (from Ollama, read on a worker)."""

    installed: tuple[str, ...]
    loaded: frozenset[str]
    problem: str | None = None


def read_models(ollama_url: str) -> ModelsInfo:
    """Ask Ollama for its models (blocking; call from a worker)."""
    from hybridcoder.ollama.errors import OllamaError
    from hybridcoder.ollama.manager import OllamaManager

    manager = OllamaManager(ollama_url, timeout=5.0)
    try:
        installed = tuple(sorted(m.name for m in manager.list_models()))
        loaded = frozenset(m.name for m in manager.loaded())
    except OllamaError as exc:
        return ModelsInfo((), frozenset(), exc.message)
    return ModelsInfo(installed, loaded)


def _submenu(action: QAction) -> QMenu | None:
    menu = action.menu()
    return menu if isinstance(menu, QMenu) else None


def _same(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        return name if ":" in name else f"{name}:latest"

    return bool(a) and bool(b) and norm(a) == norm(b)


class TrayController(QObject):
    """Owns the QSystemTrayIcon and its QMenu; emits what the app should open."""

    dashboard_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()
    #: Something changed the proxy's state: the app refreshes the status at once.
    state_changed = Signal()
    #: One sentence when a menu action could not be carried out.
    error = Signal(str)
    #: The models submenu was rebuilt (tests wait on it).
    models_updated = Signal()

    def __init__(self, service: Any, keeper: SettingsKeeper | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.keeper = keeper or SettingsKeeper(service, parent=self)
        self.icon = QSystemTrayIcon(state_icon("paused"), self)
        self.icon.setToolTip("Hybrid Coder — starting")
        self.icon.activated.connect(self._activated)
        self.snapshot: StatusSnapshot | None = None
        self.models = ModelsInfo((), frozenset())
        self._models_busy = False
        self._closed = False

        self._menu = QMenu()
        self._menu.setTitle("Hybrid Coder")
        self.status_action = self._menu.addAction("Starting…")
        self.status_action.setEnabled(False)
        # Shown only while the local Ollama is not answering (the proxy's messages point here).
        self.start_ollama_action = self._menu.addAction("Start Ollama")
        self.start_ollama_action.setVisible(False)
        self.start_ollama_action.triggered.connect(lambda _checked=False: self.start_ollama())
        self._starting_ollama = False
        self._menu.addSeparator()

        self.routing_menu = self._menu.addMenu("Routing")
        self.mode_group = QActionGroup(self)
        self.mode_group.setExclusive(True)
        self.mode_actions: dict[str, QAction] = {}
        for mode, label in MODES:
            action = self.routing_menu.addAction(label)
            action.setCheckable(True)
            action.setData(mode)
            self.mode_group.addAction(action)
            action.triggered.connect(lambda _checked=False, m=mode: self.set_mode(m))
            self.mode_actions[mode] = action
        self._check_mode(self.keeper.settings.routing.mode)

        self.next_to_cloud_action = self._menu.addAction("Send next request to the cloud")
        self.next_to_cloud_action.setCheckable(True)
        self.next_to_cloud_action.triggered.connect(lambda _checked=False: self.send_next_to_cloud())

        self.models_menu = self._menu.addMenu("Models")
        self.models_menu.aboutToShow.connect(self.refresh_models)
        self._fill_models_menu()

        self.pause_action = self._menu.addAction("Pause proxy")
        self.pause_action.triggered.connect(lambda _checked=False: self.toggle_pause())
        self._menu.addSeparator()
        self.dashboard_action = self._menu.addAction("Dashboard")
        self.dashboard_action.triggered.connect(self.dashboard_requested.emit)
        self.settings_action = self._menu.addAction("Settings")
        self.settings_action.triggered.connect(self.settings_requested.emit)
        self._menu.addSeparator()
        self.quit_action = self._menu.addAction("Quit Hybrid Coder")
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        self.icon.setContextMenu(self._menu)
        self.update_status(None)

    # -- what the app and tests use ----------------------------------------------------------
    def menu(self) -> QMenu:
        """The tray's menu (exists and works without a visible tray)."""
        return self._menu

    def show_icon(self) -> bool:
        """Show the icon if this desktop has a tray; False when it has none (yet)."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return False
        self.icon.show()
        if self.snapshot is not None:  # Windows 11 drops a tooltip set before show()
            self.icon.setToolTip(self.snapshot.tooltip)
        return True

    def close(self) -> None:
        """Hide the icon and drop the menu; late worker results are ignored from now on."""
        self._closed = True
        self.icon.hide()
        self.icon.setContextMenu(None)  # type: ignore[arg-type]
        self._menu.deleteLater()

    def model_action(self, tag: str, role: str) -> QAction | None:
        """The "Use for chat/autocomplete" (role) or "load"/"unload" action of one model."""
        for action in self.models_menu.actions():
            sub = _submenu(action)
            if sub is None or action.data() != tag:
                continue
            for item in sub.actions():
                if item.data() == role:
                    return item
        return None

    # -- state -------------------------------------------------------------------------------
    def _control(self) -> Any:
        if not getattr(self.service, "running", False):
            return None
        return getattr(self.service, "control", None)

    def update_status(self, snapshot: StatusSnapshot | None) -> None:
        """Reflect a status snapshot in the icon, the tooltip and the menu's checks."""
        if self._closed:
            return
        self.snapshot = snapshot
        health = snapshot.health if snapshot is not None else "paused"
        self.icon.setIcon(state_icon(health))
        self.icon.setToolTip(snapshot.tooltip if snapshot is not None else "Hybrid Coder — starting")
        status = snapshot.status if snapshot is not None else None
        running = (snapshot is not None and snapshot.running) or self._control() is not None
        if snapshot is None:
            self.status_action.setText("Starting…")
        elif health == "ready":
            self.status_action.setText(f"Ready at {getattr(status, 'url', '')}".strip())
        else:
            reason = snapshot.health_reason or health
            self.status_action.setText(reason if len(reason) <= 70 else reason[:67] + "…")
        self._check_mode(getattr(status, "mode", None) or self.keeper.settings.routing.mode)
        self.next_to_cloud_action.setEnabled(running and (status is None or bool(status.cloud_available)))
        self.next_to_cloud_action.setChecked(bool(getattr(status, "next_to_cloud", False)))
        paused = bool(getattr(status, "paused", False))
        self.pause_action.setEnabled(running)
        self.pause_action.setText("Resume proxy" if paused else "Pause proxy")
        local_down = getattr(status, "local_state", None) == "down" and self.keeper.settings.local.kind == "ollama"
        self.start_ollama_action.setVisible(local_down or self._starting_ollama)
        self._mark_active_models()

    def _check_mode(self, mode: str) -> None:
        action = self.mode_actions.get(mode)
        if action is not None and not action.isChecked():
            action.setChecked(True)

    def _active(self, role: str) -> str:
        status = self.snapshot.status if self.snapshot is not None else None
        value = getattr(status, f"{role}_model", None) if status is not None else None
        if value:
            return str(value)
        return str(getattr(self.keeper.settings.models, role, "") or "")

    # -- actions -------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """Routing mode for the very next request, and saved for the next launch."""
        control = self._control()
        try:
            if control is not None:
                control.set_mode(mode)
        except HybridCoderError as exc:
            self.error.emit(exc.message)
            return
        self._check_mode(mode)
        self.keeper.change(lambda s: setattr(s.routing, "mode", mode))
        self.state_changed.emit()

    def send_next_to_cloud(self) -> None:
        control = self._control()
        if control is None:
            self.next_to_cloud_action.setChecked(False)
            self.error.emit("The proxy is not running, so there is no next request to send to the cloud.")
            return
        try:
            control.send_next_to_cloud()
        except HybridCoderError as exc:
            self.next_to_cloud_action.setChecked(False)
            self.error.emit(exc.message)
            return
        self.next_to_cloud_action.setChecked(True)
        self.state_changed.emit()

    def toggle_pause(self) -> None:
        control = self._control()
        if control is None:
            self.error.emit("The proxy is not running, so there is nothing to pause.")
            return
        if control.status().paused:
            control.resume()
            self.pause_action.setText("Pause proxy")
        else:
            control.pause()
            self.pause_action.setText("Resume proxy")
        self.state_changed.emit()

    def start_ollama(self) -> None:
        """Start the local Ollama (``ollama serve`` or its desktop app) on a worker."""
        if self._starting_ollama:
            return
        url = self.keeper.settings.ollama.url

        def work() -> None:
            from hybridcoder.ollama.manager import OllamaManager

            OllamaManager(url).start()

        self._starting_ollama = True
        self.start_ollama_action.setEnabled(False)
        self.start_ollama_action.setText("Starting Ollama…")
        run_in_pool(work, on_done=lambda _r: self._ollama_started(None), on_error=self._ollama_started,
                    context=self)

    def _ollama_started(self, problem: str | None) -> None:
        self._starting_ollama = False
        self.start_ollama_action.setEnabled(True)
        self.start_ollama_action.setText("Start Ollama")
        if problem is not None:
            self.error.emit(problem)
        self.state_changed.emit()

    def use_model(self, tag: str, role: str) -> None:
        """Make ``tag`` the active chat or autocomplete model, live and saved."""
        if role not in ("chat", "autocomplete"):
            raise ValueError(f"unknown model role {role!r}")
        control = self._control()
        try:
            if control is not None:
                control.set_models(**{role: tag})
        except HybridCoderError as exc:
            self.error.emit(exc.message)
            return
        self.keeper.change(lambda s: setattr(s.models, role, tag))
        self.state_changed.emit()
        self._fill_models_menu(active={role: tag})

    def load_model(self, tag: str, load: bool = True) -> None:
        """Load ``tag`` into memory (or free it) on a worker, then refresh the list."""
        url = self.keeper.settings.ollama.url

        def work() -> None:
            from hybridcoder.ollama.manager import OllamaManager

            manager = OllamaManager(url, timeout=120.0)
            if load:
                manager.load(tag)
            else:
                manager.unload(tag)

        run_in_pool(work, on_done=lambda _r: self.refresh_models(), on_error=self.error.emit, context=self)

    # -- the models submenu ------------------------------------------------------------------------
    def refresh_models(self) -> None:
        if self._models_busy:
            return
        self._models_busy = True
        run_in_pool(read_models, self.keeper.settings.ollama.url, on_done=self._models_arrived,
                    on_error=self._models_failed)

    def _models_arrived(self, info: ModelsInfo) -> None:
        self._models_busy = False
        self.models = info
        self._fill_models_menu()

    def _models_failed(self, message: str) -> None:
        self._models_busy = False
        self.models = ModelsInfo((), frozenset(), message)
        self._fill_models_menu()

    def _fill_models_menu(self, active: dict[str, str] | None = None) -> None:
        if self._closed:
            return
        menu = self.models_menu
        for action in menu.actions():
            sub = _submenu(action)
            menu.removeAction(action)
            if sub is not None:
                sub.deleteLater()
        chosen = {role: (active or {}).get(role) or self._active(role) for role, _ in ROLES}
        names = list(self.models.installed)
        for role_tag in chosen.values():  # the configured models show even before Ollama answered
            if role_tag and not any(_same(role_tag, n) for n in names):
                names.append(role_tag)
        if not names:
            empty = menu.addAction(self.models.problem or "No models installed yet")
            empty.setEnabled(False)
        for name in names:
            marks = [label for role, label in (("chat", "chat"), ("autocomplete", "autocomplete"))
                     if _same(chosen[role], name)]
            in_memory = any(_same(name, loaded) for loaded in self.models.loaded)
            title = name + (f"  ({', '.join(marks)})" if marks else "") + ("  · in memory" if in_memory else "")
            sub = QMenu(title, menu)
            sub.menuAction().setData(name)
            for role, label in ROLES:
                item = sub.addAction(label)
                item.setCheckable(True)
                item.setChecked(_same(chosen[role], name))
                item.setData(role)
                item.triggered.connect(lambda _checked=False, t=name, r=role: self.use_model(t, r))
            sub.addSeparator()
            toggle = sub.addAction("Unload from memory" if in_memory else "Load into memory")
            toggle.setData("unload" if in_memory else "load")
            toggle.triggered.connect(lambda _checked=False, t=name, on=not in_memory: self.load_model(t, on))
            menu.addMenu(sub)
        self.models_updated.emit()

    def _mark_active_models(self) -> None:
        for action in self.models_menu.actions():
            sub = _submenu(action)
            name = action.data()
            if sub is None or not name:
                continue
            for item in sub.actions():
                role = item.data()
                if role in ("chat", "autocomplete"):
                    item.setChecked(_same(self._active(str(role)), str(name)))

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        """A click opens the dashboard; on macOS a click opens the menu, so only a double click does."""
        opening = [QSystemTrayIcon.ActivationReason.DoubleClick]
        if sys.platform != "darwin":
            opening.append(QSystemTrayIcon.ActivationReason.Trigger)
        if reason in opening:
            self.dashboard_requested.emit()
