"""The first-run wizard against the emulators, offscreen, with files written in a temporary HOME.

Real parts: the core's SetupFlow on worker threads, the Ollama emulator (pulls, chat), the Anthropic
emulator (key checks), the real in-process proxy (ProxyService) answering a real request, the real
tool config writers, the keyring API (in-memory backend, or the 'fail' backend for a headless Linux).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

import hybridcoder.hardware.scan as scan_module
from hybridcoder.app_service import ProxyService
from hybridcoder.gui.wizard import SetupWizard, wizard_pages_for_screenshots
from hybridcoder.hardware.profile import HardwareProfile
from hybridcoder.keys import KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings
from tests.clients.conftest import no_user_cline_override, place
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.ports import free_port

__all__ = ["no_user_cline_override"]

#: An 8 GB NVIDIA machine: the recommendation is qwen2.5-coder:7b + 1.5b-base, both in the emulator's registry.
MACHINE = HardwareProfile.described(vram_gb=8, gpu="nvidia", ram_gb=32)
CHAT, AUTO = "qwen2.5-coder:7b", "qwen2.5-coder:1.5b-base"
WAIT_MS = 30000


@pytest.fixture(autouse=True)
def _jobs_finish_before_teardown() -> Iterator[None]:
    yield
    QThreadPool.globalInstance().waitForDone(20000)


@pytest.fixture
def home() -> Path:
    return Path(os.environ["HOME"])


@pytest.fixture
def emulator() -> Iterator[OllamaEmulator]:
    """An Ollama with nothing pulled yet."""
    with OllamaEmulator(installed=()) as emu:
        yield emu


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, home: Path, emulator: OllamaEmulator) -> Path:
    """This 'computer': the described GPU, Continue + Cline in VS Code, aider on PATH, Ollama at the emulator."""
    monkeypatch.setattr(scan_module, "scan_hardware", lambda: MACHINE)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    place("continue/commented.yaml", home / ".continue" / "config.yaml")
    (home / ".vscode" / "extensions" / "saoudrizwan.claude-dev-4.1.13").mkdir(parents=True)
    aider = home / ".local" / "bin" / "aider"
    aider.parent.mkdir(parents=True)
    aider.write_text("#!/bin/sh\nexit 0\n")
    aider.chmod(0o755)
    settings = Settings()
    settings.proxy.port = free_port()
    settings.ollama.url = emulator.url
    settings.save()
    return home


@pytest.fixture
def service(machine: Path) -> Iterator[ProxyService]:
    proxy = ProxyService()
    yield proxy
    proxy.stop()


@pytest.fixture
def wizard(qtbot: QtBot, service: ProxyService) -> SetupWizard:
    window = SetupWizard(service)
    qtbot.addWidget(window)
    window.show()
    return window


def assert_tools_point_at_the_proxy(home: Path, service: ProxyService) -> None:
    url = f"http://127.0.0.1:{Settings.load().proxy.port}/v1"
    token = KeyStore().proxy_token(create=False)
    assert token
    assert url in (home / ".continue" / "config.yaml").read_text()
    providers = json.loads((home / ".cline" / "data" / "settings" / "providers.json").read_text())
    assert providers["providers"]["openai-compatible"]["settings"]["apiKey"] == token
    aider = (home / ".aider.conf.yml").read_text()
    assert url in aider and token in aider
    # ... and the proxy the app runs answers there with that token.
    assert service.running
    assert httpx.get(f"{url}/models", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200


def one_sentence(text: str) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text and text.rstrip().endswith((".", ")"))


def test_one_button_sets_up_everything_with_the_recommended_models(
        qtbot: QtBot, wizard: SetupWizard, service: ProxyService, emulator: OllamaEmulator, machine: Path) -> None:
    finished: list[bool] = []
    wizard.setup_finished.connect(lambda: finished.append(True))
    assert not service.setup_complete()
    qtbot.waitUntil(lambda: CHAT in wizard.welcome.plan.text(), timeout=WAIT_MS)  # what the button will pick
    assert AUTO in wizard.welcome.plan.text() and "GB to download" in wizard.welcome.plan.text()
    wizard.welcome.run_all.click()
    page = wizard.run_all
    # The flow asks for an optional cloud key: "Skip, local only" is a first-class answer.
    qtbot.waitUntil(lambda: page.question.isVisible() and page.question.key_form.isVisible(), timeout=WAIT_MS)
    assert page.question.key_form.skip_button.text() == "Skip, local only"
    page.question.key_form.skip_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.done, timeout=WAIT_MS)

    assert [r.body["model"] for r in emulator.requests_to("/api/pull")] == [CHAT, AUTO]
    assert emulator.requests_to("/api/chat")[-1].body["model"] == CHAT  # the test request reached the local model
    settings = Settings.load()
    assert (settings.models.chat, settings.models.autocomplete) == (CHAT, AUTO)
    assert_tools_point_at_the_proxy(machine, service)
    assert service.setup_complete()
    for tag in (CHAT, AUTO):
        assert page.bars.rows[tag][0].value() == 1000
    assert "Local model answered" in page.answers.text() and " ms" in page.answers.text()
    assert KeyStore().get("anthropic") is None
    assert "Local model via the proxy" in wizard.done.summary.text()

    # Done: start at login is on by default; Finish writes the login entry and ends the wizard.
    assert wizard.done.start_at_login.isChecked()
    wizard.next_button.click()
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    assert list((machine / ".config" / "autostart").glob("*.desktop"))


def visible_retry_buttons(window: QWidget) -> list[QPushButton]:
    return [b for b in window.findChildren(QPushButton) if b.isVisible() and b.isEnabled() and "Retry" in b.text()]


def visible_labels_saying(window: QWidget, text: str) -> list[QLabel]:
    return [w for w in window.findChildren(QLabel) if w.isVisible() and text in w.text()]


def test_a_failed_download_is_one_sentence_with_retry_and_the_retry_finishes(
        qtbot: QtBot, wizard: SetupWizard, emulator: OllamaEmulator, machine: Path, service: ProxyService) -> None:
    emulator.fail_next("network_lost", path="/api/pull", after_chunks=2)  # half-way through the first layer
    wizard.welcome.run_all.click()
    page = wizard.run_all
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=WAIT_MS)
    sentence = page.error.sentence.text()
    assert one_sentence(sentence), sentence
    assert page.rows["models"][0].text() == "✖" and page.error.retry_button.isVisible()
    assert not page.error.details.isVisible()
    # Said once, with one Retry (Next is greyed, not a second Retry), and Enter presses that Retry.
    assert visible_labels_saying(wizard, sentence) == [page.error.sentence]
    assert visible_retry_buttons(wizard) == [page.error.retry_button]
    assert not wizard.next_button.isEnabled() and wizard.next_button.text() == "Next"
    # No stale "0% Starting": the step's bar is gone and the model's bar says where it stopped.
    assert not page.progress.isVisible()
    bar, _detail = page.bars.rows[CHAT]
    assert 0 < bar.value() < 1000
    assert page.bars.detail_text(CHAT).startswith("Stopped at ") and "of 4.7 GB" in page.bars.detail_text(CHAT)
    page.error.details_button.click()  # the details expander shows every step's status
    assert page.error.details.isVisible() and "Download the chat and autocomplete models: failed" in \
        page.error.details.toPlainText()
    assert not (machine / ".aider.conf.yml").exists()  # later steps did not run

    assert not emulator.faults  # the fault was one-shot: the network is back for the Retry
    qtbot.keyClick(wizard, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.question.isVisible(), timeout=WAIT_MS)
    assert not page.error.isVisible() and not visible_labels_saying(wizard, sentence)
    assert not visible_retry_buttons(wizard)
    page.question.key_form.skip_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.done, timeout=WAIT_MS)
    assert_tools_point_at_the_proxy(machine, service)
    resumed = [r.body["model"] for r in emulator.requests_to("/api/pull")]
    assert resumed.count(CHAT) == 2  # the retry pulled again (Ollama resumes the partial download)
    assert page.bars.rows[CHAT][0].value() == 1000
    assert not page.error.isVisible() and not visible_labels_saying(wizard, sentence)


def test_customize_path_walks_every_page_and_skip_local_only(
        qtbot: QtBot, wizard: SetupWizard, emulator: OllamaEmulator, machine: Path, service: ProxyService) -> None:
    wizard.welcome.customize.click()
    assert wizard.current is wizard.hardware
    qtbot.waitUntil(lambda: wizard.hardware.overview is not None, timeout=WAIT_MS)
    hardware = wizard.hardware
    assert hardware.vram.text() == "8 GB" and "32 GB" in hardware.ram.text()
    assert hardware.memory.bar is not None and hardware.memory.bar.weights_bytes > 0
    assert hardware.chosen() == (CHAT, AUTO)
    greyed = [hardware.models.item(i) for i in range(hardware.models.count())
              if "Needs" in hardware.models.item(i).text()]
    assert greyed and all(not item.flags() & Qt.ItemFlag.ItemIsEnabled for item in greyed)
    weights_before = hardware.memory.bar.weights_bytes
    smaller = next(i for i in range(hardware.models.count()) if hardware.models.item(i).text().startswith(
        "qwen2.5-coder:3b — chat"))
    hardware.models.item(smaller).setCheckState(Qt.CheckState.Checked)  # the person picks a smaller chat model
    assert hardware.chosen() == ("qwen2.5-coder:3b", AUTO)
    assert hardware.memory.bar is not None and hardware.memory.bar.weights_bytes < weights_before
    hardware.models.item(1).setCheckState(Qt.CheckState.Checked)  # ... and goes back to the recommendation
    assert hardware.chosen() == (CHAT, AUTO)
    wizard.next_button.click()

    qtbot.waitUntil(lambda: wizard.current is wizard.ollama, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: wizard.ollama.status_value is not None, timeout=WAIT_MS)
    assert wizard.ollama.running.text().startswith("Yes") and wizard.next_button.text() == "Next"
    wizard.next_button.click()

    assert wizard.current is wizard.models
    qtbot.waitUntil(lambda: CHAT in wizard.models.bars.rows, timeout=WAIT_MS)
    assert wizard.next_button.text() == "Download"
    emulator.pull_steps = 20
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.cloud, timeout=WAIT_MS)
    assert wizard.models.bars.rows[CHAT][0].value() == 1000
    assert "GB" in wizard.models.bars.detail_text(AUTO) or wizard.models.bars.detail_text(AUTO) == "Downloaded"

    cloud = wizard.cloud
    assert cloud.form.skip_button.isVisible()
    cloud.form.skip_button.click()
    assert wizard.current is wizard.tools and wizard.context.cloud is False

    tools = wizard.tools
    qtbot.waitUntil(lambda: tools.copy.isEnabled(), timeout=WAIT_MS)
    assert all(tools.checks[name].isChecked() for name in ("continue", "cline", "aider"))
    token = KeyStore().proxy_token(create=False)
    assert token and token not in tools.token_label.text() and "..." in tools.token_label.text()
    tools.copy.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == token
    tools.checks["aider"].setChecked(False)
    tools.show_changes.click()
    qtbot.waitUntil(lambda: tools.diff.isVisible() and tools.show_changes.isEnabled(), timeout=WAIT_MS)
    diff = tools.diff.toPlainText()
    assert "Continue" in diff and "Cline" in diff and "Aider" not in diff and token not in diff
    assert str(app_paths().backups_dir) in tools.backups.text()
    before = (machine / ".continue" / "config.yaml").read_bytes()
    assert not (machine / ".cline" / "data" / "settings" / "providers.json").exists()  # the preview wrote nothing
    wizard.next_button.click()

    qtbot.waitUntil(lambda: wizard.current is wizard.test, timeout=WAIT_MS)
    assert (machine / ".continue" / "config.yaml").read_bytes() != before
    assert not (machine / ".aider.conf.yml").exists()  # unticked
    qtbot.waitUntil(lambda: wizard.test.passed, timeout=WAIT_MS)
    assert " ms" in wizard.test.local.text() and "local only" in wizard.test.cloud.text()
    assert KeyStore().get("anthropic") is None
    wizard.next_button.click()
    assert wizard.current is wizard.done
    wizard.back_button.click()
    assert wizard.current is wizard.test


def test_the_cloud_key_is_checked_before_it_is_stored(
        qtbot: QtBot, wizard: SetupWizard, anthropic_emulator: AnthropicEmulator) -> None:
    settings = Settings.load()
    settings.cloud.anthropic_base_url = anthropic_emulator.url
    settings.save()
    wizard.show_page("cloud")
    cloud = wizard.cloud
    cloud.form.key.setText("sk-ant-api03-wrong-key-000000000000")
    cloud.form.check_button.click()
    qtbot.waitUntil(lambda: cloud.error.isVisible(), timeout=WAIT_MS)
    assert "refused the key" in cloud.error.sentence.text() and one_sentence(cloud.error.sentence.text())
    assert KeyStore().get("anthropic") is None and wizard.current is cloud
    assert "wrong-key" not in cloud.error.details.toPlainText()

    cloud.form.key.setText(DEFAULT_KEY)
    cloud.error.retry_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.tools, timeout=WAIT_MS)
    assert KeyStore().get("anthropic") == DEFAULT_KEY
    assert "stored in the system keyring" in cloud.message.text()
    assert cloud.form.key.text() == "" and wizard.context.cloud is True
    assert anthropic_emulator.requests  # a real call checked it


def test_without_a_keyring_the_private_file_is_offered_and_used(
        qtbot: QtBot, wizard: SetupWizard, anthropic_emulator: AnthropicEmulator) -> None:
    keyring.set_keyring(fail.Keyring())
    settings = Settings.load()
    settings.cloud.anthropic_base_url = anthropic_emulator.url
    settings.save()
    wizard.show_page("cloud")
    cloud = wizard.cloud
    qtbot.waitUntil(lambda: cloud.keyring.isVisible(), timeout=WAIT_MS)
    path = KeyStore().fallback_path
    assert str(path) in cloud.keyring.where.text()
    assert "no system keyring" in cloud.keyring.findChildren(type(cloud.message))[0].text()
    assert not cloud.form.check_button.isEnabled()  # nothing is stored in a file without consent
    cloud.keyring.allow.setChecked(True)
    qtbot.waitUntil(lambda: Settings.load().keys.allow_file_fallback, timeout=WAIT_MS)
    assert cloud.form.check_button.isEnabled()
    cloud.form.key.setText(DEFAULT_KEY)
    cloud.form.check_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.tools, timeout=WAIT_MS)
    assert "private key file" in cloud.message.text()
    store = KeyStore(allow_file_fallback=True)
    assert store.status("anthropic").source == "file" and store.get("anthropic") == DEFAULT_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_cancel_keeps_the_download_and_resume_finishes_it(
        qtbot: QtBot, wizard: SetupWizard, emulator: OllamaEmulator, machine: Path) -> None:
    settings = Settings.load()
    settings.models.chat, settings.models.autocomplete = CHAT, AUTO
    settings.save()
    emulator.pull_bytes_per_s = 2e9  # ~100 MB per 50 ms tick: a few seconds for the chat model
    wizard.show_page("models")
    models = wizard.models
    qtbot.waitUntil(lambda: CHAT in models.bars.rows and AUTO in models.bars.rows, timeout=WAIT_MS)
    assert wizard.next_button.text() == "Download"
    wizard.next_button.click()
    qtbot.waitUntil(lambda: "MB/s" in models.bars.detail_text(CHAT), timeout=WAIT_MS)
    assert "left" in models.bars.detail_text(CHAT)
    assert wizard.cancel_button.isVisible()
    wizard.cancel_button.click()
    qtbot.waitUntil(lambda: not models.busy, timeout=WAIT_MS)
    assert wizard.next_button.text() == "Resume download" and "Paused" in models.message.text()
    assert wizard.current is models and not models.error.isVisible()
    emulator.pull_bytes_per_s = None
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.cloud, timeout=WAIT_MS)
    assert {CHAT, AUTO} <= set(emulator.models)
    assert "resumed" in models.bars.detail_text(CHAT)  # what the cancelled try fetched was kept


def test_every_page_renders_offscreen_for_the_screenshots(qtbot: QtBot, service: ProxyService) -> None:
    pages = wizard_pages_for_screenshots(service)
    names = [name for name, _ in pages]
    assert len(names) == len(set(names)) >= 9
    for name, widget in pages:
        qtbot.addWidget(widget)
        widget.show()
        assert not widget.grab().isNull(), name
    hardware = dict(pages)["wizard-3-hardware"]
    assert isinstance(hardware, SetupWizard) and "NVIDIA GeForce RTX 3070" in hardware.hardware.gpu.text()


def test_ollama_not_answering_is_one_sentence_with_retry_that_works_once_it_answers(
        qtbot: QtBot, wizard: SetupWizard, emulator: OllamaEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridcoder.ollama import detect

    monkeypatch.setattr(detect, "find_binary", lambda platform=None: None)
    monkeypatch.setattr(detect, "find_desktop_app", lambda platform=None: None)
    emulator.stop()  # the configured Ollama does not answer
    wizard.show_page("ollama")
    page = wizard.ollama
    qtbot.waitUntil(lambda: page.status_value is not None, timeout=WAIT_MS)
    assert not page.running.text().startswith("Yes") and emulator.url in page.address.text()
    wizard.next_button.click()
    qtbot.waitUntil(lambda: page.error.isVisible() or page.question.isVisible(), timeout=WAIT_MS)
    if page.question.isVisible():  # the core may offer to install it: decline
        assert page.question.no.isVisible()
        page.question.no.click()
        qtbot.waitUntil(lambda: page.error.isVisible(), timeout=WAIT_MS)
    assert one_sentence(page.error.sentence.text()), page.error.sentence.text()
    assert wizard.current is page and not page.busy

    emulator.start()
    page.error.retry_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.models, timeout=WAIT_MS)
    assert not page.error.isVisible()


def test_one_button_with_a_cloud_key_tests_both_models_and_opens_the_dashboard(
        qtbot: QtBot, wizard: SetupWizard, service: ProxyService, anthropic_emulator: AnthropicEmulator,
        machine: Path) -> None:
    settings = Settings.load()
    settings.cloud.anthropic_base_url = anthropic_emulator.url
    settings.save()
    signals: list[str] = []
    wizard.setup_finished.connect(lambda: signals.append("finished"))
    wizard.open_dashboard_requested.connect(lambda: signals.append("dashboard"))
    wizard.welcome.run_all.click()
    page = wizard.run_all
    qtbot.waitUntil(lambda: page.question.key_form.isVisible(), timeout=WAIT_MS)
    assert page.question.key_form.provider == "anthropic"
    page.question.key_form.key.setText(DEFAULT_KEY)
    page.question.key_form.check_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.done, timeout=WAIT_MS)
    assert KeyStore().get("anthropic") == DEFAULT_KEY
    answers = page.answers.text()
    assert "Local model answered" in answers and "Cloud model answered" in answers
    assert anthropic_emulator.requests_to("/v1/messages")  # the cloud test went through the proxy

    wizard.done.start_at_login.setChecked(False)
    wizard.done.dashboard.click()
    qtbot.waitUntil(lambda: "finished" in signals, timeout=WAIT_MS)
    assert signals == ["dashboard", "finished"]
    assert not list((machine / ".config" / "autostart").glob("*.desktop"))


def test_one_button_without_a_keyring_offers_the_private_file_and_retry_finishes(
        qtbot: QtBot, wizard: SetupWizard, service: ProxyService, machine: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    wizard.welcome.enter()
    qtbot.waitUntil(lambda: wizard.welcome.keyring.isVisible(), timeout=WAIT_MS)  # offered up front too
    wizard.welcome.run_all.click()
    page = wizard.run_all
    qtbot.waitUntil(lambda: page.question.isVisible(), timeout=WAIT_MS)
    page.question.key_form.skip_button.click()
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=WAIT_MS)
    assert page.rows["token"][0].text() == "✖" and "keyring" in page.error.sentence.text()
    qtbot.waitUntil(lambda: page.keyring.isVisible(), timeout=WAIT_MS)
    assert str(KeyStore().fallback_path) in page.keyring.where.text()
    assert not KeyStore().fallback_path.exists()  # nothing written without consent
    page.keyring.allow.setChecked(True)
    qtbot.waitUntil(lambda: Settings.load().keys.allow_file_fallback, timeout=WAIT_MS)
    page.error.retry_button.click()
    qtbot.waitUntil(lambda: wizard.current is wizard.done, timeout=WAIT_MS)
    store = KeyStore(allow_file_fallback=True)
    assert store.proxy_token(create=False) and stat.S_IMODE(store.fallback_path.stat().st_mode) == 0o600
    assert "hc-" in (machine / ".aider.conf.yml").read_text()
    assert service.running


def test_enter_presses_the_big_button_then_next(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt

    window = SetupWizard(None, look_around=False)
    qtbot.addWidget(window)
    window.show()
    pressed: list[str] = []
    window.welcome.run_all_requested.disconnect()
    window.welcome.run_all_requested.connect(lambda: pressed.append("run all"))
    qtbot.keyClick(window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pressed == ["run all"], timeout=5000)

    window.show_page("cloud", enter=False)
    window.next_button.clicked.disconnect()
    window.next_button.clicked.connect(lambda: pressed.append("next"))
    qtbot.keyClick(window, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    qtbot.waitUntil(lambda: pressed == ["run all", "next"], timeout=5000)
