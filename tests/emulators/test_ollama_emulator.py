"""The Ollama emulator speaks the documented protocol, checked with the real clients and raw httpx.

If these fail, every test built on the emulator is testing against the wrong Ollama.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.emulators.ollama import EmulatedModel, OllamaEmulator, ScriptedToolCall

CHAT = "qwen2.5-coder:7b"
BASE = "qwen2.5-coder:1.5b-base"
TOOL = {"type": "function", "function": {
    "name": "read_file", "description": "Read a file",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}


def _client(emu: OllamaEmulator) -> ollama.Client:
    return ollama.Client(host=emu.url, timeout=5)


def _ndjson(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _sse(response: httpx.Response) -> list[Any]:
    events: list[Any] = []
    for block in response.text.split("\n\n"):
        if block.startswith("data: "):
            data = block[len("data: "):]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_health_version_and_tags_shapes(ollama_emulator: OllamaEmulator) -> None:
    root = httpx.get(ollama_emulator.url)
    assert root.status_code == 200 and root.text == "Ollama is running"
    assert httpx.head(ollama_emulator.url + "/api/version").status_code == 200
    assert httpx.get(ollama_emulator.url + "/api/version").json() == {"version": ollama_emulator.version}
    tags = httpx.get(ollama_emulator.url + "/api/tags").json()["models"]
    entry = next(m for m in tags if m["name"] == CHAT)
    assert set(entry) >= {"name", "model", "modified_at", "size", "digest", "details"}
    assert entry["details"]["quantization_level"] == "Q4_K_M"
    listed = _client(ollama_emulator).list().models
    assert {m.model for m in listed} == {CHAT, BASE, "nomic-embed-text:latest"}


def test_show_reports_capabilities_and_sizing_keys(ollama_emulator: OllamaEmulator) -> None:
    client = _client(ollama_emulator)
    shown = client.show(CHAT)
    assert shown.capabilities is not None and "insert" in shown.capabilities
    assert "{{ .Suffix }}" in (shown.template or "")
    assert shown.modelinfo is not None
    assert shown.modelinfo["qwen2.block_count"] == 28
    assert shown.modelinfo["qwen2.attention.head_count_kv"] == 4
    assert "general.parameter_count" in shown.modelinfo
    with pytest.raises(ollama.ResponseError) as missing:
        client.show("nope:1b")
    assert missing.value.status_code == 404 and "not found" in missing.value.error


def test_pull_streams_several_layers_with_omitempty_fields(ollama_emulator: OllamaEmulator) -> None:
    with httpx.stream("POST", ollama_emulator.url + "/api/pull", json={"model": "qwen2.5-coder:3b"}) as resp:
        assert resp.headers["content-type"].startswith("application/x-ndjson")
        assert resp.headers["transfer-encoding"] == "chunked"
        resp.read()
        lines = _ndjson(resp)
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-3:] == [{"status": "verifying sha256 digest"}, {"status": "writing manifest"},
                          {"status": "success"}]
    digests = {line["digest"] for line in lines if "digest" in line}
    assert len(digests) >= 3
    first_of_blob = next(line for line in lines if line["status"].startswith("pulling ") and "digest" in line)
    assert "completed" not in first_of_blob  # zero is omitted, not sent as 0
    assert first_of_blob["status"] == f"pulling {first_of_blob['digest'][7:19]}"
    assert "qwen2.5-coder:3b" in {m.model for m in _client(ollama_emulator).list().models}


def test_pull_of_installed_model_reports_cached_blobs_complete(ollama_emulator: OllamaEmulator) -> None:
    lines = list(_client(ollama_emulator).pull(CHAT, stream=True))
    blob_lines = [p for p in lines if p.digest]
    assert blob_lines and all(p.completed == p.total for p in blob_lines)


def test_unknown_tag_fails_in_stream_under_200(ollama_emulator: OllamaEmulator) -> None:
    resp = httpx.post(ollama_emulator.url + "/api/pull", json={"model": "qwen2.5-coder:99b"})
    assert resp.status_code == 200
    assert _ndjson(resp) == [{"status": "pulling manifest"},
                             {"error": "pull model manifest: file does not exist"}]
    with pytest.raises(ollama.ResponseError) as err:
        list(_client(ollama_emulator).pull("qwen2.5-coder:99b", stream=True))
    assert err.value.status_code == -1


def test_malformed_name_is_rejected_before_streaming(ollama_emulator: OllamaEmulator) -> None:
    resp = httpx.post(ollama_emulator.url + "/api/pull", json={"model": "bad name!"})
    assert resp.status_code == 400 and resp.json() == {"error": "invalid model name"}


def test_delete_status_codes(ollama_emulator: OllamaEmulator) -> None:
    url = ollama_emulator.url + "/api/delete"
    ok = httpx.request("DELETE", url, json={"model": BASE})
    assert ok.status_code == 200 and ok.content == b""
    again = httpx.request("DELETE", url, json={"model": BASE})
    assert again.status_code == 404 and again.json()["error"] == f"model '{BASE}' not found"
    assert httpx.request("DELETE", url).status_code == 400
    assert BASE not in {m.model for m in _client(ollama_emulator).list().models}


def test_generate_fim_needs_insert_capability(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.install(EmulatedModel(name="llama3.2:1b", size=1_321_098_329,
                                          capabilities=("completion", "tools"), family="llama"))
    client = _client(ollama_emulator)
    filled = client.generate(BASE, "def add(a, b):\n    ", suffix="\n\nprint(add(1, 2))")
    assert filled.response == ollama_emulator.fim_reply
    assert filled.done_reason == "stop"
    with pytest.raises(ollama.ResponseError) as err:
        client.generate("llama3.2:1b", "x = ", suffix="\n")
    assert err.value.status_code == 400 and "does not support insert" in err.value.error


def test_generate_raw_and_final_metrics(ollama_emulator: OllamaEmulator) -> None:
    resp = httpx.post(ollama_emulator.url + "/api/generate",
                      json={"model": BASE, "prompt": "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>", "raw": True})
    lines = _ndjson(resp)
    final = lines[-1]
    assert final["done"] is True and "context" not in final
    for key in ("total_duration", "load_duration", "prompt_eval_count", "eval_count", "eval_duration"):
        assert isinstance(final[key], int)
    assert final["eval_count"] == len(lines) - 1
    bad = httpx.post(ollama_emulator.url + "/api/generate",
                     json={"model": BASE, "prompt": "x", "raw": True, "system": "be nice"})
    assert bad.status_code == 400 and "raw mode does not support" in bad.json()["error"]


def test_load_unload_and_ps(ollama_emulator: OllamaEmulator) -> None:
    client = _client(ollama_emulator)
    loaded = client.generate(CHAT, "", options={"num_ctx": 8192}, keep_alive="10m")
    assert loaded.done_reason == "load"
    ps = client.ps().models
    assert [m.model for m in ps] == [CHAT]
    assert ps[0].size_vram == ps[0].size and ps[0].context_length == 8192
    unloaded = client.generate(CHAT, "", keep_alive=0)
    assert unloaded.done_reason == "unload"
    assert client.ps().models == []


def test_partial_gpu_offload_shows_in_ps(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.vram_bytes = 2 * 1024**3
    client = _client(ollama_emulator)
    client.generate(CHAT, "")
    model = client.ps().models[0]
    assert model.size_vram == 2 * 1024**3 < (model.size or 0)


def test_model_too_large_fails_to_load(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.memory_bytes = 1024**3
    with pytest.raises(ollama.ResponseError) as err:
        _client(ollama_emulator).generate(CHAT, "hello")
    assert err.value.status_code == 500 and "requires more system memory" in err.value.error


def test_chat_with_tools_streams_object_arguments(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.script_reply("Let me look.", tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"})])
    parts = list(_client(ollama_emulator).chat(CHAT, messages=[{"role": "user", "content": "open a.py"}],
                                               tools=[TOOL], stream=True))
    text = "".join(p.message.content or "" for p in parts)
    assert text == "Let me look."
    calls = [c for p in parts for c in (p.message.tool_calls or [])]
    assert calls[0].function.name == "read_file" and calls[0].function.arguments == {"path": "a.py"}
    final = parts[-1]
    assert final.done and final.done_reason == "stop"
    assert (final.prompt_eval_count or 0) > 0 and (final.eval_count or 0) > 0


def test_default_chat_reply_is_deterministic(ollama_emulator: OllamaEmulator) -> None:
    reply = _client(ollama_emulator).chat(CHAT, messages=[{"role": "user", "content": "hi there"}])
    assert reply.message.content == "Echo: hi there"


def test_embed(ollama_emulator: OllamaEmulator) -> None:
    client = _client(ollama_emulator)
    first = client.embed("nomic-embed-text", ["a", "b"]).embeddings
    assert len(first) == 2 and len(first[0]) == ollama_emulator.embedding_dim
    assert client.embed("nomic-embed-text", ["a"]).embeddings[0] == first[0]


def test_v1_chat_stream_with_usage(ollama_emulator: OllamaEmulator) -> None:
    resp = httpx.post(ollama_emulator.url + "/v1/chat/completions", json={
        "model": CHAT, "messages": [{"role": "user", "content": "one two"}], "stream": True,
        "stream_options": {"include_usage": True}})
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = _sse(resp)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("role" not in c["choices"][0]["delta"] for c in chunks[1:] if c["choices"])
    finish = chunks[-2]
    assert finish["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 3
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Echo: one two"


def test_v1_chat_tool_arguments_are_json_strings(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", {"path": "b.py"})])
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", '{"path": ')])  # invalid on purpose
    client = openai.OpenAI(base_url=ollama_emulator.url + "/v1", api_key="ollama", max_retries=0)
    messages: Any = [{"role": "user", "content": "read"}]
    good = client.chat.completions.create(model=CHAT, messages=messages, tools=[TOOL])  # type: ignore[list-item]
    choice = good.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = (choice.message.tool_calls or [])[0]
    assert json.loads(call.function.arguments) == {"path": "b.py"}  # type: ignore[union-attr]
    bad = client.chat.completions.create(model=CHAT, messages=messages, tools=[TOOL])  # type: ignore[list-item]
    assert (bad.choices[0].message.tool_calls or [])[0].function.arguments == '{"path": '  # type: ignore[union-attr]


def test_v1_completions_stream_usage_quirk(ollama_emulator: OllamaEmulator) -> None:
    resp = httpx.post(ollama_emulator.url + "/v1/completions", json={
        "model": BASE, "prompt": "def f(", "suffix": "):", "stream": True,
        "stream_options": {"include_usage": True}})
    chunks = _sse(resp)[:-1]
    assert all(c["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
               for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert "".join(c["choices"][0]["text"] for c in chunks[:-1]) == ollama_emulator.fim_reply


def test_v1_models_embeddings_and_errors(ollama_emulator: OllamaEmulator) -> None:
    client = openai.OpenAI(base_url=ollama_emulator.url + "/v1", api_key="ollama", max_retries=0)
    assert CHAT in {m.id for m in client.models.list()}
    vectors = client.embeddings.create(model="nomic-embed-text", input=["x", "y"])
    assert len(vectors.data) == 2 and len(vectors.data[0].embedding) == ollama_emulator.embedding_dim
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope:1b", messages=[{"role": "user", "content": "x"}])
    body = httpx.post(ollama_emulator.url + "/v1/chat/completions",
                      json={"model": "nope:1b", "messages": [{"role": "user", "content": "x"}]}).json()
    assert body["error"]["type"] == "not_found_error" and body["error"]["param"] is None


def test_faults_http_error_oom_and_in_stream_error(ollama_emulator: OllamaEmulator) -> None:
    client = _client(ollama_emulator)
    messages = [{"role": "user", "content": "hi"}]
    ollama_emulator.fail_next("http_500")
    with pytest.raises(ollama.ResponseError) as http_error:
        client.chat(CHAT, messages=messages)
    assert http_error.value.status_code == 500
    ollama_emulator.fail_next("oom")
    with pytest.raises(ollama.ResponseError) as oom:
        client.chat(CHAT, messages=messages)
    assert "memory" in oom.value.error
    ollama_emulator.fail_next("in_stream_error", after_chunks=1, message="runner crashed")
    stream = client.chat(CHAT, messages=messages, stream=True)
    assert next(stream).message.content
    with pytest.raises(ollama.ResponseError) as in_stream:
        list(stream)
    assert in_stream.value.error == "runner crashed"
    assert client.chat(CHAT, messages=messages).message.content == "Echo: hi"  # faults are one-shot


def test_connection_drop_mid_stream(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.fail_next("drop", after_chunks=2)
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
            "POST", ollama_emulator.url + "/api/chat",
            json={"model": CHAT, "messages": [{"role": "user", "content": "a b c d"}]}) as resp:
        for _ in resp.iter_lines():
            pass


def test_client_disconnect_counts_as_cancelled(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.chunk_delay_s = 0.05
    ollama_emulator.reply_text = lambda text: "word " * 200
    with httpx.Client(timeout=5) as http, http.stream(
            "POST", ollama_emulator.url + "/api/generate", json={"model": CHAT, "prompt": "go"}) as resp:
        lines = resp.iter_lines()
        next(lines)
        next(lines)
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled == 1)


def test_interrupted_pull_resumes_where_it_stopped(ollama_emulator: OllamaEmulator) -> None:
    client = _client(ollama_emulator)
    ollama_emulator.fail_next("network_lost", after_chunks=2)
    seen: list[ollama.ProgressResponse] = []
    with pytest.raises(ollama.ResponseError) as err:
        for part in client.pull("qwen2.5-coder:3b", stream=True):
            seen.append(part)
    assert "connection reset by peer" in err.value.error
    partial = max(p.completed or 0 for p in seen)
    assert partial > 0
    resumed = list(client.pull("qwen2.5-coder:3b", stream=True))
    first_blob = next(p for p in resumed if p.digest)
    assert first_blob.completed == partial  # continues, not from zero
    assert resumed[-1].status == "success"


def test_disk_full_during_pull(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.fail_next("disk_full", after_chunks=1)
    with pytest.raises(ollama.ResponseError) as err:
        list(_client(ollama_emulator).pull("qwen2.5-coder:14b", stream=True))
    assert "no space left on device" in err.value.error


def test_records_requests_and_stops_listening(ollama_emulator: OllamaEmulator) -> None:
    httpx.post(ollama_emulator.url + "/api/show", json={"model": CHAT})
    method, path, body = ollama_emulator.requests[-1]
    assert (method, path, body) == ("POST", "/api/show", {"model": CHAT})
    url = ollama_emulator.url
    ollama_emulator.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/api/version", timeout=2)
    with pytest.raises(ConnectionError):
        ollama.Client(host=url, timeout=2).list()


def test_stall_mid_stream_trips_a_read_timeout(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.fail_next("stall", after_chunks=1, delay_s=1.0)
    received: list[str] = []
    with pytest.raises(httpx.ReadTimeout), httpx.stream(
            "POST", ollama_emulator.url + "/api/generate", json={"model": CHAT, "prompt": "a b c"},
            timeout=httpx.Timeout(5, read=0.3)) as resp:
        for line in resp.iter_lines():
            received.append(line)
    assert len(received) == 1  # the first chunk came, then silence


def test_update_pull_removes_unused_layers(ollama_emulator: OllamaEmulator) -> None:
    old = ollama_emulator.models[BASE]
    ollama_emulator.registry[BASE] = EmulatedModel(name=BASE, size=old.size + 10_000_000,
                                                   capabilities=("completion", "insert"))
    ollama_emulator.registry[BASE].layers = tuple(
        layer._replace(digest=layer.digest.replace("a", "b")) for layer in ollama_emulator.registry[BASE].layers)
    statuses = [p.status for p in _client(ollama_emulator).pull(BASE, stream=True)]
    assert statuses[-2:] == ["removing unused layers", "success"]
    assert old.layers[0].digest not in ollama_emulator.blobs


def test_tools_need_the_tools_capability(ollama_emulator: OllamaEmulator) -> None:
    resp = httpx.post(ollama_emulator.url + "/v1/chat/completions", json={
        "model": BASE, "messages": [{"role": "user", "content": "x"}], "tools": [TOOL]})
    assert resp.status_code == 400 and "does not support tools" in resp.json()["error"]["message"]


def test_restart_on_the_same_port(ollama_emulator: OllamaEmulator) -> None:
    url = ollama_emulator.url
    ollama_emulator.stop()
    ollama_emulator.start()
    assert ollama_emulator.url == url
    assert httpx.get(url + "/api/version").json()["version"] == ollama_emulator.version


def test_embedding_models_cannot_generate_but_can_unload(ollama_emulator: OllamaEmulator) -> None:
    client = _client(ollama_emulator)
    with pytest.raises(ollama.ResponseError) as err:
        client.generate("nomic-embed-text", "hello")
    assert err.value.status_code == 400 and "does not support generate" in err.value.error
    client.embed("nomic-embed-text", "hello")
    assert [m.model for m in client.ps().models] == ["nomic-embed-text:latest"]
    assert client.generate("nomic-embed-text", "", keep_alive=0).done_reason == "unload"
    assert client.ps().models == []
