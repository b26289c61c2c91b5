"""The Anthropic emulator driven by the real ``anthropic`` SDK: if the SDK accepts it, so would our backend."""

from __future__ import annotations

import anthropic
import pytest

from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator, ToolUse

MODEL = "claude-sonnet-5-5"


def client(emulator: AnthropicEmulator, *, api_key: str = DEFAULT_KEY, max_retries: int = 0,
           default_headers: dict[str, str] | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=api_key, base_url=emulator.url, max_retries=max_retries,
                               default_headers=default_headers)


def test_non_streaming_message(anthropic_emulator: AnthropicEmulator) -> None:
    with client(anthropic_emulator) as sdk:
        message = sdk.messages.create(model=MODEL, max_tokens=100,
                                      messages=[{"role": "user", "content": "ping"}])
    assert message.content[0].type == "text"
    assert message.content[0].text == "Echo: ping"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    sent = anthropic_emulator.requests[-1]
    assert sent.headers["anthropic-version"] == "2026-10-21"
    assert DEFAULT_KEY in sent.headers.get("authorization", "") + sent.headers.get("x-api-key", "")


def test_streaming_text_tools_and_cache_usage(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.script_reply("Reading it.", tool_uses=[ToolUse("read_file", {"path": "src/app.py"})],
                                    input_tokens=12, cache_read_input_tokens=3000, cache_creation_input_tokens=200)
    tools = [{"name": "read_file", "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}]
    with client(anthropic_emulator) as sdk, sdk.messages.stream(
            model=MODEL, max_tokens=200, tools=tools,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "open app.py"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Reading it."
    assert final.stop_reason == "tool_use"
    tool = final.content[1]
    assert tool.type == "tool_use" and tool.name == "read_file" and tool.input == {"path": "src/app.py"}
    assert final.usage.cache_read_input_tokens == 3000
    assert final.usage.cache_creation_input_tokens == 200
    assert final.usage.input_tokens == 12


def test_wrong_key_is_rejected(anthropic_emulator: AnthropicEmulator) -> None:
    with client(anthropic_emulator, api_key="sk-ant-not-the-key-000000") as sdk, \
            pytest.raises(anthropic.AuthenticationError) as info:
        sdk.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert info.value.request_id is not None and info.value.request_id.startswith("req_")


def test_sampling_params_are_rejected_on_the_new_api_version_only(anthropic_emulator: AnthropicEmulator) -> None:
    with client(anthropic_emulator) as sdk, pytest.raises(anthropic.BadRequestError) as info:
        sdk.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}],
                            extra_body={"temperature": 1.0})
    assert "temperature: Extra inputs are not permitted" in str(info.value)
    with client(anthropic_emulator, default_headers={"anthropic-version": "2023-06-01"}) as legacy:
        message = legacy.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}],
                                         extra_body={"temperature": 0.3})
    assert message.content[0].type == "text"


@pytest.mark.parametrize(("status", "error"), [
    (429, anthropic.RateLimitError), (529, anthropic.OverloadedError), (500, anthropic.InternalServerError),
    (400, anthropic.BadRequestError), (403, anthropic.PermissionDeniedError),
])
def test_http_errors_reach_the_sdk_as_their_exception(anthropic_emulator: AnthropicEmulator, status: int,
                                                      error: type[Exception]) -> None:
    anthropic_emulator.fail_next(status, retry_after=0.01)
    with client(anthropic_emulator) as sdk, pytest.raises(error):
        sdk.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])


def test_sdk_retries_honour_retry_after(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.fail_next(529, retry_after=0.01, times=2)
    with client(anthropic_emulator, max_retries=2) as sdk:
        message = sdk.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert message.content[0].type == "text"
    assert len(anthropic_emulator.requests) == 3


def test_in_stream_error_event(anthropic_emulator: AnthropicEmulator) -> None:
    anthropic_emulator.fail_in_stream("overloaded_error", after_events=2)
    with client(anthropic_emulator) as sdk, pytest.raises(anthropic.APIStatusError) as info, \
            sdk.messages.stream(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}]) as stream:
        for _ in stream.text_stream:
            pass
    assert info.value.type == "overloaded_error"


@pytest.mark.parametrize("messages", [
    [{"role": "assistant", "content": "first"}],
    [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
    [{"role": "user", "content": [{"type": "text", "text": ""}]}],
    [{"role": "user", "content": "a"}, {"role": "assistant", "content": "trailing space "}],
    [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "r"}]}],
])
def test_emulator_rejects_what_the_api_rejects(anthropic_emulator: AnthropicEmulator,
                                               messages: list[dict[str, object]]) -> None:
    with client(anthropic_emulator) as sdk, pytest.raises(anthropic.BadRequestError):
        sdk.messages.create(model=MODEL, max_tokens=10, messages=messages)  # type: ignore[arg-type]
