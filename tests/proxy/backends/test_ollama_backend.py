"""OllamaBackend against the Ollama emulator: native chat/FIM/embed, passthrough, errors, cancellation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from hybridcoder.proxy.backends.base import ChatStream
from hybridcoder.proxy.backends.ollama import OllamaBackend
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.errors import UpstreamError, UpstreamTimeout, UpstreamUnreachable
from tests.emulators.ollama import OllamaEmulator, ScriptedToolCall
from tests.proxy.backends.support import cancel_consumer_midstream, cancelled_upstreams, collect

CHAT = "qwen2.5-coder:7b"
FIM = "qwen2.5-coder:1.5b-base"
T = TypeVar("T")

READ_TOOL = {"type": "function", "function": {"name": "read_file", "parameters": {
    "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}


def run(emulator: OllamaEmulator, work: Callable[[OllamaBackend], Awaitable[T]], **kwargs: Any) -> T:
    async def main() -> T:
        backend = OllamaBackend(emulator.url, num_ctx=16384, fim_num_ctx=4096, **kwargs)
        try:
            return await work(backend)
        finally:
            await backend.aclose()
    return asyncio.run(main())


def chat(body: dict[str, Any], model: str = CHAT) -> Callable[[OllamaBackend], Awaitable[list[dict[str, Any]]]]:
    async def work(backend: OllamaBackend) -> list[dict[str, Any]]:
        return await collect(await backend.chat(body, model))
    return work


def test_chat_stream_is_translated_exactly(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.script_reply(chunks=["Hel", "lo", " world"])

    async def work(backend: OllamaBackend) -> tuple[list[dict[str, Any]], ChatStream]:
        stream = await backend.chat({"messages": [{"role": "developer", "content": "Be terse."},
                                                  {"role": "user", "content": "hello world"}],
                                     "max_tokens": 50, "temperature": 0.2}, CHAT)
        return await collect(stream), stream

    chunks, stream = run(ollama_emulator, work, keep_alive="30m")
    assert [(c["choices"][0]["delta"], c["choices"][0]["finish_reason"]) for c in chunks] == [
        ({"role": "assistant", "content": "Hel"}, None),
        ({"content": "lo"}, None),
        ({"content": " world"}, None),
        ({}, "stop"),
    ]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == CHAT for c in chunks)
    assert stream.usage.prompt_tokens > 0 and stream.usage.completion_tokens == 3
    sent = ollama_emulator.requests_to("/api/chat")[-1].body
    assert sent["options"] == {"temperature": 0.2, "num_predict": 50, "num_ctx": 16384}
    assert sent["keep_alive"] == "30m" and sent["messages"][0] == {"role": "system", "content": "Be terse."}


def test_length_finish(ollama_emulator: OllamaEmulator) -> None:
    chunks = run(ollama_emulator, chat({"messages": [{"role": "user", "content": "a b c d e f"}], "max_tokens": 2}))
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_tools_round_trip(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"})])
    ollama_emulator.script_reply("a.py prints one.")

    async def work(backend: OllamaBackend) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "what does a.py do?"}]
        first = await collect(await backend.chat({"messages": messages, "tools": [READ_TOOL]}, CHAT))
        calls = [c for chunk in first for c in chunk["choices"][0]["delta"].get("tool_calls") or []]
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": c["id"], "type": "function", "function": c["function"]} for c in calls]})
        messages.append({"role": "tool", "tool_call_id": calls[0]["id"], "content": "print(1)"})
        second = await collect(await backend.chat({"messages": messages, "tools": [READ_TOOL]}, CHAT))
        return first, second

    first, second = run(ollama_emulator, work)
    calls = [c for chunk in first for c in chunk["choices"][0]["delta"].get("tool_calls") or []]
    assert len(calls) == 1
    call = calls[0]
    assert call["index"] == 0 and call["id"].startswith("call_") and call["type"] == "function"
    assert call["function"]["name"] == "read_file"
    assert isinstance(call["function"]["arguments"], str)
    assert json.loads(call["function"]["arguments"]) == {"path": "a.py"}
    assert first[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in second) == "a.py prints one."
    history = ollama_emulator.requests_to("/api/chat")[-1].body["messages"]
    assert history[1]["tool_calls"][0]["function"]["arguments"] == {"path": "a.py"}  # an object natively
    assert history[2] == {"role": "tool", "content": "print(1)", "tool_name": "read_file",
                          "tool_call_id": call["id"]}


def test_fim_raw_when_templated_and_suffix_otherwise(ollama_emulator: OllamaEmulator) -> None:
    templated = "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n<|fim_middle|>"

    async def work(backend: OllamaBackend) -> tuple[str, str]:
        raw = await collect(await backend.complete({"prompt": templated, "max_tokens": 20}, FIM))
        plain = await collect(await backend.complete({"prompt": "def add(a, b):\n    ", "suffix": "\n"}, FIM))
        return ("".join(c["choices"][0]["text"] for c in raw), "".join(c["choices"][0]["text"] for c in plain))

    _, plain_text = run(ollama_emulator, work)
    raw_request, plain_request = [r.body for r in ollama_emulator.requests_to("/api/generate")]
    assert raw_request["raw"] is True and "suffix" not in raw_request and raw_request["prompt"] == templated
    assert raw_request["options"]["num_ctx"] == 4096
    assert "raw" not in plain_request and plain_request["suffix"] == "\n"
    assert plain_text == "return a + b\n"


def test_embeddings_and_models(ollama_emulator: OllamaEmulator) -> None:
    async def work(backend: OllamaBackend) -> tuple[dict[str, Any], list[str]]:
        return (await backend.embeddings({"input": ["one", "two"]}, "nomic-embed-text"), await backend.models())

    vectors, models = run(ollama_emulator, work)
    assert [d["index"] for d in vectors["data"]] == [0, 1] and vectors["object"] == "list"
    assert len(vectors["data"][0]["embedding"]) == 16 and vectors["usage"]["prompt_tokens"] > 0
    assert set(models) == {"qwen2.5-coder:7b", "qwen2.5-coder:1.5b-base", "nomic-embed-text:latest"}


def test_passthrough_relays_bytes_unchanged(ollama_emulator: OllamaEmulator) -> None:
    body = json.dumps({"model": CHAT, "messages": [{"role": "user", "content": "hi"}]}).encode()

    async def work(backend: OllamaBackend) -> tuple[int, dict[str, str], bytes, int, bytes]:
        answer = await backend.passthrough("POST", "/api/chat", body, {"Content-Type": "application/json",
                                                                      "Authorization": "Bearer proxy-token"})
        data = await answer.read()
        tags = await backend.passthrough("GET", "/api/tags", None)
        return answer.status, answer.headers, data, tags.status, await tags.read()

    status, headers, data, tags_status, tags = run(ollama_emulator, work)
    assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in data.splitlines()]
    assert "".join(line["message"]["content"] for line in lines) == "Echo: hi" and lines[-1]["done"] is True
    assert tags_status == 200 and {m["name"] for m in json.loads(tags)["models"]} >= {CHAT}
    # the proxy's own token stays with the proxy
    assert "authorization" not in ollama_emulator.request_headers[0]


def test_passthrough_relays_error_statuses(ollama_emulator: OllamaEmulator) -> None:
    async def work(backend: OllamaBackend) -> tuple[int, bytes]:
        answer = await backend.passthrough("POST", "/api/show", b'{"model": "nope:1b"}', None)
        return answer.status, await answer.read()

    assert run(ollama_emulator, work) == (404, b'{"error": "model \'nope:1b\' not found"}')


@pytest.mark.parametrize(("fault", "cause"), [
    ({"kind": "oom"}, "local_oom"),
    ({"kind": "http_500", "message": "llama runner process has terminated"}, "local_5xx"),
    ({"kind": "status", "status": 503, "message": "server busy, please try again"}, "local_5xx"),
    ({"kind": "in_stream_error", "after_chunks": 0}, "local_stream_error"),
    ({"kind": "in_stream_error", "after_chunks": 0, "message": "CUDA error: out of memory"}, "local_oom"),
    ({"kind": "drop", "after_chunks": 0}, "local_connection_lost"),
])
def test_failures_before_content_map_to_causes(ollama_emulator: OllamaEmulator, fault: dict[str, Any],
                                               cause: str) -> None:
    ollama_emulator.fail_next(fault.pop("kind"), **fault)
    with pytest.raises(UpstreamError) as info:
        run(ollama_emulator, chat({"messages": [{"role": "user", "content": "x"}]}))
    assert info.value.cause == cause and info.value.before_first_byte


def test_model_missing(ollama_emulator: OllamaEmulator) -> None:
    with pytest.raises(UpstreamError) as info:
        run(ollama_emulator, chat({"messages": [{"role": "user", "content": "x"}]}, model="qwen2.5-coder:32b"))
    assert info.value.cause == "local_model_missing"
    assert "ollama pull qwen2.5-coder:32b" in info.value.message


def test_model_without_tool_support_is_unsupported(ollama_emulator: OllamaEmulator) -> None:
    with pytest.raises(UpstreamError) as info:
        run(ollama_emulator, chat({"messages": [{"role": "user", "content": "x"}], "tools": [READ_TOOL]}, model=FIM))
    assert info.value.cause == "local_unsupported" and info.value.before_first_byte


def test_error_after_content_is_not_before_first_byte(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.fail_next("in_stream_error", after_chunks=2)

    async def work(backend: OllamaBackend) -> list[dict[str, Any]]:
        stream = await backend.chat({"messages": [{"role": "user", "content": "one two three four"}]}, CHAT)
        seen: list[dict[str, Any]] = []
        with pytest.raises(UpstreamError) as info:
            async for chunk in stream:
                seen.append(chunk)
        assert not info.value.before_first_byte
        return seen

    assert run(ollama_emulator, work)[0]["choices"][0]["delta"]["content"].startswith("Echo:")


def test_unreachable() -> None:
    async def work() -> None:
        backend = OllamaBackend("http://127.0.0.1:9", num_ctx=4096)
        try:
            await backend.chat({"messages": [{"role": "user", "content": "x"}]}, CHAT)
        finally:
            await backend.aclose()

    with pytest.raises(UpstreamUnreachable) as info:
        asyncio.run(work())
    assert info.value.cause == "local_unreachable" and "ollama serve" in info.value.message


def test_time_to_first_token_timeout_covers_a_slow_load(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.first_token_delay_s = 2.0
    with pytest.raises(UpstreamTimeout) as info:
        run(ollama_emulator, chat({"messages": [{"role": "user", "content": "x"}]}),
            timeouts=BackendTimeouts(connect=1, first_token=0.3, idle=0.1))
    assert info.value.cause == "local_ttft_timeout" and info.value.before_first_byte
    # the abandoned request was cancelled, so no orphaned generation keeps running
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled >= 1)


def test_slow_first_token_within_limit_is_not_cut_by_the_idle_limit(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.first_token_delay_s = 0.3
    chunks = run(ollama_emulator, chat({"messages": [{"role": "user", "content": "x"}]}),
                 timeouts=BackendTimeouts(connect=1, first_token=5, idle=0.1))
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_idle_gap_timeout(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.chunk_delay_s = 1.0  # the first chunk comes at once, the second a second later

    async def work(backend: OllamaBackend) -> None:
        stream = await backend.chat({"messages": [{"role": "user", "content": "one two three"}]}, CHAT)
        with pytest.raises(UpstreamTimeout) as info:
            await collect(stream)
        assert info.value.cause == "local_idle_timeout" and not info.value.before_first_byte

    run(ollama_emulator, work, timeouts=BackendTimeouts(connect=1, first_token=5, idle=0.2))


def test_aclose_cancels_the_upstream_request(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.script_reply(" ".join(f"w{i}" for i in range(300)))
    ollama_emulator.chunk_delay_s = 0.01

    async def work(backend: OllamaBackend) -> int:
        stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, CHAT)
        async for _ in stream:
            break
        assert ollama_emulator.cancelled == 0
        await stream.aclose()
        return await cancelled_upstreams(ollama_emulator)

    assert run(ollama_emulator, work) == 1


def test_cancelling_the_consumer_task_cancels_the_upstream(ollama_emulator: OllamaEmulator) -> None:
    """The server's request task is cancelled when the client disconnects: the upstream must stop too."""
    ollama_emulator.script_reply(" ".join(f"w{i}" for i in range(300)))
    ollama_emulator.chunk_delay_s = 0.01

    async def work(backend: OllamaBackend) -> int:
        stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, CHAT)
        await cancel_consumer_midstream(stream)
        return await cancelled_upstreams(ollama_emulator)

    assert run(ollama_emulator, work) == 1


def test_passthrough_waits_for_non_streamed_answers_but_not_for_stalled_streams(
        ollama_emulator: OllamaEmulator) -> None:
    timeouts = BackendTimeouts(connect=1, first_token=0.2, idle=5)

    async def work(backend: OllamaBackend) -> int:
        ollama_emulator.fail_next("stall", delay_s=0.5, after_chunks=0)
        answer = await backend.passthrough("POST", "/api/chat", json.dumps(
            {"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "stream": False}).encode())
        await answer.read()
        ollama_emulator.fail_next("stall", delay_s=0.5, after_chunks=0)
        with pytest.raises(UpstreamTimeout) as info:
            await backend.passthrough("POST", "/api/chat", json.dumps(
                {"model": CHAT, "messages": [{"role": "user", "content": "hi"}]}).encode())
        assert info.value.cause == "local_ttft_timeout"
        return answer.status

    assert run(ollama_emulator, work, timeouts=timeouts) == 200
