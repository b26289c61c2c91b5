"""OpenAI ⇄ Anthropic translation, checked against hand-written expectations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridcoder.proxy import translate_anthropic as tr
from hybridcoder.proxy.backends.base import Usage
from hybridcoder.proxy.errors import BadRequest, UpstreamError, UpstreamOverloaded

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="

READ_TOOL = {"type": "function", "function": {
    "name": "read_file", "description": "Read a file",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}


def request(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return tr.anthropic_request({"messages": messages, **extra}, "claude-sonnet-5-5")


# ----------------------------------------------------------------------------- requests


def test_system_and_developer_messages_become_system_blocks_in_order() -> None:
    out = request([
        {"role": "system", "content": "You are a coding assistant."},
        {"role": "developer", "content": [{"type": "text", "text": "Follow the repo rules."}]},
        {"role": "system", "content": ""},
        {"role": "developer", "content": "  \n"},
        {"role": "user", "content": "hi"},
    ])
    assert out["system"] == [{"type": "text", "text": "You are a coding assistant."},
                             {"type": "text", "text": "Follow the repo rules."}]
    assert out["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert out["model"] == "claude-sonnet-5-5"


def test_max_tokens_defaults_and_prefers_max_completion_tokens() -> None:
    assert request([{"role": "user", "content": "x"}])["max_tokens"] == tr.DEFAULT_MAX_TOKENS
    assert request([{"role": "user", "content": "x"}], max_tokens=300)["max_tokens"] == 300
    assert request([{"role": "user", "content": "x"}], max_tokens=300,
                   max_completion_tokens=500)["max_tokens"] == 500
    with pytest.raises(BadRequest) as info:
        request([{"role": "user", "content": "x"}], max_tokens="many")
    assert info.value.param == "max_tokens"


def test_sampling_params_are_dropped_for_the_current_api_version() -> None:
    out = request([{"role": "user", "content": "x"}], temperature=0.2, top_p=0.9, top_k=40, seed=7)
    assert not {"temperature", "top_p", "top_k", "seed", "extra_body"} & set(out)


def test_sampling_params_pass_clamped_when_the_old_version_is_pinned() -> None:
    out = tr.anthropic_request({"messages": [{"role": "user", "content": "x"}], "temperature": 1.7, "top_p": 0.5},
                               "m", sampling=True)
    assert out["extra_body"] == {"temperature": 1.0, "top_p": 0.5}


def test_stop_sequences_drop_whitespace_only_entries() -> None:
    assert request([{"role": "user", "content": "x"}], stop=["\n", "END", " "])["stop_sequences"] == ["END"]
    assert request([{"role": "user", "content": "x"}], stop="STOP")["stop_sequences"] == ["STOP"]
    assert "stop_sequences" not in request([{"role": "user", "content": "x"}], stop="\n\n")


def test_tools_translate_with_an_empty_schema_for_parameterless_tools() -> None:
    out = request([{"role": "user", "content": "x"}],
                  tools=[READ_TOOL, {"type": "function", "function": {"name": "list_files"}}])
    assert out["tools"] == [
        {"name": "read_file", "description": "Read a file",
         "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
        {"name": "list_files", "input_schema": {"type": "object", "properties": {}}},
    ]
    assert "tool_choice" not in out


@pytest.mark.parametrize(("choice", "expected"), [
    ("auto", {"type": "auto"}),
    ("required", {"type": "any"}),
    ("none", {"type": "none"}),
    ({"type": "function", "function": {"name": "read_file"}}, {"type": "tool", "name": "read_file"}),
])
def test_tool_choice(choice: Any, expected: dict[str, Any]) -> None:
    assert request([{"role": "user", "content": "x"}], tools=[READ_TOOL], tool_choice=choice)["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_use() -> None:
    out = request([{"role": "user", "content": "x"}], tools=[READ_TOOL], parallel_tool_calls=False)
    assert out["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_tool_round_trip_history() -> None:
    out = request([
        {"role": "user", "content": "Read a.py and b.py"},
        {"role": "assistant", "content": "Reading both.", "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}},
            {"id": "toolu_2", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "b.py"}'}},
        ]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "print('a')"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "print('b')"}]},
        {"role": "user", "content": "Now compare them."},
    ], tools=[READ_TOOL])
    assert out["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Read a.py and b.py"}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Reading both."},
            {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.py"}},
            {"type": "tool_use", "id": "toolu_2", "name": "read_file", "input": {"path": "b.py"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "print('a')"}]},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "print('b')"}]},
            {"type": "text", "text": "Now compare them."},
        ]},
    ]


def test_assistant_tool_call_without_text_and_with_broken_arguments() -> None:
    out = request([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "read_file", "arguments": "{not json"}}]},
        {"role": "tool", "tool_call_id": "t1", "content": ""},
    ])
    assert out["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "read_file", "input": {}}]}
    # an empty tool result has no content blocks (empty text blocks are rejected by the API)
    assert out["messages"][2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]}


def test_images_as_data_urls_and_links() -> None:
    out = request([{"role": "user", "content": [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    ]}])
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "What is in these?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


def test_same_role_turns_merge_and_first_turn_is_user() -> None:
    out = request([
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "Partial answer   \n"},
    ])
    assert out["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello! How can I help?"}]},
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        # a final assistant turn may not end in whitespace
        {"role": "assistant", "content": [{"type": "text", "text": "Partial answer"}]},
    ]


def test_cache_control_on_text_parts_is_kept() -> None:
    out = request([{"role": "system", "content": [
        {"type": "text", "text": "Long rules", "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": "x"}])
    assert out["system"] == [{"type": "text", "text": "Long rules", "cache_control": {"type": "ephemeral"}}]


def test_user_id_goes_to_metadata_unless_it_looks_like_an_email() -> None:
    assert request([{"role": "user", "content": "x"}], user="dev-42")["metadata"] == {"user_id": "dev-42"}
    assert "metadata" not in request([{"role": "user", "content": "x"}], user="me@example.com")


@pytest.mark.parametrize(("messages", "param"), [
    ([], "messages"),
    ([{"role": "system", "content": "only rules"}], "messages"),
    ([{"role": "wizard", "content": "x"}], "messages[0].role"),
    ([{"role": "user", "content": 42}], "messages[0].content"),
    ([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}], "messages[0].content[0].type"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}],
     "messages[0].content[0].image_url"),
    ([{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}], "messages[1].tool_call_id"),
])
def test_bad_requests_name_the_field(messages: list[Any], param: str) -> None:
    with pytest.raises(BadRequest) as info:
        request(messages)
    assert info.value.param == param


# ----------------------------------------------------------------------------- streaming


def run_events(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], tr.AnthropicStreamTranslator]:
    translator = tr.AnthropicStreamTranslator("claude-sonnet-5-5", Usage())
    chunks = [chunk for event in events for chunk in translator.translate(event)]
    return chunks, translator


def deltas(chunks: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str | None]]:
    return [(c["choices"][0]["delta"], c["choices"][0]["finish_reason"]) for c in chunks]


START = {"type": "message_start", "message": {
    "id": "msg_01ABC", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": [],
    "stop_reason": None, "usage": {"input_tokens": 20, "cache_creation_input_tokens": 300,
                                   "cache_read_input_tokens": 4000, "output_tokens": 1}}}


def test_text_stream_to_chunks() -> None:
    chunks, translator = run_events([
        START,
        {"type": "ping"},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " world"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 2}},
        {"type": "message_stop"},
    ])
    assert deltas(chunks) == [
        ({"role": "assistant", "content": ""}, None),
        ({"content": "Hello"}, None),
        ({"content": " world"}, None),
        ({}, "stop"),
    ]
    assert {c["id"] for c in chunks} == {"chatcmpl-01ABC"}
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "claude-sonnet-5-5" for c in chunks)
    assert translator.done
    usage = translator.usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (4320, 2)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (4000, 300)
    assert usage.openai() == {"prompt_tokens": 4320, "completion_tokens": 2, "total_tokens": 4322,
                              "prompt_tokens_details": {"cached_tokens": 4000}}


def test_tool_use_blocks_become_tool_call_deltas_with_stable_index() -> None:
    chunks, translator = run_events([
        START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Reading."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "toolu_A", "name": "read_file", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"pa'}},
        {"type": "content_block_delta", "index": 1,
         "delta": {"type": "input_json_delta", "partial_json": 'th": "a.py"}'}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2,
         "content_block": {"type": "tool_use", "id": "toolu_B", "name": "list_files", "input": {}}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 31}},
        {"type": "message_stop"},
    ])
    assert deltas(chunks)[1:] == [
        ({"content": "Reading."}, None),
        ({"tool_calls": [{"index": 0, "id": "toolu_A", "type": "function",
                          "function": {"name": "read_file", "arguments": ""}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '{"pa'}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": 'th": "a.py"}'}}]}, None),
        ({"tool_calls": [{"index": 1, "id": "toolu_B", "type": "function",
                          "function": {"name": "list_files", "arguments": ""}}]}, None),
        # a tool without input deltas still gets valid JSON arguments
        ({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}, None),
        ({}, "tool_calls"),
    ]
    assert translator.usage.completion_tokens == 31


@pytest.mark.parametrize(("stop_reason", "finish"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("pause_turn", "length"), ("model_context_window_exceeded", "length"), ("refusal", "content_filter"),
    ("something_new", "stop"),
])
def test_stop_reasons(stop_reason: str, finish: str) -> None:
    chunks, _ = run_events([START, {"type": "message_delta", "delta": {"stop_reason": stop_reason},
                                    "usage": {"output_tokens": 5}}])
    assert chunks[-1]["choices"][0]["finish_reason"] == finish


def test_message_delta_usage_is_cumulative_not_summed() -> None:
    _, translator = run_events([
        START,
        {"type": "message_delta", "delta": {"stop_reason": None}, "usage": {"output_tokens": 10}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 25, "input_tokens": 20, "cache_read_input_tokens": 4000}},
    ])
    assert translator.usage.completion_tokens == 25
    assert translator.usage.prompt_tokens == 4320


def test_thinking_becomes_reasoning_content() -> None:
    chunks, _ = run_events([
        START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me see"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "abc"}},
    ])
    assert deltas(chunks)[1:] == [({"reasoning_content": "Let me see"}, None)]


def test_error_event_raises_the_mapped_upstream_error() -> None:
    with pytest.raises(UpstreamOverloaded) as info:
        run_events([START, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}])
    assert info.value.cause == "cloud_overloaded"
    with pytest.raises(UpstreamError) as other:
        run_events([{"type": "error", "error": {"type": "api_error", "message": "boom"}}])
    assert other.value.cause == "cloud_stream_error"


def test_complete_message_to_openai() -> None:
    out = tr.message_to_openai({
        "id": "msg_9", "model": "claude-sonnet-5-5", "stop_reason": "tool_use",
        "content": [{"type": "text", "text": "Sure."},
                    {"type": "tool_use", "id": "toolu_9", "name": "read_file", "input": {"path": "x"}}],
        "usage": {"input_tokens": 10, "output_tokens": 4, "cache_read_input_tokens": 90}})
    assert out["choices"][0] == {"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Sure.",
        "tool_calls": [{"id": "toolu_9", "type": "function",
                        "function": {"name": "read_file", "arguments": json.dumps({"path": "x"})}}]}}
    assert out["usage"] == {"prompt_tokens": 100, "completion_tokens": 4, "total_tokens": 104,
                            "prompt_tokens_details": {"cached_tokens": 90}}


def test_automatic_prompt_caching_unless_the_client_placed_markers() -> None:
    assert request([{"role": "user", "content": "x"}])["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in tr.anthropic_request({"messages": [{"role": "user", "content": "x"}]}, "m",
                                                        prompt_caching=False)
    marked = request([{"role": "user", "content": [
        {"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}])
    assert "cache_control" not in marked


def test_foreign_tool_call_ids_are_made_safe_on_both_sides() -> None:
    out = request([
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [
            {"id": "fc.call:1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "fc.call:1", "content": "done"},
    ])
    assert out["messages"][1]["content"][0]["id"] == "fc_call_1"
    assert out["messages"][2]["content"][0]["tool_use_id"] == "fc_call_1"
