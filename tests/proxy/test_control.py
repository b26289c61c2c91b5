"""Live control of a running proxy: every change is checked by a real request through it."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from hybridcoder.proxy.control import (
    ControlError,
    ProxyControl,
    RemoteControl,
    connect_running,
)
from hybridcoder.routing.features import extract_features
from hybridcoder.routing.learning import Learner
from hybridcoder.settings import Settings
from tests.emulators.anthropic import AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, TOKEN, RunningProxy, StartProxy

BODY = {"model": "hybrid-auto", "messages": CHAT}


def control_of(proxy: RunningProxy) -> ProxyControl:
    assert proxy.server.state is not None
    return ProxyControl(proxy.server.state, url=proxy.url, port=proxy.server.port)


def ask(proxy: RunningProxy, body: dict[str, object] | None = None) -> httpx.Response:
    with proxy.http() as http:
        return http.post("/v1/chat/completions", json=body or BODY)


def test_mode_change_moves_the_very_next_request(ollama_emulator: OllamaEmulator,
                                                 anthropic_emulator: AnthropicEmulator,
                                                 start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    control = control_of(proxy)
    assert ask(proxy).headers["x-hybridcoder-route"] == "local"

    control.set_mode("cloud")
    assert control.status().mode == "cloud"
    assert ask(proxy).headers["x-hybridcoder-route"] == "cloud"
    assert len(anthropic_emulator.message_bodies()) == 1

    control.set_mode("local")
    assert ask(proxy).headers["x-hybridcoder-route"] == "local"
    assert [row["route"] for row in proxy.rows(3)] == ["local", "cloud", "local"]
    assert proxy.rows()[1]["reasons"] == ["mode_cloud"]
    with pytest.raises(ValueError, match="Unknown routing mode"):
        control.set_mode("fastest")
    assert with_health(proxy)["mode"] == "local"  # /health reports the live mode too


def with_health(proxy: RunningProxy) -> dict[str, object]:
    data: dict[str, object] = httpx.get(proxy.url + "/health").json()
    return data


def test_threshold_change_applies_to_the_next_request(ollama_emulator: OllamaEmulator,
                                                      anthropic_emulator: AnthropicEmulator,
                                                      start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    control = control_of(proxy)
    control.set_threshold(0.0)  # everything routable is "hard enough" for the cloud
    assert ask(proxy).headers["x-hybridcoder-route"] == "cloud"
    control.set_threshold(1.0)
    assert ask(proxy).headers["x-hybridcoder-route"] == "local"
    assert control.status().threshold == 1.0
    for wrong in (1.5, -0.1, "high", True):
        with pytest.raises(ValueError, match="from 0 to 1"):
            control.set_threshold(wrong)  # type: ignore[arg-type]


def test_send_next_to_cloud_is_one_shot(ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
                                        start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    control = control_of(proxy)
    control.send_next_to_cloud()
    assert control.status().next_to_cloud
    first = {"model": "hybrid-auto", "messages": [{"role": "user", "content": "explain list comprehensions"}]}
    assert ask(proxy, first).headers["x-hybridcoder-route"] == "cloud"
    assert not control.status().next_to_cloud
    assert ask(proxy).headers["x-hybridcoder-route"] == "local"
    rows = proxy.rows(2)
    assert (rows[0]["route"], rows[0]["fallback_cause"]) == ("cloud", "manual_cloud")
    assert rows[1]["route"] == "local"


def test_send_next_to_cloud_without_a_cloud_says_so(ollama_emulator: OllamaEmulator,
                                                    start_proxy: StartProxy) -> None:
    control = control_of(start_proxy(ollama_emulator))
    with pytest.raises(ControlError, match="No cloud provider is set up"):
        control.send_next_to_cloud()
    assert not control.status().next_to_cloud and control.status().cloud_state == "unconfigured"


def test_pause_answers_503_in_each_clients_format_and_resume_works(ollama_emulator: OllamaEmulator,
                                                                   start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    control = control_of(proxy)
    control.pause()
    status = control.status()
    assert status.paused and status.health == "paused"
    with pytest.raises(openai.APIStatusError) as caught:
        proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)  # type: ignore[arg-type]
    assert caught.value.status_code == 503
    assert "Hybrid Coder is paused" in caught.value.message
    with proxy.http() as http:
        native = http.post("/api/chat", json={"model": "qwen2.5-coder:7b", "messages": CHAT})
        assert native.status_code == 503 and native.json()["error"].startswith("Hybrid Coder is paused")
        assert http.get("/health").status_code == 200  # the tray can still see it
    assert ollama_emulator.requests_to("/api/chat") == []

    control.resume()
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "Echo: " + CHAT[0]["content"]
    assert not control.status().paused


def test_set_models_changes_the_model_the_next_request_uses(ollama_emulator: OllamaEmulator,
                                                            start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    control = control_of(proxy)
    ask(proxy, {"model": "hybrid-local", "messages": CHAT})
    assert ollama_emulator.requests_to("/api/chat")[-1].body["model"] == "qwen2.5-coder:7b"

    control.set_models(chat="qwen2.5-coder:1.5b-base")
    reply = ask(proxy, {"model": "hybrid-local", "messages": CHAT})
    assert reply.headers["x-hybridcoder-model"] == "qwen2.5-coder:1.5b-base"
    assert ollama_emulator.requests_to("/api/chat")[-1].body["model"] == "qwen2.5-coder:1.5b-base"
    assert control.status().chat_model == "qwen2.5-coder:1.5b-base"
    assert control.status().autocomplete_model == "qwen2.5-coder:1.5b-base"  # from the fixture's settings

    control.set_models(autocomplete="qwen2.5-coder:7b")
    with proxy.http() as http:
        fim = http.post("/v1/completions", json={"model": "hybrid-auto", "prompt": "def add(a, b):",
                                                 "suffix": "\n"})
    assert fim.status_code == 200
    assert ollama_emulator.requests_to("/api/generate")[-1].body["model"] == "qwen2.5-coder:7b"
    with pytest.raises(ValueError, match="model name"):
        control.set_models(chat="two words")


def test_reset_learning_through_remote_control_reaches_the_running_proxy(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.learning": True})
    state = proxy.server.state
    assert state is not None and state.router.learner is not None
    learner = state.router.learner
    features = extract_features(BODY, "/v1/chat/completions")
    assert learner.adjustment(features) == 0.0

    # The editor's regenerate (the same conversation again after a local answer) escalates and teaches;
    # routing moves a kind of request only after a few of them.
    for name in ("add", "sub", "mul", "div", "mod", "pow", "neg", "abs"):
        if learner.adjustment(features) > 0:
            break
        before = learner.stats()["examples"]
        variant = {"model": "hybrid-auto", "messages": [
            {"role": "user", "content": f"explain this function: def {name}(a, b): return a + b"}]}
        ask(proxy, variant)
        ask(proxy, variant)
        deadline = time.monotonic() + 5  # learning runs in a worker thread
        while learner.stats()["examples"] == before and time.monotonic() < deadline:
            time.sleep(0.01)
    assert learner.adjustment(features) > 0
    assert "client_retry" in [row["fallback_cause"] for row in proxy.rows()]
    learned = learner.stats()["examples"]
    while Learner(learner.path, autosave=False).stats()["examples"] < learned and time.monotonic() < deadline:
        time.sleep(0.01)
    assert Learner(learner.path, autosave=False).stats()["examples"] == learned  # saved by the running proxy

    remote = RemoteControl(proxy.url, TOKEN)
    assert remote.status().learning["examples"] == learned
    remote.reset_learning()
    assert learner.adjustment(features) == 0.0 and learner.stats()["examples"] == 0
    assert json.loads(learner.path.read_text())["examples"] == 0
    assert remote.status().learning["examples"] == 0
    fresh = {"model": "hybrid-auto", "messages": [{"role": "user", "content": CHAT[0]["content"] + " now"}]}
    assert ask(proxy, fresh).headers["x-hybridcoder-route"] == "local"
    # A later escalation does not bring the old state back: the file holds only the new example.
    assert ask(proxy, fresh).headers["x-hybridcoder-route"] == "cloud"
    deadline = time.monotonic() + 5  # the running proxy saves after it learned
    while json.loads(learner.path.read_text())["examples"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert json.loads(learner.path.read_text())["examples"] == 1


def test_remote_control_needs_the_token_and_refuses_web_pages(ollama_emulator: OllamaEmulator,
                                                              start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    with pytest.raises(ControlError, match="refused the access token"):
        RemoteControl(proxy.url, "hc-wrong-token").set_mode("cloud")
    assert httpx.post(proxy.url + "/hybrid/control", json={"action": "pause"}).status_code == 401
    page = httpx.post(proxy.url + "/hybrid/control", json={"action": "pause"},
                      headers={"Authorization": f"Bearer {TOKEN}", "Origin": "https://evil.example"})
    assert page.status_code == 403
    rebound = httpx.post(proxy.url + "/hybrid/control", json={"action": "pause"},
                         headers={"Authorization": f"Bearer {TOKEN}", "Host": "evil.example"})
    assert rebound.status_code == 403  # DNS rebinding: a page's name that resolves to 127.0.0.1
    state = proxy.server.state
    assert state is not None and not state.paused and state.config.mode == "auto"


def test_remote_control_round_trip(ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
                                   start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    settings = Settings()
    settings.proxy.port = proxy.server.port
    remote = connect_running(settings)
    assert remote is not None
    status = remote.status()
    assert (status.running, status.mode, status.cloud_available, status.port) == (True, "auto", True,
                                                                                  proxy.server.port)
    assert status.local_state == "up"  # GET probes the local server
    remote.set_mode("local")
    assert ask(proxy).headers["x-hybridcoder-route"] == "local"
    remote.pause()
    assert ask(proxy).status_code == 503
    remote.resume()
    remote.set_threshold(0.0)
    remote.set_mode("auto")
    assert ask(proxy).headers["x-hybridcoder-route"] == "cloud"
    remote.set_budget(daily_usd=5.0, monthly_usd=50.0)
    assert (remote.status().daily_budget_usd, remote.status().monthly_budget_usd) == (5.0, 50.0)
    with pytest.raises(ValueError, match="Unknown routing mode"):
        remote.set_mode("fast")
    with pytest.raises(ValueError, match="budget must be a number"):
        remote.set_budget(daily_usd=-1)
    nothing = Settings()
    nothing.proxy.port = _free_port()
    assert connect_running(nothing) is None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_recent_requests_and_ask_the_cloud_instead(ollama_emulator: OllamaEmulator,
                                                   anthropic_emulator: AnthropicEmulator,
                                                   start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    control = control_of(proxy)
    ollama_emulator.reply_text = lambda text: "a local answer"
    assert ask(proxy).status_code == 200
    proxy.rows(1)
    (recent,) = control.recent_requests()
    assert (recent.route, recent.kind, recent.answer_preview, recent.can_ask_cloud) == (
        "local", "chat", "a local answer", True)
    assert recent.request_id == proxy.rows()[0]["id"]  # the same id as the ledger row

    comparison = control.ask_cloud_instead(recent.request_id, timeout=20)
    assert comparison.local_answer == "a local answer"
    assert comparison.cloud_answer == "Echo: " + CHAT[0]["content"]
    assert comparison.cloud_model == "claude-sonnet-5-5" and comparison.cloud_latency_ms > 0
    sent = anthropic_emulator.message_bodies()[-1]["messages"][-1]["content"]
    assert CHAT[0]["content"] in json.dumps(sent)
    rows = proxy.rows(2)
    assert (rows[1]["route"], rows[1]["fallback_cause"], rows[1]["first_choice"]) == ("cloud", "manual_cloud",
                                                                                      "local")
    newest = control.recent_requests(1)[0]
    assert newest.route == "cloud" and not newest.can_ask_cloud

    remote = RemoteControl(proxy.url, TOKEN)
    again = remote.ask_cloud_instead(recent.request_id, timeout=20)
    assert again.cloud_answer == comparison.cloud_answer
    assert [r.request_id for r in remote.recent_requests(3)][-1] == recent.request_id
    with pytest.raises(ControlError, match="no longer in memory"):
        control.ask_cloud_instead("not-a-request-id")


def test_budget_cap_set_live_keeps_the_next_request_local(ollama_emulator: OllamaEmulator,
                                                          anthropic_emulator: AnthropicEmulator,
                                                          start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    control = control_of(proxy)
    control.set_mode("cloud")
    assert ask(proxy).headers["x-hybridcoder-route"] == "cloud"  # spends a little
    proxy.rows(1)
    control.set_budget(daily_usd=1e-9)
    assert ask(proxy).headers["x-hybridcoder-route"] == "local"
    assert proxy.rows(2)[1]["reasons"] == ["budget_exhausted"]
    assert control.status().health == "degraded"
    control.set_budget(daily_usd=0.0)  # no cap
    assert ask(proxy).headers["x-hybridcoder-route"] == "cloud"


def test_status_reports_a_dead_local_server(anthropic_emulator: AnthropicEmulator,
                                            start_proxy: StartProxy) -> None:
    proxy = start_proxy(None, anthropic_emulator)  # nothing listens where Ollama should be
    assert ask(proxy).headers["x-hybridcoder-route"] == "cloud"
    proxy.rows(1)
    status = control_of(proxy).status()
    assert (status.local_state, status.cloud_state, status.health) == ("down", "up", "degraded")
    assert "not answering at http://127.0.0.1:9" in status.health_reason


def test_control_endpoint_answers_bad_requests_with_one_clear_sentence(ollama_emulator: OllamaEmulator,
                                                                       start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    with proxy.http() as http:
        broken = http.post("/hybrid/control", content=b"{not json")
        assert broken.status_code == 400 and broken.json()["error"]["type"] == "invalid_request_error"
        unknown = http.post("/hybrid/control", json={"action": "explode"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["message"].startswith("Unknown control action 'explode'")
        wrong_type = http.post("/hybrid/control", json={"action": "set_threshold", "value": "high"})
        assert wrong_type.status_code == 400 and "'value' must be a number" in wrong_type.json()["error"]["message"]
        assert http.put("/hybrid/control").status_code == 405
        refused = http.post("/hybrid/control", json={"action": "send_next_to_cloud"})
        assert refused.status_code == 409 and "No cloud provider" in refused.json()["error"]["message"]
    state = proxy.server.state
    assert state is not None and state.config.threshold == 0.5 and not state.next_to_cloud
