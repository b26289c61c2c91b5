"""OpenAI chat/completions requests → Ollama's native /api/chat and /api/generate, and back.

Why native and not Ollama's own /v1: only the native API takes ``options.num_ctx``
per request (/v1 silently ignores it, so long prompts get truncated at the server
default), and only /api/generate takes ``raw: true`` for prompts a client already
wrapped in FIM tokens (Ollama's /v1/completions templates them a second time).

The answer is translated back to OpenAI ``chat.completion.chunk`` /
``text_completion`` chunks exactly as OpenAI sends them: role only in the first
delta, tool calls with ``arguments`` as a JSON *string* (Ollama sends an object),
``call_…`` ids and a stable ``index``, finish_reason stop|length|tool_calls.

Pure functions and small classes; never does I/O, never logs prompt text.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

from hybridcoder.proxy.backends.base import Usage
from hybridcoder.proxy.errors import BadRequest, UpstreamError
from hybridcoder.proxy.tool_arguments import arguments_object

#: Tokens that show a prompt is already wrapped in a model's FIM template
#: (Qwen/CodeGemma, StarCoder/Granite, Codestral/Mistral, CodeLlama, DeepSeek).
FIM_MARKERS: tuple[str, ...] = (
    "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
    "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
    "[SUFFIX]", "[PREFIX]",
    "<PRE>", "<SUF>", "<MID>",
    "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<|fim▁begin|>",
)

#: OpenAI sampling fields that map one-to-one onto Ollama ``options``.
_SAME_NAME_OPTIONS = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty",
                      # non-standard extras some clients send (Continue, Cline)
                      "top_k", "min_p", "repeat_penalty")


# Ids: a random per-process prefix and a counter, 24 hex digits like OpenAI's. Unique
# like uuid4, but without reading the system's random source on every answer (a system
# call, slow on some virtual machines).
_ID_PREFIX = os.urandom(4).hex()
_ids = itertools.count(1)


def new_completion_id(prefix: str = "chatcmpl-") -> str:
    return f"{prefix}{_ID_PREFIX}{next(_ids):016x}"


def new_tool_call_id() -> str:
    return f"call_{_ID_PREFIX}{next(_ids):016x}"


def is_fim_templated(prompt: str) -> bool:
    """True when the prompt already carries FIM tokens, so Ollama must not template it again."""
    return any(marker in prompt for marker in FIM_MARKERS)


# ----------------------------------------------------------------------------- requests


def text_of(content: Any, field: str) -> str:
    """OpenAI message content (string, list of parts, or null) → plain text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                texts.append(str(part.get("text") or ""))
        return "\n".join(t for t in texts if t)
    raise BadRequest(f"'{field}' must be a string or a list of content parts.", param=field)


def _image_of(part: dict[str, Any], field: str) -> str:
    """An ``image_url`` part → the bare base64 data Ollama expects in ``images``."""
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str):
        raise BadRequest(f"'{field}.image_url.url' must be a string.", param=f"{field}.image_url")
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        if ";base64" not in header or not data:
            raise BadRequest(f"'{field}.image_url' must be a base64 data URL.", param=f"{field}.image_url")
        return data
    # Ollama cannot fetch URLs itself. Failing "before the first byte" lets the proxy
    # send the request to a cloud model that can.
    raise UpstreamError("The local model only accepts images sent inline (base64 data URLs), not links.",
                        cause="local_unsupported_input", status=400)


def ollama_messages(messages: Any) -> list[dict[str, Any]]:
    """OpenAI ``messages`` → Ollama ``messages`` (system/developer, images, tool calls and results)."""
    if not isinstance(messages, list):
        raise BadRequest("'messages' must be a list.", param="messages")
    out: list[dict[str, Any]] = []
    tool_names: dict[str, str] = {}  # tool_call_id → function name, for tool results
    for i, message in enumerate(messages):
        field = f"messages[{i}]"
        if not isinstance(message, dict):
            raise BadRequest(f"'{field}' must be an object.", param=field)
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            out.append({"role": "system", "content": text_of(content, f"{field}.content")})
        elif role == "user":
            entry: dict[str, Any] = {"role": "user", "content": text_of(content, f"{field}.content")}
            if isinstance(content, list):
                images = [_image_of(part, f"{field}.content[{j}]") for j, part in enumerate(content)
                          if isinstance(part, dict) and part.get("type") == "image_url"]
                if images:
                    entry["images"] = images
            out.append(entry)
        elif role == "assistant":
            entry = {"role": "assistant", "content": text_of(content, f"{field}.content")}
            calls = message.get("tool_calls")
            if calls:
                if not isinstance(calls, list):
                    raise BadRequest(f"'{field}.tool_calls' must be a list.", param=f"{field}.tool_calls")
                native = []
                for call in calls:
                    function = call.get("function") if isinstance(call, dict) else None
                    if not isinstance(function, dict):
                        raise BadRequest(f"'{field}.tool_calls' entries need a 'function'.",
                                         param=f"{field}.tool_calls")
                    name = str(function.get("name") or "")
                    call_id = call.get("id")
                    if isinstance(call_id, str):
                        tool_names[call_id] = name
                    item: dict[str, Any] = {"function": {"name": name,
                                                         "arguments": arguments_object(function.get("arguments"))}}
                    if isinstance(call_id, str):
                        item["id"] = call_id
                    native.append(item)
                entry["tool_calls"] = native
            out.append(entry)
        elif role in ("tool", "function"):
            call_id = message.get("tool_call_id")
            entry = {"role": "tool", "content": text_of(content, f"{field}.content")}
            tool_name = message.get("name") or (tool_names.get(call_id) if isinstance(call_id, str) else None)
            if tool_name:
                entry["tool_name"] = tool_name
            if isinstance(call_id, str):
                entry["tool_call_id"] = call_id
            out.append(entry)
        else:
            raise BadRequest(f"'{field}.role' must be system, developer, user, assistant or tool.",
                             param=f"{field}.role")
    return out


def ollama_tools(tools: Any) -> list[dict[str, Any]]:
    if not isinstance(tools, list):
        raise BadRequest("'tools' must be a list.", param="tools")
    out = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not function.get("name"):
            raise BadRequest(f"'tools[{i}].function.name' is required.", param=f"tools[{i}].function")
        spec: dict[str, Any] = {"name": function["name"],
                                "parameters": function.get("parameters") or {"type": "object", "properties": {}}}
        if function.get("description"):
            spec["description"] = function["description"]
        out.append({"type": "function", "function": spec})
    return out


def ollama_options(body: dict[str, Any], num_ctx: int | None) -> dict[str, Any]:
    """OpenAI sampling fields → Ollama ``options``; ``num_ctx`` always ours (one per model: no reloads)."""
    options: dict[str, Any] = {}
    extra = body.get("options")
    if isinstance(extra, dict):
        options.update(extra)
    for name in _SAME_NAME_OPTIONS:
        value = body.get(name)
        if value is not None:
            options[name] = value
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens > 0:
        options["num_predict"] = max_tokens
    stop = body.get("stop")
    if isinstance(stop, str):
        options["stop"] = [stop]
    elif isinstance(stop, list) and stop:
        options["stop"] = [s for s in stop if isinstance(s, str)]
    if num_ctx:
        options["num_ctx"] = num_ctx
    return options


def chat_request(body: dict[str, Any], model: str, *, num_ctx: int | None,
                 keep_alive: str | int | None = None) -> dict[str, Any]:
    """An OpenAI chat body → the native /api/chat body (always streamed)."""
    request: dict[str, Any] = {"model": model, "messages": ollama_messages(body.get("messages")),
                               "stream": True}
    tools = body.get("tools")
    if tools and body.get("tool_choice") != "none":
        request["tools"] = ollama_tools(tools)
    options = ollama_options(body, num_ctx)
    if options:
        request["options"] = options
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_object":
            request["format"] = "json"
        elif response_format.get("type") == "json_schema":
            schema = (response_format.get("json_schema") or {}).get("schema")
            if isinstance(schema, dict):
                request["format"] = schema
    if "think" in body:
        request["think"] = body["think"]
    elif body.get("reasoning_effort") in ("low", "medium", "high"):
        request["think"] = body["reasoning_effort"]
    elif body.get("reasoning_effort") == "none":
        request["think"] = False
    if keep_alive is not None:
        request["keep_alive"] = keep_alive
    return request


def generate_request(body: dict[str, Any], model: str, *, num_ctx: int | None,
                     keep_alive: str | int | None = None) -> dict[str, Any]:
    """An OpenAI completions body (FIM) → the native /api/generate body.

    A prompt that already carries FIM tokens goes ``raw`` (Ollama must not wrap it in
    the model's template again); otherwise ``prompt`` + ``suffix`` let Ollama apply the
    model's own FIM template.
    """
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise BadRequest("'prompt' must be a string.", param="prompt")
    suffix = body.get("suffix")
    if suffix is not None and not isinstance(suffix, str):
        raise BadRequest("'suffix' must be a string.", param="suffix")
    request: dict[str, Any] = {"model": model, "prompt": prompt, "stream": True}
    if is_fim_templated(prompt):
        request["raw"] = True
    elif suffix:
        request["suffix"] = suffix
    options = ollama_options(body, num_ctx)
    if options:
        request["options"] = options
    if keep_alive is not None:
        request["keep_alive"] = keep_alive
    return request


def embed_request(body: dict[str, Any], model: str) -> dict[str, Any]:
    data = body.get("input")
    if isinstance(data, str) or (isinstance(data, list) and data and all(isinstance(s, str) for s in data)):
        return {"model": model, "input": data}
    raise BadRequest("'input' must be a string or a list of strings.", param="input")


def embeddings_response(native: dict[str, Any], model: str) -> dict[str, Any]:
    """/api/embed's answer → OpenAI's embeddings list."""
    vectors = native.get("embeddings") or []
    tokens = int(native.get("prompt_eval_count") or 0)
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": vector} for i, vector in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


# ----------------------------------------------------------------------------- responses


def usage_of(native: dict[str, Any], usage: Usage) -> None:
    usage.prompt_tokens = int(native.get("prompt_eval_count") or 0)
    usage.completion_tokens = int(native.get("eval_count") or 0)


class OllamaChatTranslator:
    """Native /api/chat NDJSON objects → OpenAI ``chat.completion.chunk`` dicts.

    One instance per answer: it remembers whether the role was sent, how many tool
    calls were emitted (their ``index``) and whether the answer ended in tool calls.
    """

    def __init__(self, model: str, usage: Usage, completion_id: str | None = None) -> None:
        self.model = model
        self.usage = usage
        self.id = completion_id or new_completion_id()
        self.created = int(time.time())
        self._role_sent = False
        self._tool_calls = 0
        self.finish_reason: str | None = None

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "system_fingerprint": "fp_ollama",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    def translate(self, native: dict[str, Any]) -> list[dict[str, Any]]:
        if "error" in native:
            raise stream_error(native["error"])
        message = native.get("message") or {}
        chunks: list[dict[str, Any]] = []
        delta: dict[str, Any] = {}
        if not self._role_sent:
            delta["role"] = "assistant"
            delta["content"] = ""
            self._role_sent = True
        content = message.get("content")
        if content:
            delta["content"] = content
        thinking = message.get("thinking")
        if thinking:
            delta["reasoning_content"] = thinking
        calls = message.get("tool_calls")
        if calls:
            delta["tool_calls"] = [self._tool_call(call) for call in calls]
        if delta:
            chunks.append(self._chunk(delta))
        if native.get("done"):
            usage_of(native, self.usage)
            if self._tool_calls:
                self.finish_reason = "tool_calls"
            elif native.get("done_reason") == "length":
                self.finish_reason = "length"
            else:
                self.finish_reason = "stop"
            chunks.append(self._chunk({}, self.finish_reason))
        return chunks

    def _tool_call(self, call: dict[str, Any]) -> dict[str, Any]:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments if arguments is not None else {}, ensure_ascii=False)
        call_id = call.get("id")
        if not (isinstance(call_id, str) and call_id):
            call_id = new_tool_call_id()
        index = self._tool_calls
        self._tool_calls += 1
        return {"index": index, "id": call_id, "type": "function",
                "function": {"name": function.get("name", ""), "arguments": arguments}}


class OllamaGenerateTranslator:
    """Native /api/generate NDJSON objects → OpenAI ``text_completion`` chunks."""

    def __init__(self, model: str, usage: Usage) -> None:
        self.model = model
        self.usage = usage
        self.id = new_completion_id("cmpl-")
        self.created = int(time.time())

    def _chunk(self, text: str, finish_reason: str | None) -> dict[str, Any]:
        return {"id": self.id, "object": "text_completion", "created": self.created, "model": self.model,
                "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}]}

    def translate(self, native: dict[str, Any]) -> list[dict[str, Any]]:
        if "error" in native:
            raise stream_error(native["error"])
        chunks = []
        text = native.get("response")
        if text:
            chunks.append(self._chunk(text, None))
        if native.get("done"):
            usage_of(native, self.usage)
            chunks.append(self._chunk("", "length" if native.get("done_reason") == "length" else "stop"))
        return chunks


_OOM_MARKERS = ("out of memory", "cudamalloc", "insufficient memory", "requires more system memory",
                "unable to allocate", "failed to allocate")


def is_oom(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in _OOM_MARKERS)


def stream_error(error: Any) -> UpstreamError:
    """An in-stream ``{"error": ...}`` line (status already 200) → UpstreamError."""
    text = str(error)
    cause = "local_oom" if is_oom(text) else "local_stream_error"
    return UpstreamError(f"The local model failed while answering: {text}", cause=cause)
