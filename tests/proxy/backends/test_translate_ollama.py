"""OpenAI ⇄ Ollama native translation, checked against hand-written expectations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridcoder.proxy import translate_ollama as tr
from hybridcoder.proxy.backends.base import Usage
from hybridcoder.proxy.errors import BadRequest, UpstreamError

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def test_chat_request_messages_tools_and_options() -> None:
    body = {
        "model": "hybrid-local",
        "messages": [
            {"role": "developer", "content": "Be terse."},
            {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "print(1)"},
        ],
        "tools": [{"type": "function", "function": {"name": "read_file", "parameters": {
            "type": "object", "properties": {"path": {"type": "string"}}}}}],
        "temperature": 0.1, "top_p": 0.9, "max_tokens": 256, "stop": "\n\n", "seed": 3,
        "stream": True, "stream_options": {"include_usage": True},
    }
    out = tr.chat_request(body, "qwen2.5-coder:7b", num_ctx=16384, keep_alive="30m")
    assert out == {
        "model": "qwen2.5-coder:7b",
        "stream": True,
        "keep_alive": "30m",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "What is this?", "images": [PNG]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "call_1", "function": {"name": "read_file", "arguments": {"path": "a.py"}}}]},
            {"role": "tool", "content": "print(1)", "tool_name": "read_file", "tool_call_id": "call_1"},
        ],
        "tools": [{"type": "function", "function": {"name": "read_file", "parameters": {
            "type": "object", "properties": {"path": {"type": "string"}}}}}],
        "options": {"temperature": 0.1, "top_p": 0.9, "seed": 3, "num_predict": 256, "stop": ["\n\n"],
                    "num_ctx": 16384},
    }


def test_num_ctx_is_always_ours_and_tool_choice_none_drops_tools() -> None:
    out = tr.chat_request({"messages": [{"role": "user", "content": "x"}], "options": {"num_ctx": 2048},
                           "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "none"},
                          "m", num_ctx=8192)
    assert out["options"]["num_ctx"] == 8192
    assert "tools" not in out


def test_response_format_and_reasoning_effort() -> None:
    out = tr.chat_request({"messages": [{"role": "user", "content": "x"}],
                           "response_format": {"type": "json_object"}, "reasoning_effort": "low"}, "m", num_ctx=None)
    assert out["format"] == "json"
    assert out["think"] == "low"
    assert "options" not in out


def test_image_links_fail_before_the_first_byte_so_the_cloud_can_take_them() -> None:
    with pytest.raises(UpstreamError) as info:
        tr.chat_request({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}, "m", num_ctx=None)
    assert info.value.cause == "local_unsupported_input"
    assert info.value.before_first_byte


@pytest.mark.parametrize(("messages", "param"), [
    ("hello", "messages"),
    ([{"role": "robot", "content": "x"}], "messages[0].role"),
    ([{"role": "user", "content": {"text": "x"}}], "messages[0].content"),
])
def test_bad_chat_requests_name_the_field(messages: Any, param: str) -> None:
    with pytest.raises(BadRequest) as info:
        tr.chat_request({"messages": messages}, "m", num_ctx=None)
    assert info.value.param == param


@pytest.mark.parametrize("prompt", [
    "<|fim_prefix|>def add(a, b):\n<|fim_suffix|>\n<|fim_middle|>",
    "<fim_prefix>x = <fim_suffix>\n<fim_middle>",
    "[SUFFIX]\n[PREFIX]def f():",
    "<PRE> def f(): <SUF> return <MID>",
    "<｜fim▁begin｜>def f():<｜fim▁hole｜>\n<｜fim▁end｜>",
])
def test_templated_fim_prompts_go_raw(prompt: str) -> None:
    out = tr.generate_request({"prompt": prompt, "suffix": "ignored", "max_tokens": 64}, "qwen2.5-coder:1.5b-base",
                              num_ctx=4096)
    assert out == {"model": "qwen2.5-coder:1.5b-base", "prompt": prompt, "stream": True, "raw": True,
                   "options": {"num_predict": 64, "num_ctx": 4096}}


def test_plain_fim_prompt_uses_suffix() -> None:
    out = tr.generate_request({"prompt": "def add(a, b):\n", "suffix": "\nprint(add(1, 2))"}, "m", num_ctx=None)
    assert out == {"model": "m", "prompt": "def add(a, b):\n", "suffix": "\nprint(add(1, 2))", "stream": True}
    with pytest.raises(BadRequest):
        tr.generate_request({"prompt": ["a", "b"]}, "m", num_ctx=None)


def test_chat_translator_produces_openai_chunks() -> None:
    usage = Usage()
    translator = tr.OllamaChatTranslator("qwen2.5-coder:7b", usage)
    lines = [
        {"model": "qwen2.5-coder:7b", "message": {"role": "assistant", "content": "Hel"}, "done": False},
        {"model": "qwen2.5-coder:7b", "message": {"role": "assistant", "content": ""}, "done": False},
        {"model": "qwen2.5-coder:7b", "message": {"role": "assistant", "content": "lo"}, "done": False},
        {"model": "qwen2.5-coder:7b", "message": {"role": "assistant", "content": ""}, "done": True,
         "done_reason": "length", "prompt_eval_count": 42, "eval_count": 2},
    ]
    chunks = [c for line in lines for c in translator.translate(line)]
    assert [(c["choices"][0]["delta"], c["choices"][0]["finish_reason"]) for c in chunks] == [
        ({"role": "assistant", "content": "Hel"}, None),
        ({"content": "lo"}, None),
        ({}, "length"),
    ]
    assert {c["id"] for c in chunks} == {translator.id}
    assert translator.id.startswith("chatcmpl-")
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert (usage.prompt_tokens, usage.completion_tokens) == (42, 2)


def test_chat_translator_tool_calls_get_string_arguments_ids_and_indexes() -> None:
    translator = tr.OllamaChatTranslator("m", Usage())
    chunks = translator.translate({"message": {"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "read_file", "arguments": {"path": "a.py"}}},
        {"function": {"name": "list_dir", "arguments": {}}},
    ]}, "done": False})
    chunks += translator.translate({"message": {"role": "assistant", "content": ""}, "done": True,
                                    "done_reason": "stop"})
    calls = chunks[0]["choices"][0]["delta"]["tool_calls"]
    assert [(c["index"], c["type"], c["function"]) for c in calls] == [
        (0, "function", {"name": "read_file", "arguments": json.dumps({"path": "a.py"})}),
        (1, "function", {"name": "list_dir", "arguments": "{}"}),
    ]
    assert all(c["id"].startswith("call_") for c in calls) and calls[0]["id"] != calls[1]["id"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_chat_translator_raises_on_in_stream_errors() -> None:
    translator = tr.OllamaChatTranslator("m", Usage())
    with pytest.raises(UpstreamError) as info:
        translator.translate({"error": "CUDA error: out of memory"})
    assert info.value.cause == "local_oom"
    with pytest.raises(UpstreamError) as other:
        translator.translate({"error": "something else"})
    assert other.value.cause == "local_stream_error"


def test_generate_translator() -> None:
    usage = Usage()
    translator = tr.OllamaGenerateTranslator("m", usage)
    chunks = translator.translate({"response": "return", "done": False})
    chunks += translator.translate({"response": " a", "done": False})
    chunks += translator.translate({"response": "", "done": True, "done_reason": "stop",
                                    "prompt_eval_count": 9, "eval_count": 2})
    assert [(c["choices"][0]["text"], c["choices"][0]["finish_reason"]) for c in chunks] == [
        ("return", None), (" a", None), ("", "stop")]
    assert chunks[0]["object"] == "text_completion"
    assert (usage.prompt_tokens, usage.completion_tokens) == (9, 2)


def test_embeddings_shapes() -> None:
    assert tr.embed_request({"input": ["a", "b"]}, "nomic") == {"model": "nomic", "input": ["a", "b"]}
    with pytest.raises(BadRequest):
        tr.embed_request({"input": [1, 2, 3]}, "nomic")
    out = tr.embeddings_response({"embeddings": [[0.1, 0.2], [0.3, 0.4]], "prompt_eval_count": 4}, "nomic")
    assert out == {"object": "list", "model": "nomic", "usage": {"prompt_tokens": 4, "total_tokens": 4},
                   "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]},
                            {"object": "embedding", "index": 1, "embedding": [0.3, 0.4]}]}
