"""OpenAICompatibleBackend against the OpenAI emulator, as a local server (LM Studio-like) and as OpenAI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from hybridcoder.proxy.backends.base import ChatStream
from hybridcoder.proxy.backends.openai_compat import OpenAICompatibleBackend
from hybridcoder.proxy.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamUnreachable,
)
from tests.emulators.openai import DEFAULT_KEY, OpenAIEmulator, ToolCall
from tests.proxy.backends.support import cancelled_upstreams, collect

MODEL = "gpt-5.2"
T = TypeVar("T")


def run(emulator: OpenAIEmulator, work: Callable[[OpenAICompatibleBackend], Awaitable[T]], *,
        key: str | None = DEFAULT_KEY, cloud: bool = True) -> T:
    async def main() -> T:
        backend = (OpenAICompatibleBackend(emulator.base_url, key, provider="openai", route="cloud") if cloud
                   else OpenAICompatibleBackend(emulator.base_url, key, provider="openai-compatible", route="local"))
        try:
            return await work(backend)
        finally:
            await backend.aclose()
    return asyncio.run(main())


def chat(body: dict[str, Any], model: str = MODEL) -> Callable[[OpenAICompatibleBackend], Awaitable[Any]]:
    async def work(backend: OpenAICompatibleBackend) -> tuple[list[dict[str, Any]], ChatStream]:
        stream = await backend.chat(body, model)
        return await collect(stream), stream
    return work


def test_stream_passes_through_and_captures_usage(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.script_reply("Two plus two is four.", prompt_tokens=40, completion_tokens=6, cached_tokens=32)
    chunks, stream = run(openai_emulator, chat({"messages": [{"role": "user", "content": "2+2?"}],
                                                "stream": False, "temperature": 0}))
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "Two plus two is four."
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"] and "usage" not in c for c in chunks)  # usage travels on stream.usage
    assert (stream.usage.prompt_tokens, stream.usage.completion_tokens, stream.usage.cache_read_tokens) == (40, 6, 32)
    sent = openai_emulator.requests[-1].body
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["temperature"] == 0 and sent["model"] == MODEL


def test_tool_call_deltas_pass_through(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.script_reply(tool_calls=[ToolCall("read_file", {"path": "a.py"}), ToolCall("list_dir", {})])
    chunks, _ = run(openai_emulator, chat({"messages": [{"role": "user", "content": "x"}]}))
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for call in chunk["choices"][0]["delta"].get("tool_calls") or []:
            slot = calls.setdefault(call["index"], {"name": "", "arguments": ""})
            slot["name"] += call["function"].get("name") or ""
            slot["arguments"] += call["function"].get("arguments") or ""
    assert [(c["name"], json.loads(c["arguments"])) for _, c in sorted(calls.items())] == [
        ("read_file", {"path": "a.py"}), ("list_dir", {})]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_local_server_without_key_and_completions(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.api_key = None

    async def work(backend: OpenAICompatibleBackend) -> tuple[str, list[str], dict[str, Any]]:
        stream = await backend.complete({"prompt": "def add(a, b):\n", "suffix": "\n"}, MODEL)
        text = "".join(c["choices"][0]["text"] for c in await collect(stream))
        return text, await backend.models(), await backend.embeddings({"input": "x"}, MODEL)

    text, models, vectors = run(openai_emulator, work, key=None, cloud=False)
    assert text == "return a + b\n" and models == [MODEL] and len(vectors["data"]) == 1
    assert "authorization" not in openai_emulator.requests[0].headers


def test_wrong_key_names_the_openai_key(openai_emulator: OpenAIEmulator) -> None:
    with pytest.raises(UpstreamAuthError) as info:
        run(openai_emulator, chat({"messages": [{"role": "user", "content": "x"}]}), key="sk-proj-wrong-secret-abcdef")
    assert "the OpenAI key" in info.value.message and info.value.cause == "cloud_auth"
    assert "sk-proj-wrong-secret-abcdef" not in str(info.value)


@pytest.mark.parametrize(("status", "error", "cause"), [
    (429, UpstreamRateLimited, "cloud_rate_limited"),
    (500, UpstreamError, "cloud_5xx"),
    (503, UpstreamError, "cloud_5xx"),
    (400, UpstreamError, "cloud_bad_request"),
])
def test_http_errors_map_to_causes(openai_emulator: OpenAIEmulator, status: int, error: type[Exception],
                                   cause: str) -> None:
    openai_emulator.fail_next(status, message="scripted")
    with pytest.raises(error) as info:
        run(openai_emulator, chat({"messages": [{"role": "user", "content": "x"}]}))
    assert isinstance(info.value, UpstreamError)
    assert info.value.cause == cause and info.value.before_first_byte


def test_local_causes_and_unknown_model(openai_emulator: OpenAIEmulator) -> None:
    with pytest.raises(UpstreamError) as info:
        run(openai_emulator, chat({"messages": [{"role": "user", "content": "x"}]}, model="qwen-big"), cloud=False)
    assert info.value.cause == "local_model_missing"


def test_in_stream_error_before_content_allows_fallback(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.fail_in_stream(after_chunks=1)  # after the role-only chunk
    with pytest.raises(UpstreamError) as info:
        run(openai_emulator, chat({"messages": [{"role": "user", "content": "x"}]}), cloud=False)
    assert info.value.cause == "local_stream_error" and info.value.before_first_byte


def test_unreachable() -> None:
    async def work() -> None:
        backend = OpenAICompatibleBackend("http://127.0.0.1:9/v1", route="local")
        try:
            await backend.chat({"messages": [{"role": "user", "content": "x"}]}, "m")
        finally:
            await backend.aclose()

    with pytest.raises(UpstreamUnreachable) as info:
        asyncio.run(work())
    assert info.value.cause == "local_unreachable"


def test_aclose_cancels_the_upstream_request(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.script_reply(" ".join(f"w{i}" for i in range(300)))
    openai_emulator.chunk_delay_s = 0.01

    async def work(backend: OpenAICompatibleBackend) -> int:
        stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)
        async for chunk in stream:
            if chunk["choices"][0]["delta"].get("content"):
                break
        assert openai_emulator.cancelled == 0
        await stream.aclose()
        return await cancelled_upstreams(openai_emulator)

    assert run(openai_emulator, work) == 1
