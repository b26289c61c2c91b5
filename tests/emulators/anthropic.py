"""An Anthropic Messages API emulator: a real HTTP server on 127.0.0.1 speaking ``POST /v1/messages``.

It speaks the wire protocol from shared/reference/cloud.md so the real ``anthropic`` SDK
(and our backend) cannot tell it from the service:

- non-streaming JSON messages, and SSE streams: ``message_start`` → ``ping`` → per block
  ``content_block_start`` / ``content_block_delta`` (``text_delta``, ``input_json_delta``,
  ``thinking_delta``) / ``content_block_stop`` → ``message_delta`` (stop_reason, cumulative
  usage) → ``message_stop``; an ``error`` event mid-stream ends the stream without
  ``message_stop``;
- errors as ``{"type":"error","error":{"type","message"},"request_id"}`` with a
  ``request-id`` header, ``retry-after`` on 429/529;
- the key in ``x-api-key`` or ``Authorization: Bearer`` (SDK 2.x sends the latter);
- API version 2026-10-21 rejects temperature/top_p/top_k with a 400 even at default
  values; ``2023-06-01`` still accepts them;
- the request checks the real API makes: max_tokens required, roles alternate starting
  with ``user``, no empty text blocks, tool_result ids answer the previous turn's tool_use
  ids, no trailing whitespace in a final assistant turn, no unknown top-level fields.

Knobs: ``script_reply()`` (text, tool uses, thinking, stop reason, usage incl. cache
tokens), ``fail_next()`` (HTTP errors), ``fail_in_stream()`` (an ``error`` event),
``first_byte_delay_s``, ``event_delay_s``. Records: ``requests`` (bodies as received, so a
test can check that a planted secret never arrived), ``cancelled``.

Never reaches anything but 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.http_base import EmulatorServer, Exchange

API_VERSION = "2026-10-21"
LEGACY_API_VERSION = "2023-06-01"
DEFAULT_KEY = "sk-ant-api03-emulator-key-0123456789abcdef"

_ALLOWED_FIELDS = frozenset({
    "model", "messages", "max_tokens", "system", "tools", "tool_choice", "stop_sequences", "stream",
    "metadata", "thinking", "service_tier", "output_config", "cache_control", "container",
    "inference_geo", "speed", "diagnostics", "user_profile_id", "workspace_id",
})
_SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
                500: "api_error", 529: "overloaded_error"}


@dataclass
class ToolUse:
    """A tool call the model makes; ``input`` as a str is streamed verbatim (e.g. broken JSON)."""

    name: str
    input: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass
class Reply:
    """The next answer. ``text=None`` and no tool uses → ``"Echo: <last user text>"``."""

    text: str | None = None
    tool_uses: list[ToolUse] = field(default_factory=list)
    thinking: str | None = None
    stop_reason: str | None = None  # default: tool_use when tool uses, else end_turn
    input_tokens: int | None = None  # None → estimated from the request
    output_tokens: int | None = None
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


@dataclass
class Fault:
    """An HTTP error (``in_stream=False``) or an ``error`` event after ``after_events`` content events."""

    status: int = 500
    error_type: str | None = None
    message: str | None = None
    retry_after: float | None = None
    in_stream: bool = False
    after_events: int = 0
    times: int = 1


class ValidationError(Exception):
    pass


def _split(text: str) -> list[str]:
    """Word-sized pieces that join back to exactly ``text`` (trailing whitespace included)."""
    return re.findall(r"\s*\S+(?:\s+$)?", text) or ([text] if text else [])


def _json_fragments(raw: str) -> list[str]:
    """Split JSON text into a few fragments, as the API streams ``input_json_delta``."""
    if len(raw) < 4:
        return [raw] if raw else []
    step = max(1, len(raw) // 3)
    return [raw[i:i + step] for i in range(0, len(raw), step)]


class AnthropicEmulator(EmulatorServer):
    name = "anthropic-emulator"

    def __init__(self, *, api_key: str = DEFAULT_KEY, models: set[str] | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        #: Model ids the emulator knows; None = any id.
        self.models = models
        self.first_byte_delay_s = 0.0
        self.event_delay_s = 0.0
        self.replies: list[Reply] = []
        self.faults: list[Fault] = []
        self._ids = 0

    @property
    def base_url(self) -> str:
        return self.url

    # ---- knobs

    def script_reply(self, text: str | None = None, *, tool_uses: list[ToolUse] | None = None,
                     thinking: str | None = None, stop_reason: str | None = None,
                     input_tokens: int | None = None, output_tokens: int | None = None,
                     cache_read_input_tokens: int = 0, cache_creation_input_tokens: int = 0) -> Reply:
        reply = Reply(text, list(tool_uses or []), thinking, stop_reason, input_tokens, output_tokens,
                      cache_read_input_tokens, cache_creation_input_tokens)
        with self._lock:
            self.replies.append(reply)
        return reply

    def fail_next(self, status: int, *, error_type: str | None = None, message: str | None = None,
                  retry_after: float | None = None, times: int = 1) -> Fault:
        fault = Fault(status, error_type, message, retry_after, False, 0, times)
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail_in_stream(self, error_type: str = "overloaded_error", *, message: str = "Overloaded",
                       after_events: int = 0) -> Fault:
        fault = Fault(529, error_type, message, None, True, after_events, 1)
        with self._lock:
            self.faults.append(fault)
        return fault

    def message_bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests_to("/v1/messages") if isinstance(r.body, dict)]

    # ---- protocol

    def _request_id(self) -> str:
        with self._lock:
            self._ids += 1
            return f"req_emu{self._ids:08d}"

    def _error(self, ex: Exchange, status: int, message: str, error_type: str | None = None,
               retry_after: float | None = None) -> None:
        request_id = self._request_id()
        headers = {"request-id": request_id}
        if retry_after is not None:
            headers["retry-after"] = str(max(1, math.ceil(retry_after)))
            headers["retry-after-ms"] = str(int(retry_after * 1000))
        ex.json(status, {"type": "error", "error": {"type": error_type or _ERROR_TYPES.get(status, "api_error"),
                                                    "message": message}, "request_id": request_id}, headers)

    def handle(self, ex: Exchange) -> None:
        if ex.method == "POST" and ex.path == "/v1/messages":
            self._messages(ex)
        elif ex.method == "GET" and ex.path == "/v1/models" and not self._authorized(ex):
            self._error(ex, 401, "invalid x-api-key")  # the real API authenticates model listing too
        elif ex.method == "GET" and ex.path == "/v1/models":
            ex.json(200, {"data": [{"type": "model", "id": m, "display_name": m} for m in sorted(self.models or ())],
                          "has_more": False, "first_id": None, "last_id": None})
        else:
            self._error(ex, 404, f"Not found: {ex.method} {ex.path}")

    def _authorized(self, ex: Exchange) -> bool:
        key = ex.headers.get("x-api-key")
        auth = ex.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = key or auth[7:].strip()
        return key == self.api_key

    def _messages(self, ex: Exchange) -> None:
        if not self._authorized(ex):
            self._error(ex, 401, "invalid x-api-key")
            return
        with self._lock:
            fault = self.faults[0] if self.faults else None
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.pop(0)
        if fault is not None and not fault.in_stream:
            self._error(ex, fault.status, fault.message or _ERROR_TYPES.get(fault.status, "error"),
                        fault.error_type, fault.retry_after)
            return
        version = ex.headers.get("anthropic-version")
        if not version:
            self._error(ex, 400, "anthropic-version: header is required")
            return
        if ex.bad_json or not isinstance(ex.body, dict):
            self._error(ex, 400, "There was an issue with your request body: invalid JSON")
            return
        body: dict[str, Any] = ex.body
        try:
            self._validate(body, version)
        except ValidationError as exc:
            self._error(ex, 400, str(exc))
            return
        if self.models is not None and body["model"] not in self.models:
            self._error(ex, 404, f"model: {body['model']}")
            return
        reply = self._next_reply(body)
        if self.first_byte_delay_s:
            ex.sleep(self.first_byte_delay_s)
        if body.get("stream"):
            self._stream(ex, body, reply, fault)
        else:
            ex.json(200, self._message(body, reply), {"request-id": self._request_id()})

    # ---- validation (the checks the real API makes that a translator can get wrong)

    def _validate(self, body: dict[str, Any], version: str) -> None:
        for name in _SAMPLING_FIELDS:
            if name in body:
                if version >= API_VERSION:
                    raise ValidationError(f"{name}: Extra inputs are not permitted")
                value = body[name]
                if not isinstance(value, int | float) or (name != "top_k" and not 0 <= value <= 1):
                    raise ValidationError(f"{name}: Input should be between 0 and 1")
        for name in body:
            if name not in _ALLOWED_FIELDS and name not in _SAMPLING_FIELDS:
                raise ValidationError(f"{name}: Extra inputs are not permitted")
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise ValidationError("model: Field required")
        max_tokens = body.get("max_tokens")
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise ValidationError("max_tokens: Field required")
        system = body.get("system")
        if system is not None and not isinstance(system, str):
            if not isinstance(system, list):
                raise ValidationError("system: Input should be a valid list")
            for block in system:
                self._text_block(block, "system")
        tool_names = self._validate_tools(body.get("tools"))
        choice = body.get("tool_choice")
        if choice is not None:
            if not isinstance(choice, dict) or choice.get("type") not in ("auto", "any", "tool", "none"):
                raise ValidationError("tool_choice: Input tag does not match any of the expected tags")
            if choice["type"] == "tool" and choice.get("name") not in tool_names:
                raise ValidationError(f"tool_choice.name: tool '{choice.get('name')}' not found in tools")
        stops = body.get("stop_sequences")
        if stops is not None and (not isinstance(stops, list) or any(not isinstance(s, str) or not s.strip()
                                                                      for s in stops)):
            raise ValidationError("stop_sequences: each stop sequence must contain non-whitespace")
        self._validate_messages(body.get("messages"))

    @staticmethod
    def _text_block(block: Any, where: str) -> None:
        if not isinstance(block, dict) or block.get("type") != "text":
            raise ValidationError(f"{where}: expected a text block")
        if not isinstance(block.get("text"), str) or not block["text"]:
            raise ValidationError(f"{where}: text content blocks must be non-empty")
        if not block["text"].strip():
            raise ValidationError(f"{where}: text content blocks must contain non-whitespace text")

    @staticmethod
    def _validate_tools(tools: Any) -> set[str]:
        if tools is None:
            return set()
        if not isinstance(tools, list):
            raise ValidationError("tools: Input should be a valid list")
        names = set()
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                raise ValidationError(f"tools.{i}.name: Field required")
            schema = tool.get("input_schema")
            if not isinstance(schema, dict) or schema.get("type") != "object":
                raise ValidationError(f"tools.{i}.input_schema: Input should be an object schema")
            extra = set(tool) - {"name", "description", "input_schema", "cache_control", "type"}
            if extra:
                raise ValidationError(f"tools.{i}.{sorted(extra)[0]}: Extra inputs are not permitted")
            names.add(tool["name"])
        return names

    def _validate_messages(self, messages: Any) -> None:
        if not isinstance(messages, list) or not messages:
            raise ValidationError("messages: at least one message is required")
        previous_role = None
        previous_tool_ids: set[str] = set()
        for i, message in enumerate(messages):
            where = f"messages.{i}"
            if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
                raise ValidationError(f"{where}.role: Input should be 'user' or 'assistant'")
            extra = set(message) - {"role", "content"}
            if extra:
                raise ValidationError(f"{where}.{sorted(extra)[0]}: Extra inputs are not permitted")
            role = message["role"]
            if i == 0 and role != "user":
                raise ValidationError("messages: first message must use the \"user\" role")
            if role == previous_role:
                raise ValidationError(f"{where}: roles must alternate between \"user\" and \"assistant\"")
            content = message.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            if not isinstance(blocks, list) or not blocks:
                raise ValidationError(f"{where}.content: messages must have non-empty content")
            tool_ids: set[str] = set()
            for j, block in enumerate(blocks):
                kind = block.get("type") if isinstance(block, dict) else None
                at = f"{where}.content.{j}"
                if kind == "text":
                    self._text_block(block, at)
                elif kind == "image":
                    source = block.get("source") or {}
                    if source.get("type") == "base64":
                        if not str(source.get("media_type", "")).startswith("image/") or not source.get("data"):
                            raise ValidationError(f"{at}.source: invalid base64 image source")
                    elif source.get("type") != "url" or not str(source.get("url", "")).startswith("http"):
                        raise ValidationError(f"{at}.source: invalid image source")
                elif kind == "tool_use":
                    if role != "assistant":
                        raise ValidationError(f"{at}: tool_use blocks are only allowed in assistant messages")
                    if not block.get("id") or not block.get("name") or not isinstance(block.get("input"), dict):
                        raise ValidationError(f"{at}: tool_use needs id, name and an input object")
                    if not re.fullmatch(r"[a-zA-Z0-9_-]+", str(block["id"])):
                        raise ValidationError(f"{at}.id: String should match pattern '^[a-zA-Z0-9_-]+$'")
                    tool_ids.add(block["id"])
                elif kind == "tool_result":
                    if role != "user":
                        raise ValidationError(f"{at}: tool_result blocks are only allowed in user messages")
                    if block.get("tool_use_id") not in previous_tool_ids:
                        raise ValidationError(f"{at}: unexpected `tool_use_id` found in `tool_result` blocks: "
                                              f"{block.get('tool_use_id')}. Each `tool_result` block must have "
                                              "a corresponding `tool_use` block in the previous message.")
                    inner = block.get("content")
                    if isinstance(inner, list):
                        for k, part in enumerate(inner):
                            if isinstance(part, dict) and part.get("type") == "text":
                                self._text_block(part, f"{at}.content.{k}")
                else:
                    raise ValidationError(f"{at}.type: unsupported content block type {kind!r}")
            if role == "user" and previous_tool_ids:
                answered = {b.get("tool_use_id") for b in blocks if isinstance(b, dict)
                            and b.get("type") == "tool_result"}
                if previous_tool_ids - answered:
                    raise ValidationError(f"{where}: `tool_use` ids were found without `tool_result` blocks "
                                          "immediately after")
            if i == len(messages) - 1 and role == "assistant":
                last_text = next((b["text"] for b in reversed(blocks) if b.get("type") == "text"), None)
                if last_text is not None and last_text != last_text.rstrip():
                    raise ValidationError("messages: final assistant content cannot end with trailing whitespace")
            previous_role = role
            previous_tool_ids = tool_ids

    # ---- answers

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            reply = self.replies.pop(0) if self.replies else Reply()
        if reply.text is None and not reply.tool_uses:
            reply.text = "Echo: " + self._last_user_text(body["messages"])
        return reply

    @staticmethod
    def _last_user_text(messages: list[dict[str, Any]]) -> str:
        for message in reversed(messages):
            if message["role"] != "user":
                continue
            content = message["content"]
            if isinstance(content, str):
                return content
            texts = [str(b["text"]) for b in content if b.get("type") == "text"]
            if texts:
                return texts[-1]
        return ""

    @staticmethod
    def _estimate_input(body: dict[str, Any]) -> int:
        size = len(json.dumps(body.get("messages"))) + len(json.dumps(body.get("system") or ""))
        size += len(json.dumps(body.get("tools") or []))
        return max(1, size // 4)

    def _usage(self, body: dict[str, Any], reply: Reply, output: int) -> dict[str, int]:
        return {"input_tokens": reply.input_tokens if reply.input_tokens is not None else self._estimate_input(body),
                "cache_creation_input_tokens": reply.cache_creation_input_tokens,
                "cache_read_input_tokens": reply.cache_read_input_tokens,
                "output_tokens": reply.output_tokens if reply.output_tokens is not None else output}

    @staticmethod
    def _tool_id(tool: ToolUse) -> str:
        return tool.id or "toolu_" + uuid.uuid4().hex[:24]

    def _plan(self, body: dict[str, Any], reply: Reply) -> tuple[list[dict[str, Any]], str, int]:
        """Content blocks of the answer (tool inputs as raw JSON text), stop reason, output tokens."""
        blocks: list[dict[str, Any]] = []
        if reply.thinking:
            blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": "sig-emulator"})
        if reply.text:
            blocks.append({"type": "text", "text": reply.text})
        for tool in reply.tool_uses:
            raw = tool.input if isinstance(tool.input, str) else json.dumps(tool.input)
            blocks.append({"type": "tool_use", "id": self._tool_id(tool), "name": tool.name, "raw": raw})
        stop = reply.stop_reason or ("tool_use" if reply.tool_uses else "end_turn")
        output = sum(len(_split(b.get("text") or b.get("thinking") or "")) + len(b.get("raw", "")) // 4
                     for b in blocks)
        return blocks, stop, max(1, output)

    def _message_head(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": "msg_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant",
                "model": body["model"], "stop_sequence": None}

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        blocks, stop, output = self._plan(body, reply)
        content = []
        for block in blocks:
            if block["type"] == "tool_use":
                try:
                    tool_input = json.loads(block["raw"])
                except ValueError:
                    tool_input = {}
                content.append({"type": "tool_use", "id": block["id"], "name": block["name"], "input": tool_input})
            else:
                content.append(block)
        return {**self._message_head(body), "content": content, "stop_reason": stop,
                "usage": self._usage(body, reply, output)}

    def _stream(self, ex: Exchange, body: dict[str, Any], reply: Reply, fault: Any) -> None:
        blocks, stop, output = self._plan(body, reply)
        usage = self._usage(body, reply, output)
        start_usage = {**usage, "output_tokens": 1}
        ex.start_stream("text/event-stream; charset=utf-8", {"request-id": self._request_id(),
                                                             "cache-control": "no-cache"})

        sent = 0

        def event(kind: str, payload: dict[str, Any]) -> None:
            ex.send(f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n".encode())

        def content_event(kind: str, payload: dict[str, Any]) -> None:
            nonlocal sent
            if fault is not None and sent >= fault.after_events:
                event("error", {"error": {"type": fault.error_type or "overloaded_error",
                                          "message": fault.message or "Overloaded"}})
                raise _Stop
            if self.event_delay_s:
                ex.sleep(self.event_delay_s)
            event(kind, payload)
            sent += 1

        try:
            event("message_start", {"message": {**self._message_head(body), "content": [], "stop_reason": None,
                                                "usage": start_usage}})
            event("ping", {})
            for index, block in enumerate(blocks):
                if block["type"] == "text":
                    content_event("content_block_start", {"index": index,
                                                          "content_block": {"type": "text", "text": ""}})
                    for piece in _split(block["text"]):
                        content_event("content_block_delta", {"index": index,
                                                              "delta": {"type": "text_delta", "text": piece}})
                elif block["type"] == "thinking":
                    content_event("content_block_start", {"index": index, "content_block": {
                        "type": "thinking", "thinking": "", "signature": ""}})
                    for piece in _split(block["thinking"]):
                        content_event("content_block_delta", {"index": index, "delta": {
                            "type": "thinking_delta", "thinking": piece}})
                    content_event("content_block_delta", {"index": index, "delta": {
                        "type": "signature_delta", "signature": block["signature"]}})
                else:
                    content_event("content_block_start", {"index": index, "content_block": {
                        "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})
                    for piece in _json_fragments(block["raw"]):
                        content_event("content_block_delta", {"index": index, "delta": {
                            "type": "input_json_delta", "partial_json": piece}})
                content_event("content_block_stop", {"index": index})
            content_event("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                                            "usage": usage})
            event("message_stop", {})
        except _Stop:
            pass
        ex.end_stream()


class _Stop(Exception):
    """The scripted in-stream error was sent; the stream ends without message_stop."""
