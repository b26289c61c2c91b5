"""Check request bodies before anything is routed: a clear 400 that names the field, never a 500.

Clients, fuzzers and half-written scripts send every kind of body. Each endpoint
parses with :func:`parse_json` and checks the fields it relies on with one of the
``check_*`` functions; anything wrong raises :class:`BadRequest` with the field's
name in ``param`` and in the sentence. Fields the proxy does not use are passed on
untouched (the upstream judges them).

Also validates the tool calls a local model produced (:func:`invalid_tool_call`),
because a malformed call passed to an agent loop compounds.

Never logs or echoes body content in messages (only field names and types).
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from hybridcoder.proxy.errors import BadRequest

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
#: Numbers bigger than this are not a token count anyone means.
MAX_TOKENS_LIMIT = 10_000_000
_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "an integer", float: "a number"}


#: Deepest nesting of objects and arrays a body may have: what orjson, which re-encodes
#: every body the proxy forwards (for Ollama, Anthropic and OpenAI-compatible servers;
#: offload.encode_json), can write. It is the one limit: a deeper body is refused with
#: the same 400 (``too_deep``) wherever it is noticed — when parsing (orjson reads up to
#: 1,024 levels) or when re-encoding — never a 500. Checking it up front would mean
#: walking every body (~90 µs for a 30k-token agent request) for a case no real client
#: sends; the re-encoding notices it for free. Native /api passthrough bodies are not
#: re-encoded, so Ollama judges those itself.
MAX_JSON_DEPTH = 254


def parse_json(body: bytes) -> dict[str, Any]:
    if not body:
        raise BadRequest("The request body is empty; send a JSON object.", code="empty_body")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc) or "recursion" in str(exc).lower():
            raise too_deep() from None
        reason = str(exc).split(":", 1)[0]
        raise BadRequest(f"The request body is not valid JSON ({reason}).", code="invalid_json") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code="invalid_json")
    return data


def too_deep() -> BadRequest:
    return BadRequest(f"The request body is nested more than {MAX_JSON_DEPTH} levels deep (objects and arrays); "
                      "flatten the schema or tool parameters.", code="too_deep")


def _kind(value: Any) -> str:
    return "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)


def _wrong(field: str, expected: str, value: Any) -> BadRequest:
    return BadRequest(f"'{field}' must be {expected}, not {_kind(value)}.", param=field, code="invalid_type")


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        if model is None:
            raise BadRequest("'model' is required (for example \"hybrid-auto\").", param="model",
                             code="missing_field")
        raise _wrong("model", "a non-empty string", model)
    return model


def _optional_bool(body: dict[str, Any], field: str) -> None:
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise _wrong(field, "true or false", value)


def _optional_int(body: dict[str, Any], field: str, minimum: int, maximum: int) -> None:
    value = body.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(field, "an integer", value)
    if not minimum <= value <= maximum:
        raise BadRequest(f"'{field}' must be between {minimum} and {maximum}.", param=field,
                         code="out_of_range")


def _optional_number(body: dict[str, Any], field: str, minimum: float, maximum: float) -> None:
    value = body.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(field, "a number", value)
    if not (math.isfinite(value) and minimum <= value <= maximum):
        raise BadRequest(f"'{field}' must be between {minimum:g} and {maximum:g}.", param=field,
                         code="out_of_range")


def _check_sampling(body: dict[str, Any]) -> None:
    _optional_bool(body, "stream")
    _optional_int(body, "max_tokens", 1, MAX_TOKENS_LIMIT)
    _optional_int(body, "max_completion_tokens", 1, MAX_TOKENS_LIMIT)
    _optional_int(body, "n", 1, 1)
    _optional_number(body, "temperature", 0.0, 2.0)
    _optional_number(body, "top_p", 0.0, 1.0)
    _optional_number(body, "presence_penalty", -2.0, 2.0)
    _optional_number(body, "frequency_penalty", -2.0, 2.0)
    stop = body.get("stop")
    if stop is not None and not isinstance(stop, str) and not (
            isinstance(stop, list) and all(isinstance(s, str) for s in stop)):
        raise _wrong("stop", "a string or an array of strings", stop)
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise _wrong("stream_options", "an object", options)
        include = options.get("include_usage")
        if include is not None and not isinstance(include, bool):
            raise _wrong("stream_options.include_usage", "true or false", include)


def check_chat(body: dict[str, Any]) -> None:
    """Fields of ``/v1/chat/completions`` the proxy relies on."""
    require_model(body)
    messages = body.get("messages")
    if not isinstance(messages, list):
        if messages is None:
            raise BadRequest("'messages' is required.", param="messages", code="missing_field")
        raise _wrong("messages", "an array", messages)
    if not messages:
        raise BadRequest("'messages' must contain at least one message.", param="messages",
                         code="empty_messages")
    for index, message in enumerate(messages):
        field = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _wrong(field, "an object", message)
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLES:
            raise BadRequest(f"'{field}.role' must be one of {', '.join(sorted(ROLES))}.",
                             param=f"{field}.role", code="invalid_role")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            if not isinstance(content, list):
                raise _wrong(f"{field}.content", "a string or an array of parts", content)
            for part_index, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise BadRequest(f"'{field}.content[{part_index}]' must be an object with a 'type'.",
                                     param=f"{field}.content[{part_index}]", code="invalid_type")
        calls = message.get("tool_calls")
        if calls is not None:
            _check_tool_calls(calls, f"{field}.tool_calls")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _wrong("tools", "an array", tools)
        for index, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise BadRequest(f"'tools[{index}]' must be {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}.",
                                 param=f"tools[{index}]", code="invalid_type")
            parameters = function.get("parameters")
            if parameters is not None and not isinstance(parameters, dict):
                raise _wrong(f"tools[{index}].function.parameters", "an object", parameters)
    choice = body.get("tool_choice")
    if choice is not None and not isinstance(choice, str | dict):
        raise _wrong("tool_choice", "a string or an object", choice)
    _check_sampling(body)


def _check_tool_calls(calls: Any, field: str) -> None:
    if not isinstance(calls, list):
        raise _wrong(field, "an array", calls)
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadRequest(f"'{field}[{index}].function.name' is required.",
                             param=f"{field}[{index}].function.name", code="invalid_type")
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str | dict):
            raise _wrong(f"{field}[{index}].function.arguments", "a JSON string", arguments)


def check_completion(body: dict[str, Any]) -> None:
    """Fields of ``/v1/completions`` (FIM autocomplete): ``prompt`` and optional ``suffix``."""
    require_model(body)
    prompt = body.get("prompt")
    if prompt is None:
        raise BadRequest("'prompt' is required.", param="prompt", code="missing_field")
    if not isinstance(prompt, str) and not (
            isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str)):
        raise _wrong("prompt", "a string", prompt)
    suffix = body.get("suffix")
    if suffix is not None and not isinstance(suffix, str):
        raise _wrong("suffix", "a string", suffix)
    _check_sampling(body)


def check_embeddings(body: dict[str, Any]) -> None:
    require_model(body)
    data = body.get("input")
    if data is None:
        raise BadRequest("'input' is required.", param="input", code="missing_field")
    if not isinstance(data, str) and not (isinstance(data, list) and all(isinstance(s, str) for s in data)):
        raise _wrong("input", "a string or an array of strings", data)


def check_ollama(body: dict[str, Any], path: str) -> None:
    """The Ollama-native surface: a model name where Ollama needs one; the rest is Ollama's business."""
    if path in ("/api/chat", "/api/generate", "/api/embed", "/api/embeddings", "/api/show"):
        model = body.get("model", body.get("name") if path == "/api/show" else None)
        if not isinstance(model, str) or not model.strip():
            raise BadRequest("'model' is required and must be a string.", param="model", code="missing_field")
    if path == "/api/chat":
        messages = body.get("messages")
        if messages is not None and not isinstance(messages, list):
            raise _wrong("messages", "an array", messages)
    if path == "/api/generate":
        prompt = body.get("prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise _wrong("prompt", "a string", prompt)
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise _wrong("stream", "true or false", stream)


# --- tool calls the local model produced --------------------------------------------------------

def invalid_tool_call(calls: list[dict[str, Any]], tools: list[Any]) -> str | None:
    """Why a model's tool calls cannot be handed to the client, or None when they are fine.

    A call is valid when its function exists among the offered tools, its arguments
    parse as a JSON object, and every required parameter is present.
    """
    offered: dict[str, dict[str, Any]] = {}
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            parameters = function.get("parameters")
            offered[function["name"]] = parameters if isinstance(parameters, dict) else {}
    for call in calls:
        function = call.get("function") or {}
        name = function.get("name")
        if not name or name not in offered:
            return "unknown_tool"
        raw = function.get("arguments")
        if isinstance(raw, dict):
            arguments: Any = raw
        else:
            try:
                arguments = orjson.loads(raw) if raw else {}
            except orjson.JSONDecodeError:
                return "arguments_not_json"
        if not isinstance(arguments, dict):
            return "arguments_not_object"
        required = offered[name].get("required")
        if isinstance(required, list) and any(isinstance(r, str) and r not in arguments for r in required):
            return "missing_required"
    return None


#: Text a model emits when it tried to call a tool but the call was not parsed as one.
RAW_TOOL_CALL_MARKERS = ("<tool_call>", "<function=", "<|tool_call|>", "[TOOL_CALLS]")


def looks_like_raw_tool_call(text: str) -> bool:
    return any(marker in text for marker in RAW_TOOL_CALL_MARKERS)
