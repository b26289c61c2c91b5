"""The app's settings keeper never writes a stale copy back over what others saved.

``hybridcoder routing mode local`` in a terminal changes the running proxy and settings.toml;
the wizard (or a person with an editor) writes settings.toml too. A later change in the app
must keep those values, on disk and in the running proxy, and the settings page shows them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from hybridcoder.cli import main
from hybridcoder.gui.app_settings import apply_changes, changed_keys
from hybridcoder.gui.application import HybridCoderApp
from hybridcoder.settings import Settings
from tests.emulators.ollama import OllamaEmulator
from tests.gui.conftest import app_settings
from tests.ports import free_port

MakeApp = Callable[..., HybridCoderApp]


def test_changed_keys_are_only_the_ones_that_differ() -> None:
    before = Settings()
    after = Settings()
    after.routing.threshold = 0.8
    after.prices = {"m": {"input": 1.0}}
    changes = changed_keys(before, after)
    assert changes == {("routing", "threshold"): 0.8, ("prices", ""): {"m": {"input": 1.0}}}
    other = Settings()
    other.routing.mode = "local"
    apply_changes(other, changes)
    assert (other.routing.mode, other.routing.threshold, other.prices) == ("local", 0.8, {"m": {"input": 1.0}})


def test_a_mode_set_in_the_terminal_survives_the_next_change_in_the_app(
        make_app: MakeApp, qtbot: QtBot, ollama_emulator: OllamaEmulator,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = make_app(app_settings(ollama_emulator, **{"proxy.port": free_port()}))
    page = app.show_main_window("settings").settings_page
    control = app.service.control
    assert control is not None and control.status().mode == "auto"

    # The terminal: the running proxy changes at once and settings.toml says "local".
    assert main(["routing", "mode", "local"]) == 0
    capsys.readouterr()
    assert control.status().mode == "local" and Settings.load().routing.mode == "local"
    # The app sees the new mode in the proxy's status and shows it (read from the file).

    def page_follows() -> bool:
        app.watcher.refresh_now()
        return page.mode_box.currentData() == "local"

    qtbot.waitUntil(page_follows, timeout=15000)
    assert app.keeper.wait()
    # Someone also edits the file by hand.
    edited = Settings.load()
    edited.budget.monthly_usd = 42.0
    edited.save()

    # Now a change in the app: the slider (the keeper still remembers mode "auto").
    page.slider.setValue(20)
    with qtbot.waitSignal(app.keeper.applied, timeout=15000):
        pass
    assert app.keeper.wait()
    saved = Settings.load()
    assert saved.routing.threshold == pytest.approx(0.8)
    assert (saved.routing.mode, saved.budget.monthly_usd) == ("local", 42.0)
    assert control.status().mode == "local" and control.status().threshold == pytest.approx(0.8)
    # The app's own copy and the page follow what the file holds.
    qtbot.waitUntil(lambda: page.mode_box.currentData() == "local", timeout=10000)
    assert app.keeper.settings.routing.mode == "local"
    assert page.monthly_budget.value() == pytest.approx(42.0)


def test_reload_takes_what_the_wizard_saved(make_app: MakeApp, qtbot: QtBot,
                                            ollama_emulator: OllamaEmulator) -> None:
    app = make_app(app_settings(ollama_emulator))
    page = app.show_main_window("settings").settings_page
    written = Settings.load()
    written.cloud.provider = "openai"
    written.save()
    with qtbot.waitSignal(app.keeper.reloaded, timeout=15000):
        app.keeper.reload()
    assert app.keeper.settings.cloud.provider == "openai"
    assert page.provider_box.currentData() == "openai"
