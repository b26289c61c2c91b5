"""The OpenAI-compatible emulator driven by the real ``openai`` SDK."""

from __future__ import annotations

import json

import openai
import pytest

from tests.emulators.openai import DEFAULT_KEY, OpenAIEmulator, ToolCall

MODEL = "gpt-5.2"


def client(emulator: OpenAIEmulator, key: str = DEFAULT_KEY) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=emulator.base_url, max_retries=0)


def test_chat_non_streaming(openai_emulator: OpenAIEmulator) -> None:
    with client(openai_emulator) as sdk:
        answer = sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "ping"}])
    assert answer.choices[0].message.content == "Echo: ping"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.total_tokens > 0


def test_chat_stream_with_tool_calls_and_usage(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.script_reply("Looking.", tool_calls=[ToolCall("read_file", {"path": "a.py"})],
                                 prompt_tokens=50, completion_tokens=9, cached_tokens=32)
    with client(openai_emulator) as sdk:
        stream = sdk.chat.completions.create(model=MODEL, stream=True, stream_options={"include_usage": True},
                                             messages=[{"role": "user", "content": "read a.py"}])
        chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    arguments = "".join(tc.function.arguments or "" for c in chunks if c.choices
                        for tc in c.choices[0].delta.tool_calls or [] if tc.function)
    names = [tc.function.name for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []
             if tc.function and tc.function.name]
    assert content == "Looking."
    assert names == ["read_file"] and json.loads(arguments) == {"path": "a.py"}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (50, 9)
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details.cached_tokens == 32


def test_completions_and_embeddings_and_models(openai_emulator: OpenAIEmulator) -> None:
    with client(openai_emulator) as sdk:
        completion = sdk.completions.create(model=MODEL, prompt="def add(a, b):\n", suffix="\n")
        vectors = sdk.embeddings.create(model=MODEL, input=["one", "two"])
        models = [m.id for m in sdk.models.list()]
    assert completion.choices[0].text == "return a + b\n"
    assert [d.index for d in vectors.data] == [0, 1] and len(vectors.data[0].embedding) == 8
    assert models == [MODEL]


def test_errors_reach_the_sdk_as_their_exception(openai_emulator: OpenAIEmulator) -> None:
    with client(openai_emulator, key="sk-wrong") as sdk, pytest.raises(openai.AuthenticationError):
        sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    openai_emulator.fail_next(429, message="Rate limit reached", retry_after=0.01)
    with client(openai_emulator) as sdk, pytest.raises(openai.RateLimitError):
        sdk.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    with client(openai_emulator) as sdk, pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])


def test_orphan_tool_message_is_rejected(openai_emulator: OpenAIEmulator) -> None:
    with client(openai_emulator) as sdk, pytest.raises(openai.BadRequestError):
        sdk.chat.completions.create(model=MODEL, messages=[
            {"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "call_1", "content": "r"}])


def test_in_stream_error_reaches_the_sdk(openai_emulator: OpenAIEmulator) -> None:
    openai_emulator.fail_in_stream(after_chunks=1)
    with client(openai_emulator) as sdk, pytest.raises(openai.APIError):
        list(sdk.chat.completions.create(model=MODEL, stream=True, messages=[{"role": "user", "content": "x"}]))
