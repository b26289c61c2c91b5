"""An OpenAI-compatible server emulator on 127.0.0.1: ``/v1/chat/completions``, ``/v1/completions``,
``/v1/embeddings``, ``/v1/models``.

Stands in for OpenAI's cloud API and for LM Studio / llama.cpp server / vLLM as a local
backend. Speaks the wire protocol the ``openai`` SDK expects: SSE ``data:`` chunks with
the role only in the first delta, tool calls streamed as a first delta carrying ``id``,
``type`` and ``name`` followed by ``arguments`` fragments, a finish chunk with an empty
delta, with ``stream_options.include_usage`` one ``choices: []`` chunk carrying usage
(``prompt_tokens_details.cached_tokens`` when scripted), then ``data: [DONE]``. Errors
as ``{"error": {"message","type","param","code"}}``; 429 carries ``retry-after``.

Checks a real server makes: Bearer key (when ``api_key`` is set), ``model`` and a
non-empty ``messages`` list, valid roles, and ``tool`` messages answering a preceding
assistant ``tool_calls`` id.

Knobs: ``script_reply()``, ``fail_next()``, ``fail_in_stream()``, ``first_byte_delay_s``,
``chunk_delay_s``. Records: ``requests``, ``cancelled``.

Never reaches anything but 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.http_base import EmulatorServer, Exchange

DEFAULT_KEY = "sk-proj-emulator-key-0123456789abcdefghij"
_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "permission_error",
          404: "invalid_request_error", 429: "rate_limit_exceeded", 500: "server_error", 503: "server_error"}


@dataclass
class ToolCall:
    """A tool call the model makes; ``arguments`` as a str is sent verbatim (e.g. invalid JSON)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)


@dataclass
class Reply:
    content: str | None = None  # None and no tool calls → "Echo: <last user text>"
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0


@dataclass
class Fault:
    status: int = 500
    message: str | None = None
    code: str | None = None
    retry_after: float | None = None
    in_stream: bool = False
    after_chunks: int = 0


def _split(text: str) -> list[str]:
    """Word-sized pieces that join back to exactly ``text`` (trailing whitespace included)."""
    return re.findall(r"\s*\S+(?:\s+$)?", text) or ([text] if text else [])


class OpenAIEmulator(EmulatorServer):
    name = "openai-emulator"

    def __init__(self, *, api_key: str | None = DEFAULT_KEY, models: tuple[str, ...] = ("gpt-5.2",)) -> None:
        super().__init__()
        self.api_key = api_key
        self.models = models
        self.first_byte_delay_s = 0.0
        self.chunk_delay_s = 0.0
        self.fim_reply = "return a + b\n"
        self.embedding_dim = 8
        self.replies: list[Reply] = []
        self.faults: list[Fault] = []

    @property
    def base_url(self) -> str:
        """The API root clients are configured with (ends in ``/v1``)."""
        return self.url + "/v1"

    # ---- knobs

    def script_reply(self, content: str | None = None, *, tool_calls: list[ToolCall] | None = None,
                     finish_reason: str | None = None, prompt_tokens: int | None = None,
                     completion_tokens: int | None = None, cached_tokens: int = 0) -> Reply:
        reply = Reply(content, list(tool_calls or []), finish_reason, prompt_tokens, completion_tokens,
                      cached_tokens)
        with self._lock:
            self.replies.append(reply)
        return reply

    def fail_next(self, status: int, *, message: str | None = None, code: str | None = None,
                  retry_after: float | None = None) -> Fault:
        fault = Fault(status, message, code, retry_after)
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail_in_stream(self, message: str = "The server had an error while processing your request.", *,
                       after_chunks: int = 0) -> Fault:
        fault = Fault(500, message, None, None, True, after_chunks)
        with self._lock:
            self.faults.append(fault)
        return fault

    # ---- protocol

    def _error(self, ex: Exchange, status: int, message: str, code: str | None = None,
               retry_after: float | None = None) -> None:
        headers = {"x-request-id": "req_" + uuid.uuid4().hex[:16]}
        if retry_after is not None:
            headers["retry-after"] = str(max(1, math.ceil(retry_after)))
            headers["retry-after-ms"] = str(int(retry_after * 1000))
        ex.json(status, {"error": {"message": message, "type": _TYPES.get(status, "api_error"), "param": None,
                                   "code": code}}, headers)

    def handle(self, ex: Exchange) -> None:
        if self.api_key is not None and ex.headers.get("authorization") != f"Bearer {self.api_key}":
            self._error(ex, 401, "Incorrect API key provided.", "invalid_api_key")
            return
        if ex.method == "GET" and ex.path == "/v1/models":
            ex.json(200, {"object": "list", "data": [{"id": m, "object": "model", "created": 1_760_000_000,
                                                      "owned_by": "emulator"} for m in self.models]})
            return
        if ex.method != "POST" or ex.path not in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
            self._error(ex, 404, f"Unknown request URL: {ex.method} {ex.path}.", "unknown_url")
            return
        if ex.bad_json or not isinstance(ex.body, dict):
            self._error(ex, 400, "We could not parse the JSON body of your request.")
            return
        body: dict[str, Any] = ex.body
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None and not fault.in_stream:
            self._error(ex, fault.status, fault.message or "Request failed.", fault.code, fault.retry_after)
            return
        model = body.get("model")
        if not isinstance(model, str) or not model:
            self._error(ex, 400, "you must provide a model parameter")
            return
        if model not in self.models:
            self._error(ex, 404, f"The model `{model}` does not exist or you do not have access to it.",
                        "model_not_found")
            return
        if self.first_byte_delay_s:
            ex.sleep(self.first_byte_delay_s)
        if ex.path == "/v1/chat/completions":
            self._chat(ex, body, fault)
        elif ex.path == "/v1/completions":
            self._completions(ex, body, fault)
        else:
            self._embeddings(ex, body)

    @staticmethod
    def _validate_messages(messages: Any) -> str | None:
        if not isinstance(messages, list) or not messages:
            return "[] is too short - 'messages'"
        open_calls: set[str] = set()
        for i, message in enumerate(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role not in ("system", "developer", "user", "assistant", "tool"):
                return f"Invalid value for 'messages[{i}].role'."
            if role == "tool":
                if message.get("tool_call_id") not in open_calls:
                    return ("Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                            "message with 'tool_calls'.")
            else:
                open_calls = set()
            if role == "assistant":
                for call in message.get("tool_calls") or []:
                    open_calls.add(call.get("id"))
        return None

    def _next_reply(self, default_text: str) -> Reply:
        with self._lock:
            reply = self.replies.pop(0) if self.replies else Reply()
        if reply.content is None and not reply.tool_calls:
            reply.content = default_text
        return reply

    @staticmethod
    def _last_user_text(messages: list[dict[str, Any]]) -> str:
        for message in reversed(messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, str):
                    return content
                if isinstance(content, list):
                    return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return ""

    def _usage(self, body: dict[str, Any], reply: Reply, pieces: int) -> dict[str, Any]:
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else max(1, len(json.dumps(body)) // 4)
        completion = reply.completion_tokens if reply.completion_tokens is not None else max(1, pieces)
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                                 "total_tokens": prompt + completion}
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
        return usage

    def _send_events(self, ex: Exchange, events: list[dict[str, Any]], fault: Fault | None) -> None:
        ex.start_stream("text/event-stream; charset=utf-8")
        for n, event in enumerate(events):
            if fault is not None and n >= fault.after_chunks:
                ex.send(b"data: " + json.dumps({"error": {"message": fault.message, "type": "server_error",
                                                          "param": None, "code": None}}).encode() + b"\n\n")
                ex.end_stream()
                return
            if self.chunk_delay_s and n:
                ex.sleep(self.chunk_delay_s)
            ex.send(b"data: " + json.dumps(event).encode() + b"\n\n")
        ex.send(b"data: [DONE]\n\n")
        ex.end_stream()

    def _chat(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        problem = self._validate_messages(body.get("messages"))
        if problem:
            self._error(ex, 400, problem)
            return
        reply = self._next_reply("Echo: " + self._last_user_text(body["messages"]))
        pieces = _split(reply.content or "")
        calls: list[dict[str, Any]] = [
            {"id": "call_" + uuid.uuid4().hex[:24], "type": "function",
             "function": {"name": c.name, "arguments": c.arguments if isinstance(c.arguments, str)
                          else json.dumps(c.arguments)}} for c in reply.tool_calls]
        finish = reply.finish_reason or ("tool_calls" if calls else "stop")
        usage = self._usage(body, reply, len(pieces) + sum(len(c["function"]["arguments"]) // 4 for c in calls))
        head = {"id": "chatcmpl-" + uuid.uuid4().hex[:24], "created": int(time.time()), "model": body["model"],
                "system_fingerprint": "fp_emulator"}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply.content if pieces else None,
                                       "refusal": None}
            if calls:
                message["tool_calls"] = calls
            ex.json(200, {**head, "object": "chat.completion",
                          "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                          "usage": usage})
            return
        chunk = {**head, "object": "chat.completion.chunk"}
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": "", "refusal": None}]
        deltas += [{"content": p} for p in pieces]
        for index, call in enumerate(calls):
            deltas.append({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                           "function": {"name": call["function"]["name"], "arguments": ""}}]})
            arguments = call["function"]["arguments"]
            step = max(1, len(arguments) // 3)
            deltas += [{"tool_calls": [{"index": index, "function": {"arguments": arguments[i:i + step]}}]}
                       for i in range(0, len(arguments), step)]
        events = [{**chunk, "choices": [{"index": 0, "delta": d, "logprobs": None, "finish_reason": None}]}
                  for d in deltas]
        events.append({**chunk, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**chunk, "choices": [], "usage": usage})
        self._send_events(ex, events, fault)

    def _completions(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        prompt = body.get("prompt")
        if not isinstance(prompt, str):
            self._error(ex, 400, "Invalid type for 'prompt'.")
            return
        reply = self._next_reply(self.fim_reply if body.get("suffix") else "Echo: " + prompt)
        pieces = _split(reply.content or "")
        finish = reply.finish_reason or "stop"
        usage = self._usage(body, reply, len(pieces))
        head = {"id": "cmpl-" + uuid.uuid4().hex[:24], "object": "text_completion", "created": int(time.time()),
                "model": body["model"]}
        if not body.get("stream"):
            ex.json(200, {**head, "choices": [{"text": reply.content, "index": 0, "logprobs": None,
                                              "finish_reason": finish}], "usage": usage})
            return
        events = [{**head, "choices": [{"text": p, "index": 0, "logprobs": None, "finish_reason": None}]}
                  for p in pieces]
        events.append({**head, "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**head, "choices": [], "usage": usage})
        self._send_events(ex, events, fault)

    def _embeddings(self, ex: Exchange, body: dict[str, Any]) -> None:
        value = body.get("input")
        inputs = [value] if isinstance(value, str) else value
        if not isinstance(inputs, list) or not inputs or not all(isinstance(v, str) for v in inputs):
            self._error(ex, 400, "'input' must be a string or an array of strings.")
            return
        data = []
        for i, text in enumerate(inputs):
            seed = hashlib.sha256(text.encode()).digest()
            data.append({"object": "embedding", "index": i,
                         "embedding": [round((seed[k] - 127.5) / 127.5, 6) for k in range(self.embedding_dim)]})
        tokens = sum(max(1, len(t) // 4) for t in inputs)
        ex.json(200, {"object": "list", "data": data, "model": body["model"],
                      "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
