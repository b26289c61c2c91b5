"""The app's one copy of the user's settings, saved in order and applied to the running proxy.

The tray and the settings page both change settings through :class:`SettingsKeeper`:
the change is made in memory at once (so the UI reflects it), then saved (atomic TOML
write) and handed to ``ProxyService.apply_settings`` on a one-thread pool, so saves never
block the UI and never overtake each other. Never touches widgets.

Other writers share settings.toml: ``hybridcoder routing mode local`` in a terminal (which
also changes the running proxy), the setup wizard, a person with an editor. So a save
writes only the keys this change touched, on top of what the file holds *now*; the keeper's
own copy then takes the file's other values (``reloaded`` says when that changed anything).
A stale copy therefore never puts an old mode or old models back.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from hybridcoder.gui.workers import run_in_pool
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

#: ``(section, key)`` -> new value; ``(name, "")`` for a top-level value such as ``prices``.
Changes = dict[tuple[str, str], Any]


def changed_keys(before: Settings, after: Settings) -> Changes:
    """The keys whose values differ between two settings objects."""
    old, new = before.to_dict(), after.to_dict()
    changes: Changes = {}
    for name, values in new.items():
        previous = old.get(name)
        if isinstance(values, dict) and isinstance(previous, dict) and name != "prices":
            for key, value in values.items():
                if previous.get(key) != value:
                    changes[(name, key)] = copy.deepcopy(value)
        elif values != previous:
            changes[(name, "")] = copy.deepcopy(values)
    return changes


def apply_changes(settings: Settings, changes: Changes) -> None:
    """Set each changed key on ``settings`` (in place)."""
    for (name, key), value in changes.items():
        if key:
            setattr(getattr(settings, name), key, copy.deepcopy(value))
        else:
            setattr(settings, name, copy.deepcopy(value))


def copy_into(target: Settings, source: Settings) -> bool:
    """Make ``target`` hold ``source``'s values, in place (others hold a reference). True when any differed."""
    differed = bool(changed_keys(target, source))
    for section_field in dataclasses.fields(source):
        name = section_field.name
        if name in ("load_warning", "ignored_values"):
            continue
        value = getattr(source, name)
        current = getattr(target, name)
        if dataclasses.is_dataclass(value) and dataclasses.is_dataclass(current):
            for sub in dataclasses.fields(value):
                setattr(current, sub.name, copy.deepcopy(getattr(value, sub.name)))
        else:
            setattr(target, name, copy.deepcopy(value))
    return differed


def _settings_path(settings: Settings) -> Any:
    from hybridcoder.paths import app_paths

    return getattr(settings, "_path", None) or app_paths().settings_file


class SettingsKeeper(QObject):
    """Holds the live :class:`Settings`; ``change(fn)`` edits, saves and applies them."""

    #: A change was made in memory (emitted at once, before it is saved).
    changed = Signal()
    #: The settings that were saved and applied.
    applied = Signal(object)
    #: One sentence: why the save or the apply failed.
    failed = Signal(str)
    #: The keeper's copy took values someone else wrote to settings.toml (the CLI, the wizard).
    reloaded = Signal()

    def __init__(self, service: Any, settings: Settings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        if settings is None:
            settings = getattr(service, "settings", None)
        # A copy of its own: the service compares what it runs with against each snapshot it gets.
        self.settings: Settings = copy.deepcopy(settings) if isinstance(settings, Settings) else Settings.load()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # saves happen in the order they were made
        self._pending = 0
        self._seen_mode: str | None = None

    def change(self, mutate: Callable[[Settings], None], *, apply: bool = True) -> None:
        """Edit the settings with ``mutate``, then save (and apply to the proxy) in the background."""
        before = copy.deepcopy(self.settings)
        mutate(self.settings)
        changes = changed_keys(before, self.settings)
        snapshot = copy.deepcopy(self.settings)
        self.changed.emit()
        self._pending += 1
        run_in_pool(self._save_and_apply, changes, snapshot, apply, pool=self._pool,
                    on_done=self._saved, on_error=self._save_failed)

    def reload(self) -> None:
        """Take what settings.toml holds now (after the wizard or another program wrote it)."""
        self._pending += 1
        run_in_pool(self._read, pool=self._pool, on_done=self._reread, on_error=self._save_failed)

    def follow_status(self, mode: str | None) -> None:
        """The running proxy's mode from each status: one changed elsewhere (the CLI) is read from disk."""
        if mode is None or mode == self._seen_mode:
            return
        self._seen_mode = mode
        if mode != self.settings.routing.mode and self._pending == 0:
            self.reload()

    def _read(self) -> Settings | None:
        path = _settings_path(self.settings)
        if not path.exists():
            return None
        current = Settings.load(path)
        return None if current.load_warning else current

    def _save_and_apply(self, changes: Changes, snapshot: Settings, apply: bool) -> Settings:
        current = self._read()
        if current is None:  # no file yet (or an unreadable one): this copy is all there is
            current = snapshot
        else:
            apply_changes(current, changes)
        current.save()
        if apply:
            apply_settings = getattr(self.service, "apply_settings", None)
            if apply_settings is not None:
                apply_settings(current)
        return current

    def _saved(self, saved: Settings) -> None:
        self._pending -= 1
        # With more changes queued, the copy in memory is ahead of this save; the last save syncs it.
        if self._pending == 0 and copy_into(self.settings, saved):
            self.reloaded.emit()
        self.applied.emit(saved)

    def _reread(self, current: Settings | None) -> None:
        self._pending -= 1
        if current is not None and self._pending == 0 and copy_into(self.settings, current):
            self.reloaded.emit()

    def _save_failed(self, message: str) -> None:
        self._pending -= 1
        self.failed.emit(message)

    def after_saved(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
                    on_error: Callable[[str], None] | None = None, context: QObject | None = None) -> None:
        """Run ``fn(*args)`` on the same one-thread pool, so it sees every change made before it."""
        run_in_pool(fn, *args, pool=self._pool, on_done=on_done, on_error=on_error, context=context)

    def wait(self, timeout_ms: int = 10000) -> bool:
        """Wait until every queued save has finished (at quit and in tests)."""
        return bool(self._pool.waitForDone(timeout_ms))
