"""The Ollama-native surface, through the real ``ollama`` Python client pointed at the proxy."""

from __future__ import annotations

import httpx
import ollama
import pytest

from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import RunningProxy, StartProxy


def _client(proxy: RunningProxy) -> ollama.Client:
    return ollama.Client(host=proxy.url, timeout=20, headers={"Authorization": f"Bearer {proxy.token}"})


def test_ollama_client_works_through_the_proxy(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    client = _client(proxy)
    with proxy.http() as http:
        assert http.get("/api/version").json()["version"] == ollama_emulator.version
    names = [m.model for m in client.list().models]
    assert "qwen2.5-coder:7b" in names
    assert "insert" in (client.show("qwen2.5-coder:1.5b-base").capabilities or [])
    assert client.ps().models is not None

    reply = client.chat(model="qwen2.5-coder:7b", messages=[{"role": "user", "content": "hi"}],
                        options={"num_ctx": 8192})
    assert reply.message.content == "Echo: hi"
    streamed = "".join(part.response for part in client.generate(
        model="qwen2.5-coder:1.5b-base", prompt="def add(a, b):", suffix="\n", stream=True))
    assert streamed == ollama_emulator.fim_reply
    vectors = client.embed(model="nomic-embed-text:latest", input=["a", "b"]).embeddings
    assert len(vectors) == 2

    # The body reached Ollama unchanged (num_ctx is the client's choice on this surface).
    assert ollama_emulator.requests_to("/api/chat")[-1].body["options"] == {"num_ctx": 8192}
    # The proxy's token is not passed on to Ollama.
    assert all("authorization" not in {k.lower() for k in h} for h in ollama_emulator.request_headers)

    rows = proxy.rows(7)
    work = {r["endpoint"]: r for r in rows}
    assert work["/api/chat"]["kind"] == "chat" and work["/api/chat"]["client"] == "ollama-python"
    assert work["/api/chat"]["prompt_tokens"] > 0 and work["/api/chat"]["completion_tokens"] > 0
    assert work["/api/chat"]["tokens_estimated"] == 0 and work["/api/chat"]["reasons"] == ["ollama_passthrough"]
    assert work["/api/generate"]["kind"] == "autocomplete" and work["/api/generate"]["stream"] == 1
    assert work["/api/embed"]["kind"] == "embed"
    assert {r["route"] for r in rows} == {"local"}


def test_ollama_errors_pass_through_in_ollama_format(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    client = _client(proxy)
    with pytest.raises(ollama.ResponseError) as missing:
        client.chat(model="not-installed:1b", messages=[{"role": "user", "content": "hi"}])
    assert missing.value.status_code == 404 and "not found" in missing.value.error
    with proxy.http() as http:
        bad = http.post("/api/chat", json={"model": 5, "messages": []})
    assert bad.status_code == 400 and "model" in bad.json()["error"]
    ollama_emulator.fail_next("in_stream_error", path="/api/chat", after_chunks=1, message="boom")
    with pytest.raises(ollama.ResponseError):
        list(client.chat(model="qwen2.5-coder:7b", messages=[{"role": "user", "content": "one two three"}],
                         stream=True))
    rows = proxy.rows(3)
    assert [r["status"] for r in rows] == [404, 400, 502]


def test_ollama_down_is_an_ollama_format_error(start_proxy: StartProxy) -> None:
    proxy = start_proxy(None)
    with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {proxy.token}"}) as http:
        response = http.get("/api/tags")
    assert response.status_code == 502 and "ollama serve" in response.json()["error"]


CLOUD_TAG = "qwen3-coder:480b-cloud"
LEAKY = "Why does this fail?\nAPI_KEY=live-4f3e2d1c0b9a\nprint(connect())"


def _with_cloud_model(emulator: OllamaEmulator) -> None:
    """A signed-in Ollama lists its cloud models beside the local ones (reference cloud.md §5)."""
    from tests.emulators.ollama import EmulatedModel

    emulator.install(EmulatedModel(name=CLOUD_TAG, size=384, capabilities=("completion", "tools")))


def test_an_ollama_cloud_tag_is_cloud_traffic_redacted_and_recorded(ollama_emulator: OllamaEmulator,
                                                                   start_proxy: StartProxy) -> None:
    _with_cloud_model(ollama_emulator)
    proxy = start_proxy(ollama_emulator)
    reply = _client(proxy).chat(model=CLOUD_TAG, messages=[{"role": "user", "content": LEAKY}])
    assert reply.message.content.startswith("Echo:")
    sent = ollama_emulator.requests_to("/api/chat")[-1].body["messages"][0]["content"]
    assert "live-4f3e2d1c0b9a" not in sent and "API_KEY=[REDACTED:" in sent
    (row,) = proxy.rows(1)
    assert row["route"] == "cloud" and row["provider"] == "ollama-cloud"
    assert row["redactions"] == 1 and row["reasons"] == ["ollama_cloud_tag"]


def test_a_local_tag_is_passed_through_untouched(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    _client(proxy).chat(model="qwen2.5-coder:7b", messages=[{"role": "user", "content": LEAKY}])
    assert ollama_emulator.requests_to("/api/chat")[-1].body["messages"][0]["content"] == LEAKY


def test_an_ollama_cloud_tag_is_refused_in_local_only_mode(ollama_emulator: OllamaEmulator,
                                                          start_proxy: StartProxy) -> None:
    _with_cloud_model(ollama_emulator)
    proxy = start_proxy(ollama_emulator, **{"routing.mode": "local"})
    with pytest.raises(ollama.ResponseError) as caught:
        _client(proxy).chat(model=CLOUD_TAG, messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 403 and "local only" in caught.value.error
    assert not ollama_emulator.requests_to("/api/chat")


def test_an_ollama_cloud_tag_respects_a_used_up_budget(ollama_emulator: OllamaEmulator,
                                                      start_proxy: StartProxy) -> None:
    _with_cloud_model(ollama_emulator)
    proxy = start_proxy(ollama_emulator)
    proxy.server.config.budget_exhausted = lambda: True
    with pytest.raises(ollama.ResponseError) as caught:
        _client(proxy).generate(model=CLOUD_TAG, prompt="hi", stream=False)
    assert caught.value.status_code == 402 and "budget" in caught.value.error
    assert not ollama_emulator.requests_to("/api/generate")
