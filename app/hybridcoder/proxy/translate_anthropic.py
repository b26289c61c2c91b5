"""OpenAI Chat Completions ⇄ Anthropic Messages, requests and streaming events.

Why our own translation and not Anthropic's OpenAI-compatible endpoint: that endpoint
is labelled for testing, has no prompt caching and reports no cache token breakdown,
so a proxy that reports cost cannot use it (reference cloud.md §2).

Request side (:func:`anthropic_request`): system and developer messages → ``system``;
tools and tool_choice; assistant ``tool_calls`` → ``tool_use`` blocks; ``tool``
messages → ``tool_result`` blocks (consecutive ones merged into one user turn);
images as data URLs or http(s) links; same-role turns merged; the first turn made a
user turn. API version 2026-10-21 rejects ``temperature``/``top_p``/``top_k`` with a
400 even at default values, so they are dropped unless the caller pinned the old
version (then they are passed, clamped to Anthropic's 0–1 range).

Response side (:class:`AnthropicStreamTranslator`): streaming events → OpenAI
``chat.completion.chunk`` dicts, tool input deltas → ``tool_calls[].function.arguments``
fragments with a stable ``index`` that counts tool_use blocks; stop reasons; usage
with cache reads/writes (``message_delta`` usage is cumulative: the last one wins).

Pure: no I/O, never logs prompt text.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from hybridcoder.proxy.backends.base import Usage
from hybridcoder.proxy.errors import BadRequest, UpstreamError, UpstreamOverloaded, UpstreamRateLimited
from hybridcoder.proxy.tool_arguments import arguments_object

#: Sent as ``max_tokens`` when the client sets none (the API requires it). Large enough
#: for an agent writing a whole file; streaming keeps the SDK's long-request guard quiet.
DEFAULT_MAX_TOKENS = 16384

CURRENT_API_VERSION = "2026-10-21"
#: The version that still accepts temperature/top_p/top_k.
LEGACY_API_VERSION = "2023-06-01"

FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "pause_turn": "length",
    "model_context_window_exceeded": "length",
    "compaction": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
_TOOL_ID_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def tool_id(raw: Any) -> str:
    """A client's tool-call id in the form Anthropic accepts (``^[a-zA-Z0-9_-]+$``).

    Ids made by other models or clients (``call:1``, ``fc.abc``) would be a 400; the
    same mapping on both sides keeps tool_use and tool_result paired.
    """
    return _TOOL_ID_UNSAFE.sub("_", str(raw)) or "_"


def finish_reason(stop_reason: str | None) -> str:
    return FINISH_REASONS.get(stop_reason or "", "stop")


# ----------------------------------------------------------------------------- request


def _image_block(part: dict[str, Any], field: str) -> dict[str, Any]:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise BadRequest(f"'{field}.image_url.url' must be a string.", param=f"{field}.image_url")
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";", 1)[0]
        if ";base64" not in header or not data or not media_type.startswith("image/"):
            raise BadRequest(f"'{field}.image_url' must be a base64 image data URL.",
                             param=f"{field}.image_url")
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    if url.startswith(("http://", "https://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise BadRequest(f"'{field}.image_url.url' must be a data URL or an http(s) link.",
                     param=f"{field}.image_url")


def _text_block(text: str, part: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if part is not None and isinstance(part.get("cache_control"), dict):
        block["cache_control"] = part["cache_control"]
    return block


def content_blocks(content: Any, field: str, *, images: bool = True) -> list[dict[str, Any]]:
    """OpenAI content (string, parts, null) → Anthropic blocks; blank text is dropped (the API rejects it)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [_text_block(content)] if content.strip() else []
    if not isinstance(content, list):
        raise BadRequest(f"'{field}' must be a string or a list of content parts.", param=field)
    blocks: list[dict[str, Any]] = []
    for j, part in enumerate(content):
        where = f"{field}[{j}]"
        if isinstance(part, str):
            if part.strip():
                blocks.append(_text_block(part))
            continue
        if not isinstance(part, dict):
            raise BadRequest(f"'{where}' must be an object.", param=where)
        kind = part.get("type")
        if kind in ("text", "input_text"):
            text = part.get("text")
            if not isinstance(text, str):
                raise BadRequest(f"'{where}.text' must be a string.", param=f"{where}.text")
            if text.strip():
                blocks.append(_text_block(text, part))
        elif kind == "image_url" and images:
            blocks.append(_image_block(part, where))
        else:
            raise BadRequest(f"'{where}.type' {kind!r} is not supported for Anthropic models.",
                             param=f"{where}.type")
    return blocks


def _append_turn(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Add blocks as a turn, merging into the previous turn of the same role (the API wants alternation)."""
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": list(blocks)})


def system_and_turns(messages: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """OpenAI ``messages`` → (Anthropic ``system`` text blocks, Anthropic ``messages``)."""
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list.", param="messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        field = f"messages[{i}]"
        if not isinstance(message, dict):
            raise BadRequest(f"'{field}' must be an object.", param=field)
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.extend(content_blocks(content, f"{field}.content", images=False))
        elif role == "user":
            _append_turn(turns, "user", content_blocks(content, f"{field}.content"))
        elif role == "assistant":
            blocks = content_blocks(content, f"{field}.content", images=False)
            calls = message.get("tool_calls") or []
            if not isinstance(calls, list):
                raise BadRequest(f"'{field}.tool_calls' must be a list.", param=f"{field}.tool_calls")
            for j, call in enumerate(calls):
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not function.get("name") or not call.get("id"):
                    raise BadRequest(f"'{field}.tool_calls[{j}]' needs an 'id' and a 'function.name'.",
                                     param=f"{field}.tool_calls[{j}]")
                blocks.append({"type": "tool_use", "id": tool_id(call["id"]), "name": str(function["name"]),
                               "input": arguments_object(function.get("arguments"))})
            _append_turn(turns, "assistant", blocks)
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise BadRequest(f"'{field}.tool_call_id' is required for tool messages.",
                                 param=f"{field}.tool_call_id")
            result: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id(call_id)}
            parts = content_blocks(content, f"{field}.content")
            if parts:
                result["content"] = parts
            # Consecutive tool results (and a user message right after them) share one user turn.
            _append_turn(turns, "user", [result])
        else:
            raise BadRequest(f"'{field}.role' must be system, developer, user, assistant or tool.",
                             param=f"{field}.role")
    if not turns:
        raise BadRequest("'messages' needs at least one user message.", param="messages")
    if turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"type": "text", "text": "."}]})
    last = turns[-1]
    if last["role"] == "assistant":
        # The API rejects a final assistant turn ending in whitespace.
        for block in reversed(last["content"]):
            if block["type"] == "text":
                block["text"] = block["text"].rstrip() or "."
                break
    return system, turns


def anthropic_tools(tools: Any) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        raise BadRequest("'tools' must be a list.", param="tools")
    out: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            continue
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadRequest(f"'tools[{i}].function.name' is required.", param=f"tools[{i}].function")
        spec: dict[str, Any] = {"name": function["name"],
                                "input_schema": function.get("parameters") or dict(_EMPTY_SCHEMA)}
        if function.get("description"):
            spec["description"] = function["description"]
        if isinstance(tool.get("cache_control"), dict):
            spec["cache_control"] = tool["cache_control"]
        out.append(spec)
    return out


def anthropic_tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    result: dict[str, Any] | None
    if choice is None:
        result = None
    elif choice == "auto":
        result = {"type": "auto"}
    elif choice == "required":
        result = {"type": "any"}
    elif choice == "none":
        result = {"type": "none"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict) and choice["function"].get("name"):
        result = {"type": "tool", "name": choice["function"]["name"]}
    else:
        raise BadRequest("'tool_choice' must be auto, none, required or a named function.", param="tool_choice")
    if parallel is False:
        result = result or {"type": "auto"}
        if result["type"] != "none":
            result["disable_parallel_tool_use"] = True
    return result


def _has_cache_markers(request: dict[str, Any]) -> bool:
    blocks = [*request.get("system", []), *request.get("tools", [])]
    for turn in request["messages"]:
        blocks.extend(turn["content"])
    return any("cache_control" in block for block in blocks)


def anthropic_request(body: dict[str, Any], model: str, *, default_max_tokens: int = DEFAULT_MAX_TOKENS,
                      sampling: bool = False, prompt_caching: bool = True) -> dict[str, Any]:
    """An OpenAI chat body → keyword arguments for ``messages.create`` (without ``stream``).

    ``sampling=True`` only when the client pinned the legacy API version: the current
    one answers temperature/top_p/top_k with a 400. ``prompt_caching`` asks for
    automatic caching (top-level ``cache_control``: the API marks the last cacheable
    block) unless the client placed its own markers: agent loops resend the same long
    prefix every turn, and cached reads cost a tenth of fresh input.
    """
    system, turns = system_and_turns(body.get("messages"))
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is None:
        max_tokens = default_max_tokens
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise BadRequest("'max_tokens' must be a positive integer.", param="max_tokens")
    request: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": turns}
    if system:
        request["system"] = system
    tools = body.get("tools")
    if tools:
        converted = anthropic_tools(tools)
        if converted:
            request["tools"] = converted
    if "tools" in request:
        choice = anthropic_tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
        if choice is not None:
            request["tool_choice"] = choice
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    stops = [s for s in stops if isinstance(s, str) and s.strip()]
    if stops:
        request["stop_sequences"] = stops
    if prompt_caching and not _has_cache_markers(request):
        request["cache_control"] = {"type": "ephemeral"}
    user = body.get("user")
    if isinstance(user, str) and user and "@" not in user:
        request["metadata"] = {"user_id": user}
    if sampling:
        extra: dict[str, Any] = {}
        for name in ("temperature", "top_p"):
            value = body.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                extra[name] = min(max(float(value), 0.0), 1.0)
        if isinstance(body.get("top_k"), int):
            extra["top_k"] = body["top_k"]
        if extra:
            request["extra_body"] = extra
    return request


# ----------------------------------------------------------------------------- stream


_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def merge_usage(totals: dict[str, int], raw: Any) -> None:
    """Fold one event's usage into ``totals``: counts are cumulative, so the latest value wins."""
    if isinstance(raw, dict):
        for key in _USAGE_KEYS:
            value = raw.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] = value


def apply_usage(totals: dict[str, int], usage: Usage) -> None:
    """Anthropic counts → ours. ``input_tokens`` is only the uncached remainder of the prompt."""
    usage.cache_write_tokens = totals.get("cache_creation_input_tokens", 0)
    usage.cache_read_tokens = totals.get("cache_read_input_tokens", 0)
    usage.prompt_tokens = totals.get("input_tokens", 0) + usage.cache_write_tokens + usage.cache_read_tokens
    usage.completion_tokens = totals.get("output_tokens", 0)


def stream_error(error: dict[str, Any] | None) -> UpstreamError:
    """An in-stream ``error`` event (the HTTP status was already 200)."""
    error = error or {}
    kind = str(error.get("type") or "api_error")
    message = str(error.get("message") or kind)
    if kind == "overloaded_error":
        return UpstreamOverloaded(f"Anthropic is overloaded right now ({message}); try again shortly.",
                                  cause="cloud_overloaded")
    if kind == "rate_limit_error":
        return UpstreamRateLimited(f"Anthropic is rate limiting requests ({message}).",
                                   cause="cloud_rate_limited")
    return UpstreamError(f"Anthropic failed while answering ({kind}: {message}).", cause="cloud_stream_error")


class AnthropicStreamTranslator:
    """Anthropic stream events (plain dicts) → OpenAI ``chat.completion.chunk`` dicts."""

    def __init__(self, model: str, usage: Usage, *, reasoning: bool = True) -> None:
        self.model = model
        self.usage = usage
        self.reasoning = reasoning
        self.id = "chatcmpl-"
        self.created = int(time.time())
        self.finish_reason: str | None = None
        self.done = False
        #: Anthropic block index → OpenAI tool_calls index (counts tool_use blocks only).
        self._tool_index: dict[int, int] = {}
        self._tool_args_sent: dict[int, bool] = {}
        self._tool_start_input: dict[int, Any] = {}
        self._usage_totals: dict[str, int] = {}

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def translate(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = event.get("type")
        if kind == "content_block_delta":
            return self._delta(event)
        if kind == "message_start":
            message = event.get("message") or {}
            if message.get("id"):
                self.id = "chatcmpl-" + str(message["id"]).removeprefix("msg_")
            merge_usage(self._usage_totals, message.get("usage"))
            apply_usage(self._usage_totals, self.usage)
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "content_block_stop":
            return self._block_stop(event)
        if kind == "message_delta":
            merge_usage(self._usage_totals, event.get("usage"))
            apply_usage(self._usage_totals, self.usage)
            stop = (event.get("delta") or {}).get("stop_reason")
            if stop is None and self.finish_reason is not None:
                return []
            self.finish_reason = finish_reason(stop)
            return [self._chunk({}, self.finish_reason)]
        if kind == "message_stop":
            self.done = True
            return []
        if kind == "error":
            raise stream_error(event.get("error"))
        return []  # ping and event types added later

    def _block_start(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        block = event.get("content_block") or {}
        index = int(event.get("index", 0))
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if kind == "tool_use":
            k = len(self._tool_index)
            self._tool_index[index] = k
            self._tool_args_sent[index] = False
            self._tool_start_input[index] = block.get("input")
            return [self._chunk({"tool_calls": [{
                "index": k, "id": block.get("id") or "", "type": "function",
                "function": {"name": block.get("name") or "", "arguments": ""}}]})]
        if kind == "thinking" and self.reasoning and block.get("thinking"):
            return [self._chunk({"reasoning_content": block["thinking"]})]
        return []

    def _delta(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        delta = event.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text")
            return [self._chunk({"content": text})] if text else []
        if kind == "input_json_delta":
            index = int(event.get("index", 0))
            partial = delta.get("partial_json")
            if index not in self._tool_index or not partial:
                return []
            self._tool_args_sent[index] = True
            return [self._chunk({"tool_calls": [{"index": self._tool_index[index],
                                                 "function": {"arguments": partial}}]})]
        if kind == "thinking_delta" and self.reasoning:
            text = delta.get("thinking")
            return [self._chunk({"reasoning_content": text})] if text else []
        return []  # signature_delta, citations_delta

    def _block_stop(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        index = int(event.get("index", 0))
        if index in self._tool_index and not self._tool_args_sent.get(index):
            # No input_json_delta came (a tool without parameters, or the input arrived whole
            # in content_block_start): OpenAI clients still need valid JSON arguments.
            self._tool_args_sent[index] = True
            start_input = self._tool_start_input.get(index)
            arguments = json.dumps(start_input if isinstance(start_input, dict) else {}, ensure_ascii=False)
            return [self._chunk({"tool_calls": [{"index": self._tool_index[index],
                                                 "function": {"arguments": arguments}}]})]
        return []


def message_to_openai(message: dict[str, Any], model: str | None = None) -> dict[str, Any]:
    """A complete (non-streamed) Anthropic message → an OpenAI ``chat.completion`` (for tools and tests)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message.get("content") or []:
        if block.get("type") == "text":
            texts.append(block.get("text") or "")
        elif block.get("type") == "tool_use":
            calls.append({"id": block.get("id"), "type": "function",
                          "function": {"name": block.get("name"),
                                       "arguments": json.dumps(block.get("input") or {}, ensure_ascii=False)}})
    usage = Usage()
    totals: dict[str, int] = {}
    merge_usage(totals, message.get("usage"))
    apply_usage(totals, usage)
    out_message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        out_message["tool_calls"] = calls
    return {"id": "chatcmpl-" + str(message.get("id", "")).removeprefix("msg_"), "object": "chat.completion",
            "created": int(time.time()), "model": model or message.get("model"),
            "choices": [{"index": 0, "message": out_message,
                         "finish_reason": finish_reason(message.get("stop_reason"))}],
            "usage": usage.openai()}
