"""The OpenAI-compatible surface through the real ``openai`` SDK, against the Ollama and Anthropic emulators."""

from __future__ import annotations

import json

import openai
import pytest

from hybridcoder.keys import KeyStore
from tests.emulators.anthropic import AnthropicEmulator, ToolUse
from tests.emulators.ollama import OllamaEmulator, ScriptedToolCall
from tests.emulators.openai import DEFAULT_KEY as OPENAI_KEY
from tests.emulators.openai import OpenAIEmulator
from tests.proxy.conftest import CHAT, CLOUD_MODEL, READ_FILE_TOOL, StartProxy


def test_chat_routine_request_is_answered_locally_and_recorded(ollama_emulator: OllamaEmulator,
                                                               anthropic_emulator: AnthropicEmulator,
                                                               start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)

    assert reply.choices[0].message.content == "Echo: " + CHAT[0]["content"]
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert anthropic_emulator.message_bodies() == []
    native = ollama_emulator.requests_to("/api/chat")[-1].body
    assert native["model"] == "qwen2.5-coder:7b"
    (row,) = proxy.rows(1)
    assert (row["route"], row["kind"], row["client"], row["status"]) == ("local", "chat", "openai-sdk", 200)
    assert row["model"] == "qwen2.5-coder:7b" and row["requested_model"] == "hybrid-auto"
    assert row["prompt_tokens"] == reply.usage.prompt_tokens and row["tokens_estimated"] == 0
    assert row["ttft_ms"] is not None and row["total_ms"] >= row["ttft_ms"]
    assert row["reasons"] and row["fallback_cause"] is None


def test_streaming_with_usage_chunk(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    ollama_emulator.script_reply(chunks=["def ", "add", "(a, b)", ":"])
    chunks = list(proxy.openai().chat.completions.create(
        model="hybrid-auto", messages=CHAT, stream=True, stream_options={"include_usage": True}))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "def add(a, b):"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    (row,) = proxy.rows(1)
    assert row["stream"] == 1 and row["route"] == "local" and row["completion_tokens"] > 0


def test_tools_round_trip_on_the_cloud(ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
                                       start_proxy: StartProxy) -> None:
    """A request routed to the cloud: the tool call, then the tool result, round-trip exactly."""
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.threshold": 0.0})  # the router picks the cloud
    client = proxy.openai()
    anthropic_emulator.script_reply(tool_uses=[ToolUse("read_file", {"path": "src/app.py"})])
    messages: list[dict] = [{"role": "user", "content": "Read src/app.py and fix the bug."}]
    stream = client.chat.completions.create(model="hybrid-auto", messages=messages, tools=[READ_FILE_TOOL],
                                            stream=True)
    calls: dict[int, dict] = {}
    finish = None
    for chunk in stream:
        for call in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            entry = calls.setdefault(call.index, {"id": call.id, "name": "", "arguments": ""})
            entry["name"] += call.function.name or ""
            entry["arguments"] += call.function.arguments or ""
        if chunk.choices and chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
    assert finish == "tool_calls"
    (call,) = calls.values()
    assert call["name"] == "read_file" and json.loads(call["arguments"]) == {"path": "src/app.py"}

    messages += [
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": call["id"], "type": "function",
                         "function": {"name": "read_file", "arguments": call["arguments"]}}]},
        {"role": "tool", "tool_call_id": call["id"], "content": "def main(): pass"},
    ]
    anthropic_emulator.script_reply("Fixed: main now returns 0.")
    reply = client.chat.completions.create(model="hybrid-auto", messages=messages, tools=[READ_FILE_TOOL])
    assert reply.choices[0].message.content == "Fixed: main now returns 0."
    sent = anthropic_emulator.message_bodies()[-1]
    result = sent["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == call["id"]
    assert "def main(): pass" in json.dumps(result["content"])
    rows = proxy.rows(2)
    assert [(r["route"], r["kind"], r["provider"]) for r in rows] == [("cloud", "agent", "anthropic")] * 2
    # The learned router names the task's words (or the tools) as its reason.
    assert all({"agent_tools", "your_words", "tool_history"} & set(r["reasons"]) for r in rows)
    assert rows[0]["model"] == CLOUD_MODEL and rows[0]["tokens_estimated"] == 0


def test_local_tools_round_trip_without_a_cloud_key(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"})])
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT, tools=[READ_FILE_TOOL])
    (call,) = reply.choices[0].message.tool_calls or []
    assert call.function.name == "read_file" and json.loads(call.function.arguments) == {"path": "a.py"}
    assert reply.choices[0].finish_reason == "tool_calls"
    (row,) = proxy.rows(1)
    assert row["route"] == "local" and row["reasons"] == ["no_cloud_key"]


@pytest.mark.parametrize(("model", "route"), [("hybrid-local", "local"), ("hybrid-cloud", "cloud"),
                                              ("qwen2.5-coder:7b", "local"), (CLOUD_MODEL, "cloud")])
def test_model_name_picks_the_side(model: str, route: str, ollama_emulator: OllamaEmulator,
                                   anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    reply = proxy.openai().chat.completions.create(model=model, messages=CHAT)
    assert reply.choices[0].message.content
    (row,) = proxy.rows(1)
    assert row["route"] == route
    assert bool(anthropic_emulator.message_bodies()) == (route == "cloud")


def test_override_word_sends_to_the_cloud_and_is_stripped(ollama_emulator: OllamaEmulator,
                                                          anthropic_emulator: AnthropicEmulator,
                                                          start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    reply = proxy.openai().chat.completions.create(
        model="hybrid-auto", messages=[{"role": "user", "content": "@cloud what is 2+2?"}])
    assert reply.choices[0].message.content == "Echo: what is 2+2?"
    (row,) = proxy.rows(1)
    assert row["route"] == "cloud" and row["fallback_cause"] == "manual_cloud"
    assert "override_cloud" in row["reasons"]


def test_unknown_model_is_a_404_listing_valid_names(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    with pytest.raises(openai.NotFoundError) as caught:
        proxy.openai().chat.completions.create(model="llama-9000", messages=CHAT)
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "model_not_found" and error["param"] == "model"
    for name in ("hybrid-auto", "hybrid-local", "hybrid-cloud", "qwen2.5-coder:7b"):
        assert name in error["message"]
    (row,) = proxy.rows(1)
    assert row["status"] == 404


def test_models_lists_virtual_local_and_cloud(ollama_emulator: OllamaEmulator,
                                              anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    ids = [m.id for m in proxy.openai().models.list()]
    assert ids[:3] == ["hybrid-auto", "hybrid-local", "hybrid-cloud"]
    assert "qwen2.5-coder:7b" in ids and CLOUD_MODEL in ids
    assert not any(i.startswith(("o", "gpt")) for i in ids[:3])


def test_fim_completion_is_local_raw_or_with_suffix(ollama_emulator: OllamaEmulator,
                                                    anthropic_emulator: AnthropicEmulator,
                                                    start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    client = proxy.openai()
    plain = client.completions.create(model="hybrid-auto", prompt="def add(a, b):\n    ", suffix="\n",
                                      max_tokens=16)
    assert plain.choices[0].text == ollama_emulator.fim_reply
    templated = "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n<|fim_middle|>"
    ollama_emulator.script_reply(chunks=["return ", "a + b\n"], path="/api/generate")
    chunks = list(client.completions.create(model="qwen2.5-coder:1.5b-base", prompt=templated, stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == ollama_emulator.fim_reply
    generate = ollama_emulator.requests_to("/api/generate")
    assert generate[0].body["suffix"] == "\n" and generate[1].body["raw"] is True
    assert all(r.body["model"] == "qwen2.5-coder:1.5b-base" for r in generate)
    assert anthropic_emulator.message_bodies() == []
    rows = proxy.rows(2)
    assert [(r["kind"], r["route"]) for r in rows] == [("autocomplete", "local")] * 2


def test_embeddings_are_local(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    reply = proxy.openai().embeddings.create(model="hybrid-auto", input=["a", "b"])
    assert len(reply.data) == 2 and len(reply.data[0].embedding) == ollama_emulator.embedding_dim
    (row,) = proxy.rows(1)
    assert (row["kind"], row["model"]) == ("embed", "nomic-embed-text:latest")


def test_route_preview_decides_without_forwarding(ollama_emulator: OllamaEmulator,
                                                  anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    with proxy.http() as http:
        # A multi-step agent task: tools offered for a one-step "explain" would be routed local.
        task = [{"role": "user", "content": "Read src/app.py, fix the failing test and run the suite again."}]
        agent = http.post("/hybrid/route", json={"model": "hybrid-auto", "messages": task,
                                                 "tools": [READ_FILE_TOOL]})
        routine = http.post("/hybrid/route", json={"model": "hybrid-auto", "messages": CHAT})
        health = http.get("/health")
    assert agent.status_code == 200 and agent.json()["decision"]["route"] == "cloud"
    assert agent.json()["target"] == {"route": "cloud", "provider": "anthropic", "model": CLOUD_MODEL}
    assert agent.json()["decision"]["reasons"] and agent.json()["decision"]["sentence"]
    assert routine.json()["target"]["route"] == "local" and routine.json()["fallback"]["route"] == "cloud"
    assert health.json()["status"] == "ok" and health.json()["cloud"] == "anthropic"
    assert ollama_emulator.requests_to("/api/chat") == [] and anthropic_emulator.message_bodies() == []
    assert proxy.rows() == []


def test_openai_as_the_cloud_provider(ollama_emulator: OllamaEmulator, openai_emulator: OpenAIEmulator,
                                      start_proxy: StartProxy) -> None:
    KeyStore().set("openai", OPENAI_KEY)
    proxy = start_proxy(ollama_emulator, **{"cloud.provider": "openai", "cloud.openai_model": "gpt-5.2",
                                            "cloud.openai_base_url": openai_emulator.base_url})
    client = proxy.openai()
    reply = client.chat.completions.create(model="hybrid-cloud", messages=CHAT)
    assert reply.choices[0].message.content
    assert "gpt-5.2" in [m.id for m in client.models.list()]
    (row,) = proxy.rows(1)
    assert (row["route"], row["provider"], row["model"]) == ("cloud", "openai", "gpt-5.2")


def test_openai_compatible_server_as_the_local_backend(openai_emulator: OpenAIEmulator,
                                                       start_proxy: StartProxy) -> None:
    """A team's shared GPU box (LM Studio, llama.cpp, vLLM) serves the local side by URL."""
    openai_emulator.api_key = None
    openai_emulator.models = ("team-coder-32b",)
    proxy = start_proxy(None, **{"local.kind": "openai", "local.openai_url": openai_emulator.base_url,
                                 "models.chat": "team-coder-32b"})
    client = proxy.openai()
    reply = client.chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert reply.choices[0].message.content
    assert "team-coder-32b" in [m.id for m in client.models.list()]
    (row,) = proxy.rows(1)
    assert (row["route"], row["provider"], row["model"]) == ("local", "openai-compatible", "team-coder-32b")
