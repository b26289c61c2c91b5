"""The setup flow end to end: real Ollama manager against the emulator, real proxy, real requests.

``hybridcoder setup --yes --no-cloud`` runs in the test's temporary HOME: it pulls the
models from the Ollama emulator, configures the detected tools, starts the real proxy and
sends a real request through it. A second run reports everything already done; a run that
fails resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hybridcoder.cli import main
from hybridcoder.keys import KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings
from hybridcoder.setup_flow import SetupCallbacks, SetupEvent, SetupFlow, SetupOptions, check_anthropic_key
from tests.clients.conftest import place
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.ports import free_port

CHAT, AUTO = "qwen2.5-coder:3b", "qwen2.5-coder:0.5b-base"


@pytest.fixture
def emulator() -> Iterator[OllamaEmulator]:
    """An Ollama with nothing pulled yet, so setup has to download both models."""
    with OllamaEmulator(installed=()) as emu:
        yield emu


@pytest.fixture
def user_with_tools(home_dir: Path) -> Path:
    """A HOME where Continue (with the user's own config) and Cline are installed."""
    place("continue/commented.yaml", home_dir / ".continue" / "config.yaml")
    (home_dir / ".vscode" / "extensions" / "saoudrizwan.claude-dev-4.1.13").mkdir(parents=True)
    settings = Settings()
    settings.proxy.port = free_port()
    settings.save()
    return home_dir


@pytest.fixture
def home_dir() -> Path:
    import os

    return Path(os.environ["HOME"])


def recorder(asked: list[str], answer: bool) -> Callable[[str], bool]:
    """A consent callback that remembers each question and gives the same answer."""
    def consent(question: str) -> bool:
        asked.append(question)
        return answer
    return consent


def setup_args(emulator: OllamaEmulator) -> list[str]:
    return ["setup", "--yes", "--no-cloud", "--chat-model", CHAT, "--autocomplete-model", AUTO,
            "--ollama-url", emulator.url]


def test_setup_yes_no_cloud_end_to_end_then_everything_already_done(
        emulator: OllamaEmulator, user_with_tools: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(setup_args(emulator)) == 0
    out = capsys.readouterr().out
    assert [r.body["model"] for r in emulator.requests_to("/api/pull")] == [CHAT, AUTO]
    # The verification went through the real proxy to the local chat model.
    chats = emulator.requests_to("/api/chat")
    assert chats and chats[-1].body["model"] == CHAT
    assert "Local model answered through the proxy in" in out and " ms" in out
    settings = Settings.load()
    assert (settings.models.chat, settings.models.autocomplete, settings.ollama.url) == (CHAT, AUTO, emulator.url)
    assert f"http://127.0.0.1:{settings.proxy.port}/v1" in (user_with_tools / ".continue" / "config.yaml").read_text()
    providers = json.loads((user_with_tools / ".cline" / "data" / "settings" / "providers.json").read_text())
    assert providers["providers"]["openai-compatible"]["settings"]["apiKey"] == KeyStore().proxy_token(create=False)
    assert not (user_with_tools / ".aider.conf.yml").exists()  # aider is not installed here: skipped
    state = json.loads((app_paths().state_dir / "setup.json").read_text())
    for name in ("hardware", "ollama", "models", "token", "tools", "proxy", "verify"):
        assert state["steps"][name]["status"] == "done"
    assert "Next: keep the proxy running" in out and "dashboard" in out

    backups = sorted(app_paths().backups_dir.iterdir())
    pulls, requests = len(emulator.requests_to("/api/pull")), len(emulator.requests_to("/api/chat"))
    assert main(setup_args(emulator)) == 0
    second = capsys.readouterr().out
    assert "Everything was already set up; nothing changed." in second
    assert second.count("already done") + second.count("already chosen") + second.count("Cloud skipped") >= 8
    assert len(emulator.requests_to("/api/pull")) == pulls and len(emulator.requests_to("/api/chat")) == requests
    assert sorted(app_paths().backups_dir.iterdir()) == backups  # no config was rewritten


def test_a_failed_step_is_explained_and_the_rerun_resumes_there(
        emulator: OllamaEmulator, user_with_tools: Path, capsys: pytest.CaptureFixture[str]) -> None:
    del emulator.registry[AUTO]  # the autocomplete tag cannot be found: the pull fails in-stream
    assert main(setup_args(emulator)) == 1
    captured = capsys.readouterr()
    assert "Setup stopped at “Download the chat and autocomplete models”" in captured.out
    assert AUTO in captured.out and "Traceback" not in captured.out + captured.err
    assert captured.err.strip().splitlines()[-1].startswith("hybridcoder: setup stopped at")
    state = json.loads((app_paths().state_dir / "setup.json").read_text())
    assert state["steps"]["models"]["status"] == "failed"
    assert "tools" not in state["steps"]  # later steps did not run

    emulator.registry[AUTO] = dataclasses.replace(emulator.registry[CHAT], name=AUTO, layers=())
    assert main(setup_args(emulator)) == 0
    out = capsys.readouterr().out
    assert "Models already chosen" in out and "Make sure Ollama is installed and running: already done" in out
    assert [r.body["model"] for r in emulator.requests_to("/api/pull")][-1] == AUTO


def test_flow_events_progress_forward_and_recommendation_is_used(
        emulator: OllamaEmulator, home_dir: Path) -> None:
    from hybridcoder.hardware.scan import scan_hardware
    from hybridcoder.recommend import recommend_models

    recommendation = recommend_models(scan_hardware())
    assert recommendation.chat is not None and recommendation.autocomplete is not None
    for choice in (recommendation.chat, recommendation.autocomplete):  # make the recommended tags pullable
        emulator.registry[choice.tag] = dataclasses.replace(emulator.registry[CHAT], name=choice.tag, layers=())
    settings = Settings()
    settings.proxy.port = free_port()
    settings.save()
    events: list[SetupEvent] = []
    flow = SetupFlow(options=SetupOptions(ollama_url=emulator.url, cloud=False), on_event=events.append)
    result = flow.run()
    try:
        assert result.ok, [s.message for s in result.steps]
        assert Settings.load().models.chat == recommendation.chat.tag
        assert Settings.load().models.chat_context == recommendation.chat.context
        pulls = [e.fraction for e in events
                 if e.step == "models" and e.status == "progress" and e.fraction is not None]
        assert pulls and pulls == sorted(pulls) and max(pulls) <= 1.0  # the bar only moves forward
        finished = [e.step for e in events if e.status in ("done", "already done")]
        assert finished[:3] == ["hardware", "ollama", "models"]
        assert result.proxy is not None and result.proxy.running  # the caller decides when it stops
    finally:
        if result.proxy is not None:
            result.proxy.stop()


def test_cancel_stops_cleanly_and_keeps_state(emulator: OllamaEmulator, home_dir: Path) -> None:
    cancel = threading.Event()
    events: list[SetupEvent] = []

    def on_event(event: SetupEvent) -> None:
        events.append(event)
        if event.step == "ollama" and event.status in ("done", "already done"):
            cancel.set()

    options = SetupOptions(chat_model=CHAT, autocomplete_model=AUTO, ollama_url=emulator.url, cloud=False)
    result = SetupFlow(options=options, on_event=on_event).run(cancel)
    assert [s.status for s in result.steps][:4] == ["done", "already done", "cancelled", "not run"]
    assert "run it again" in result.steps[2].message
    assert not emulator.requests_to("/api/pull")


def test_cloud_key_is_checked_with_a_real_call_before_it_is_stored(
        emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, home_dir: Path,
        memory_keyring: object) -> None:
    settings = Settings()
    settings.proxy.port = free_port()
    settings.cloud.anthropic_base_url = anthropic_emulator.url
    settings.save()
    asked: list[str] = []
    options = SetupOptions(chat_model=CHAT, autocomplete_model=AUTO, ollama_url=emulator.url)

    wrong = SetupCallbacks(ask_cloud_key=lambda: "sk-ant-api03-wrong-key-000000000000",
                           consent_store_key=recorder(asked, True))
    result = SetupFlow(options=options, callbacks=wrong).run()
    failed = [s for s in result.steps if s.status == "failed"]
    assert failed and failed[0].name == "cloud_key" and "refused the key" in failed[0].message
    assert KeyStore().get("anthropic") is None and asked == []  # never stored, never even asked

    right = SetupCallbacks(ask_cloud_key=lambda: DEFAULT_KEY, consent_store_key=recorder(asked, True))
    result = SetupFlow(options=options, callbacks=right).run()
    try:
        assert result.ok, [s.message for s in result.steps]
        assert KeyStore().get("anthropic") == DEFAULT_KEY and len(asked) == 1
        verify = next(s for s in result.steps if s.name == "verify")
        assert "cloud in" in verify.message  # a real request reached the Anthropic emulator via the proxy
        assert anthropic_emulator.requests_to("/v1/messages")
    finally:
        if result.proxy is not None:
            result.proxy.stop()


def test_key_check_reports_an_unreachable_cloud() -> None:
    from hybridcoder.setup_flow import SetupError

    with pytest.raises(SetupError, match="Could not reach Anthropic"):
        check_anthropic_key("sk-ant-api03-whatever-000000", f"http://127.0.0.1:{free_port()}", timeout=2)


def test_setup_yes_reads_a_piped_key_checks_and_stores_it(
        emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, home_dir: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    settings = Settings()
    settings.proxy.port = free_port()
    settings.cloud.anthropic_base_url = anthropic_emulator.url
    settings.save()
    monkeypatch.setattr("sys.stdin", io.StringIO(DEFAULT_KEY + "\n"))
    args = ["setup", "--yes", "--chat-model", CHAT, "--autocomplete-model", AUTO, "--ollama-url", emulator.url]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "key works and is stored in the system keyring" in out
    assert DEFAULT_KEY not in out and KeyStore().get("anthropic") == DEFAULT_KEY
    assert "cloud in" in out


def test_ollama_missing_and_install_refused_is_one_clear_failure(home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridcoder.ollama import detect

    monkeypatch.setattr(detect, "find_binary", lambda platform=None: None)
    monkeypatch.setattr(detect, "find_desktop_app", lambda platform=None: None)
    asked: list[str] = []
    callbacks = SetupCallbacks(consent_install_ollama=recorder(asked, False))
    options = SetupOptions(chat_model=CHAT, autocomplete_model=AUTO, cloud=False,
                           ollama_url=f"http://127.0.0.1:{free_port()}")
    result = SetupFlow(options=options, callbacks=callbacks).run()
    failed = next(s for s in result.steps if s.status == "failed")
    assert failed.name == "ollama" and "https://ollama.com/download" in failed.message
    assert len(asked) == 1 and "not installed" in asked[0]
    assert [s.status for s in result.steps][2:] == ["not run"] * 6


def test_a_remote_ollama_that_does_not_answer_is_never_installed_over(
        home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`setup --yes` with [ollama] url on another machine: say it is not answering there; download nothing."""
    from hybridcoder.ollama import detect

    monkeypatch.setattr(detect, "find_binary", lambda platform=None: None)
    monkeypatch.setattr(detect, "find_desktop_app", lambda platform=None: None)
    asked: list[str] = []
    callbacks = SetupCallbacks(consent_install_ollama=recorder(asked, True))  # --yes: it would say yes
    options = SetupOptions(chat_model=CHAT, autocomplete_model=AUTO, cloud=False, ollama_url="http://192.0.2.1:11434")
    result = SetupFlow(options=options, callbacks=callbacks).run()
    failed = next(s for s in result.steps if s.status == "failed")
    assert failed.name == "ollama"
    assert "isn't answering at http://192.0.2.1:11434 (on another machine)" in failed.message
    assert asked == []  # never offered, never downloaded


def test_a_broken_tool_config_stops_setup_with_the_reset_hint(
        emulator: OllamaEmulator, home_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = place("continue/broken.yaml", home_dir / ".continue" / "config.yaml")
    settings = Settings()
    settings.proxy.port = free_port()
    settings.save()
    assert main(setup_args(emulator)) == 1
    out = capsys.readouterr().out
    assert "line 7" in out and "--reset-broken" in out
    assert (home_dir / ".continue" / "config.yaml").read_bytes() == broken


def test_a_machine_with_room_for_one_model_shares_it_for_autocomplete(
        emulator: OllamaEmulator, home_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hybridcoder.hardware.scan as scan_module
    from hybridcoder.hardware.profile import HardwareProfile
    from hybridcoder.recommend import recommend_models

    tiny = HardwareProfile.described(ram_gb=3, gpu="none")  # CPU only, 3 GB: room for one model
    recommendation = recommend_models(tiny)
    assert recommendation.chat is not None and recommendation.autocomplete is None
    monkeypatch.setattr(scan_module, "scan_hardware", lambda: tiny)
    emulator.registry[recommendation.chat.tag] = dataclasses.replace(
        emulator.registry[CHAT], name=recommendation.chat.tag, layers=())
    settings = Settings()
    settings.proxy.port = free_port()
    settings.save()
    result = SetupFlow(options=SetupOptions(ollama_url=emulator.url, cloud=False)).run()
    try:
        assert result.ok, [s.message for s in result.steps]
        saved = Settings.load().models
        assert saved.chat == saved.autocomplete == recommendation.chat.tag
        assert "shares the chat model" in result.steps[0].message
    finally:
        if result.proxy is not None:
            result.proxy.stop()
