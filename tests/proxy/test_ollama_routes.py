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
