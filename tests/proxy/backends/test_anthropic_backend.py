"""AnthropicBackend against the Anthropic emulator: streams, tools round trip, errors, cancellation."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from hybridcoder.proxy.backends.anthropic import AnthropicBackend
from hybridcoder.proxy.backends.base import ChatStream
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.errors import (
    UpstreamAuthError,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator, ToolUse
from tests.proxy.backends.support import cancel_consumer_midstream, cancelled_upstreams, collect

MODEL = "claude-sonnet-5-5"
T = TypeVar("T")

READ_TOOL = {"type": "function", "function": {"name": "read_file", "parameters": {
    "type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}


def run(emulator: AnthropicEmulator, work: Callable[[AnthropicBackend], Awaitable[T]], **kwargs: Any) -> T:
    async def main() -> T:
        backend = AnthropicBackend(kwargs.pop("api_key", DEFAULT_KEY), emulator.url,
                                   max_retries=kwargs.pop("max_retries", 0), **kwargs)
        try:
            return await work(backend)
        finally:
            await backend.aclose()
    return asyncio.run(main())


def assemble(chunks: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]], str | None]:
    """What an OpenAI client builds from the chunks: text, tool calls by index, finish reason."""
    text, finish = "", None
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        choice = chunk["choices"][0]
        delta = choice["delta"]
        text += delta.get("content") or ""
        for call in delta.get("tool_calls") or []:
            slot = calls.setdefault(call["index"], {"id": None, "name": "", "arguments": ""})
            slot["id"] = call.get("id") or slot["id"]
            slot["name"] += (call.get("function") or {}).get("name") or ""
            slot["arguments"] += (call.get("function") or {}).get("arguments") or ""
        finish = choice["finish_reason"] or finish
    return text, [calls[i] for i in sorted(calls)], finish


def test_chat_stream(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.script_reply("Hello there, friend.", input_tokens=30, cache_read_input_tokens=1000)

    async def work(backend: AnthropicBackend) -> tuple[list[dict[str, Any]], ChatStream]:
        stream = await backend.chat({"messages": [{"role": "system", "content": "Be kind."},
                                                  {"role": "user", "content": "hi"}],
                                     "temperature": 0.2, "top_p": 0.9, "max_tokens": 64}, MODEL)
        return await collect(stream), stream

    chunks, stream = run(anthropic_emulator, work)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert assemble(chunks) == ("Hello there, friend.", [], "stop")
    assert (stream.usage.prompt_tokens, stream.usage.cache_read_tokens) == (1030, 1000)
    assert stream.usage.completion_tokens > 0
    body = anthropic_emulator.message_bodies()[-1]
    # the current API version would have answered sampling params with a 400
    assert "temperature" not in body and "top_p" not in body
    assert body["system"] == [{"type": "text", "text": "Be kind."}] and body["max_tokens"] == 64 and body["stream"]


def test_pinned_legacy_version_sends_sampling(anthropic_emulator: AnthropicEmulator) -> None:
    async def work(backend: AnthropicBackend) -> list[dict[str, Any]]:
        return await collect(await backend.chat({"messages": [{"role": "user", "content": "x"}],
                                                 "temperature": 0.2}, MODEL))

    run(anthropic_emulator, work, api_version="2023-06-01")
    sent = anthropic_emulator.requests[-1]
    assert sent.headers["anthropic-version"] == "2023-06-01" and sent.body["temperature"] == 0.2


def test_tools_round_trip(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.script_reply("Let me read both.", tool_uses=[
        ToolUse("read_file", {"path": "a.py"}, id="toolu_a"), ToolUse("read_file", {"path": "b.py"}, id="toolu_b")])
    anthropic_emulator.script_reply("Both files print a number.")

    async def work(backend: AnthropicBackend) -> tuple[Any, Any]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": "Compare a.py and b.py"}]
        first = assemble(await collect(await backend.chat({"messages": messages, "tools": [READ_TOOL],
                                                           "tool_choice": "auto"}, MODEL)))
        text, calls, _ = first
        messages.append({"role": "assistant", "content": text, "tool_calls": [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls]})
        for call in calls:
            path = json.loads(call["arguments"])["path"]
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": f"print('{path}')"})
        second = assemble(await collect(await backend.chat({"messages": messages, "tools": [READ_TOOL]}, MODEL)))
        return first, second

    first, second = run(anthropic_emulator, work)
    text, calls, finish = first
    assert text == "Let me read both." and finish == "tool_calls"
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls] == [
        ("toolu_a", "read_file", {"path": "a.py"}), ("toolu_b", "read_file", {"path": "b.py"})]
    assert second == ("Both files print a number.", [], "stop")
    # the emulator checked that both tool results answer the tool_use ids, in one user turn
    results = anthropic_emulator.message_bodies()[-1]["messages"][-1]["content"]
    assert [r["tool_use_id"] for r in results] == ["toolu_a", "toolu_b"]


def test_images_reach_the_api(anthropic_emulator: AnthropicEmulator) -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="

    async def work(backend: AnthropicBackend) -> Any:
        return assemble(await collect(await backend.chat({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "describe"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}]}]}, MODEL)))

    assert run(anthropic_emulator, work)[0] == "Echo: describe"
    block = anthropic_emulator.message_bodies()[-1]["messages"][0]["content"][1]
    assert block == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}


@pytest.mark.parametrize(("status", "error", "cause", "http"), [
    (429, UpstreamRateLimited, "cloud_rate_limited", 429),
    (529, UpstreamOverloaded, "cloud_overloaded", 503),
    (500, UpstreamError, "cloud_5xx", 502),
    (403, UpstreamAuthError, "cloud_auth", 502),
    (404, UpstreamError, "cloud_model_missing", 404),
    (400, UpstreamError, "cloud_bad_request", 400),
])
def test_http_errors_map_to_causes(anthropic_emulator: AnthropicEmulator, status: int, error: type[Exception],
                                   cause: str, http: int) -> None:
    anthropic_emulator.fail_next(status, message="scripted failure")

    async def work(backend: AnthropicBackend) -> None:
        await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    with pytest.raises(error) as info:
        run(anthropic_emulator, work)
    assert isinstance(info.value, UpstreamError)
    assert (info.value.cause, info.value.status, info.value.before_first_byte) == (cause, http, True)


def test_wrong_key_names_the_anthropic_key_and_never_shows_it(anthropic_emulator: AnthropicEmulator,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-ant-api03-THIS-IS-THE-WRONG-SECRET-KEY"

    async def work(backend: AnthropicBackend) -> None:
        await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamAuthError) as info:
        run(anthropic_emulator, work, api_key=secret)
    assert "Anthropic key" in info.value.message and info.value.cause == "cloud_auth"
    assert secret not in str(info.value) and secret not in repr(info.value.args)
    assert secret not in caplog.text
    assert secret not in repr(AnthropicBackend(secret))


def test_the_sdk_never_retries_and_the_retry_after_is_kept(anthropic_emulator: AnthropicEmulator) -> None:
    """The router owns retries: one request upstream, the 429 at once, with the provider's Retry-After."""
    anthropic_emulator.fail_next(429, retry_after=7, times=1)

    async def work(backend: AnthropicBackend) -> Any:
        return await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    assert AnthropicBackend("k", anthropic_emulator.url).max_retries == 0  # the default the proxy uses
    with pytest.raises(UpstreamRateLimited) as info:
        asyncio.run(work(AnthropicBackend(DEFAULT_KEY, anthropic_emulator.url)))
    assert len(anthropic_emulator.requests) == 1
    assert info.value.retry_after == 7 and info.value.error_type == "rate_limit_error"


def test_529_is_the_overloaded_type_not_a_rate_limit(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.fail_next(529, retry_after=3, times=1)

    async def work(backend: AnthropicBackend) -> Any:
        return await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    with pytest.raises(UpstreamOverloaded) as info:
        run(anthropic_emulator, work)
    assert info.value.openai_body()["error"]["type"] == "overloaded_error"  # type: ignore[index]
    assert (info.value.status, info.value.retry_after) == (503, 3)


def test_overloaded_in_stream_before_content_is_before_first_byte(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.fail_in_stream("overloaded_error", after_events=0)

    async def work(backend: AnthropicBackend) -> None:
        await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    with pytest.raises(UpstreamOverloaded) as info:
        run(anthropic_emulator, work)
    assert info.value.cause == "cloud_overloaded" and info.value.before_first_byte


def test_error_after_content_is_not_before_first_byte(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.script_reply("one two three four five six")
    anthropic_emulator.fail_in_stream("api_error", message="boom", after_events=4)

    async def work(backend: AnthropicBackend) -> list[dict[str, Any]]:
        stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)
        seen: list[dict[str, Any]] = []
        with pytest.raises(UpstreamError) as info:
            async for chunk in stream:
                seen.append(chunk)
        assert info.value.cause == "cloud_stream_error" and not info.value.before_first_byte
        return seen

    assert assemble(run(anthropic_emulator, work))[0].startswith("one")


def test_unreachable(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.stop()

    async def work(backend: AnthropicBackend) -> None:
        await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    with pytest.raises(UpstreamUnreachable) as info:
        asyncio.run(work(AnthropicBackend("k", "http://127.0.0.1:9", max_retries=0)))
    assert info.value.cause == "cloud_unreachable"


def test_time_to_first_token_timeout(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.first_byte_delay_s = 2.0

    async def work(backend: AnthropicBackend) -> None:
        await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)

    with pytest.raises(UpstreamTimeout) as info:
        run(anthropic_emulator, work, timeouts=BackendTimeouts(connect=1, first_token=0.3, idle=5))
    assert info.value.cause == "cloud_ttft_timeout" and info.value.before_first_byte
    assert anthropic_emulator.wait_for(lambda: anthropic_emulator.cancelled >= 1)


def test_aclose_cancels_the_upstream_request(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.script_reply(" ".join(f"word{i}" for i in range(200)))
    anthropic_emulator.event_delay_s = 0.01

    async def work(backend: AnthropicBackend) -> int:
        stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)
        received = 0
        async for _ in stream:
            received += 1
            if received == 3:
                break
        assert anthropic_emulator.cancelled == 0
        await stream.aclose()
        # still inside the loop: the upstream saw the disconnect because of aclose, not loop teardown
        await cancelled_upstreams(anthropic_emulator)
        return received

    assert run(anthropic_emulator, work) == 3
    assert anthropic_emulator.cancelled == 1


def test_cancelling_the_consumer_task_cancels_the_upstream(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.script_reply(" ".join(f"word{i}" for i in range(300)))
    anthropic_emulator.event_delay_s = 0.01

    async def work(backend: AnthropicBackend) -> int:
        stream = await backend.chat({"messages": [{"role": "user", "content": "x"}]}, MODEL)
        await cancel_consumer_midstream(stream)
        return await cancelled_upstreams(anthropic_emulator)

    assert run(anthropic_emulator, work) == 1
