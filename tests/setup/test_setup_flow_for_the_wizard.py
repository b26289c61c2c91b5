"""What the setup flow gives the desktop wizard, tested without Qt.

- progress events carry the download's PullProgress (MB/s, time left) and the test answers;
- a caller that owns the proxy (the app's ProxyService) starts it through ``SetupCallbacks.start_proxy``;
- OpenAI and Ollama Cloud keys are checked with a cheap real call before they are stored;
- ``preview_tool_changes`` is the tools step's dry run (diffs, token masked, nothing written);
- ``Verify(always=True)`` sends the test request again even after it passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridcoder.app_service import ProxyService
from hybridcoder.keys import KeyStore
from hybridcoder.ollama import PullProgress
from hybridcoder.settings import Settings
from hybridcoder.setup_flow import (
    PullModels,
    SetupCallbacks,
    SetupError,
    SetupEvent,
    SetupFlow,
    StartProxy,
    StoreCloudKey,
    Verify,
    VerifyAnswer,
    check_cloud_key,
    check_ollama_cloud_key,
    check_openai_key,
    default_steps,
    model_downloads,
    preview_tool_changes,
)
from tests.clients.conftest import place
from tests.emulators.ollama import OllamaEmulator
from tests.emulators.openai import DEFAULT_KEY as OPENAI_KEY
from tests.emulators.openai import OpenAIEmulator
from tests.ports import free_port

CHAT, AUTO = "qwen2.5-coder:3b", "qwen2.5-coder:0.5b-base"


@pytest.fixture
def emulator() -> Iterator[OllamaEmulator]:
    with OllamaEmulator(installed=()) as emu:
        yield emu


@pytest.fixture
def settings(emulator: OllamaEmulator) -> Settings:
    settings = Settings()
    settings.proxy.port = free_port()
    settings.ollama.url = emulator.url
    settings.models.chat, settings.models.autocomplete = CHAT, AUTO
    settings.save()
    return settings


def test_download_events_carry_speed_and_time_left_per_model(emulator: OllamaEmulator, settings: Settings) -> None:
    emulator.pull_bytes_per_s = 4e9  # a few ticks per model, so a speed can be measured
    assert model_downloads(settings) == [(CHAT, False), (AUTO, False)]
    events: list[SetupEvent] = []
    result = SetupFlow(on_event=events.append, steps=[PullModels()]).run()
    assert result.ok, [s.message for s in result.steps]
    assert model_downloads(settings) == [(CHAT, True), (AUTO, True)]
    pulls = [e.detail for e in events if isinstance(e.detail, PullProgress)]
    assert {p.tag for p in pulls} == {CHAT, AUTO}
    chat = [p for p in pulls if p.tag == CHAT]
    assert [p.fraction for p in chat] == sorted(p.fraction for p in chat) and chat[-1].fraction == 1.0
    assert any(p.bytes_per_s > 0 and p.eta_s is not None for p in chat)


def test_the_callers_proxy_is_started_and_the_test_answers_come_with_the_events(
        emulator: OllamaEmulator, settings: Settings) -> None:
    from tests.emulators.ollama import default_catalog

    emulator.install(default_catalog()[CHAT])
    events: list[SetupEvent] = []
    service = ProxyService()
    callbacks = SetupCallbacks(start_proxy=service.start)
    try:
        result = SetupFlow(callbacks=callbacks, on_event=events.append, steps=[StartProxy(), Verify()]).run()
        assert result.ok, [s.message for s in result.steps]
        assert result.proxy is None and service.running  # the app's proxy, not one the flow owns
        answers = [e.detail for e in events if isinstance(e.detail, VerifyAnswer)]
        assert [a.route for a in answers] == ["local"] and answers[0].text.startswith("Echo:")
        assert answers[0].latency_ms > 0
        chats = len(emulator.requests_to("/api/chat"))
        again = SetupFlow(callbacks=callbacks, steps=[Verify()]).run()
        assert again.steps[0].status == "already done" and len(emulator.requests_to("/api/chat")) == chats
        forced = SetupFlow(callbacks=callbacks, steps=[Verify(always=True)]).run()
        assert forced.steps[0].status == "done" and len(emulator.requests_to("/api/chat")) == chats + 1
    finally:
        service.stop()


def test_openai_keys_are_checked_before_they_are_stored(openai_emulator: OpenAIEmulator, settings: Settings) -> None:
    with pytest.raises(SetupError, match="OpenAI refused the key"):
        check_openai_key("sk-proj-wrong-key-00000000000000000000", openai_emulator.base_url, timeout=5)
    check_openai_key(OPENAI_KEY, openai_emulator.base_url, timeout=5)

    settings.cloud.provider = "openai"
    settings.cloud.openai_base_url = openai_emulator.base_url
    settings.save()
    wrong = SetupCallbacks(ask_cloud_key=lambda: "sk-proj-wrong-key-00000000000000000000",
                           consent_store_key=lambda _q: True)
    result = SetupFlow(callbacks=wrong, steps=[StoreCloudKey()]).run()
    assert result.steps[0].status == "failed" and KeyStore().get("openai") is None
    right = SetupCallbacks(ask_cloud_key=lambda: OPENAI_KEY, consent_store_key=lambda _q: True)
    result = SetupFlow(callbacks=right, steps=[StoreCloudKey()]).run()
    assert result.steps[0].status == "done" and "OpenAI key works" in result.steps[0].message
    assert KeyStore().get("openai") == OPENAI_KEY


def test_ollama_cloud_key_check_and_unknown_providers(settings: Settings) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SetupError, match="Could not reach Ollama Cloud"):
        check_ollama_cloud_key("key-0123456789", dead, timeout=2)
    with pytest.raises(SetupError, match="Unknown cloud provider"):
        check_cloud_key("somewhere", "key", settings)


def test_the_tools_preview_shows_the_diff_and_writes_nothing(settings: Settings) -> None:
    home = Path(os.environ["HOME"])
    original = place("continue/commented.yaml", home / ".continue" / "config.yaml")
    keys = KeyStore()
    report = preview_tool_changes(settings, keys, ("continue", "aider"))
    token = keys.proxy_token(create=False)
    assert token
    by_tool = {t.tool: t for t in report.tools}
    assert by_tool["continue"].status == "would change" and f":{settings.proxy.port}/v1" in by_tool["continue"].diff
    assert token not in by_tool["continue"].diff + by_tool["aider"].diff
    assert (home / ".continue" / "config.yaml").read_bytes() == original
    assert not (home / ".aider.conf.yml").exists()


def test_the_provider_picked_while_answering_is_the_one_stored(
        openai_emulator: OpenAIEmulator, settings: Settings) -> None:
    """The wizard's key question also offers the provider; the step reads it after asking."""
    settings.cloud.openai_base_url = openai_emulator.base_url
    settings.save()
    flows: list[SetupFlow] = []

    def ask() -> str:
        flows[0].settings.cloud.provider = "openai"
        return OPENAI_KEY

    flow = SetupFlow(callbacks=SetupCallbacks(ask_cloud_key=ask, consent_store_key=lambda _q: True),
                     steps=[StoreCloudKey()])
    flows.append(flow)
    assert flow.run().ok
    assert KeyStore().get("openai") == OPENAI_KEY and KeyStore().get("anthropic") is None


def test_the_steps_the_wizard_lists_are_the_flows_steps() -> None:
    """The one-button page shows a row per default step, in this order."""
    names = [s.name for s in default_steps()]
    assert names == ["hardware", "ollama", "models", "cloud_key", "token", "tools", "proxy", "verify"]


def test_a_stored_key_is_replaced_only_when_asked_and_only_after_its_check(
        openai_emulator: OpenAIEmulator, settings: Settings) -> None:
    settings.cloud.provider = "openai"
    settings.cloud.openai_base_url = openai_emulator.base_url
    settings.save()
    KeyStore().set("openai", "sk-proj-old-key-000000000000000000000")
    asked: list[bool] = []

    def ask(key: str) -> SetupCallbacks:
        return SetupCallbacks(ask_cloud_key=lambda: asked.append(True) or key, consent_store_key=lambda _q: True)

    plain = SetupFlow(callbacks=ask(OPENAI_KEY), steps=[StoreCloudKey()]).run()
    assert plain.steps[0].status == "already done" and asked == []
    wrong = SetupFlow(callbacks=ask("sk-proj-wrong-key-00000000000000000000"),
                      steps=[StoreCloudKey(replace=True)]).run()
    assert wrong.steps[0].status == "failed" and KeyStore().get("openai") == "sk-proj-old-key-000000000000000000000"
    right = SetupFlow(callbacks=ask(OPENAI_KEY), steps=[StoreCloudKey(replace=True)]).run()
    assert right.steps[0].status == "done" and KeyStore().get("openai") == OPENAI_KEY
