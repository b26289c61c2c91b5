"""Remove obvious secrets from a request before it leaves the machine for a cloud provider.

Editors paste whole files into prompts, and ``.env`` files, private keys and API
keys end up there. Before a request goes to the cloud, :func:`redact_body` replaces
them with a marker such as ``[REDACTED:private_key]`` and counts what it replaced;
the count goes into the ledger, the secrets go nowhere. Local requests are never
touched (the text stays on this machine).

The rules live in :mod:`hybridcoder.secret_rules` (provider token shapes from the
public secret-scanning rule sets, plus secret assignments in ``.env``, JSON, YAML,
code, HTTP headers and curl commands, with code such as ``os.environ["API_KEY"]``
left alone); what they catch and miss is listed in the README's security section.
It is a safety net, not a guarantee.

This module never logs, stores or returns the secrets it finds; it never changes
the caller's body (a copy is made only when something was replaced).
"""

from __future__ import annotations

from typing import Any

from hybridcoder.secret_rules import redact_secrets


def redact_text(text: str) -> tuple[str, int]:
    """``(text with secrets replaced, number replaced)``."""
    return redact_secrets(text)


def redact_body(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Redact every text an upstream would see: messages, their parts, tool arguments, prompt, system.

    Returns the original object when nothing was found, else a copy with only the
    changed containers copied.
    """
    total = 0
    changed = dict(body)
    messages = body.get("messages")
    if isinstance(messages, list):
        new_messages, count = _redact_messages(messages)
        if count:
            changed["messages"] = new_messages
            total += count
    for key in ("prompt", "suffix", "system"):
        value = body.get(key)
        if isinstance(value, str):
            new_value, count = redact_text(value)
            if count:
                changed[key] = new_value
                total += count
    return (changed, total) if total else (body, 0)


def _redact_messages(messages: list[Any]) -> tuple[list[Any], int]:
    total = 0
    out = messages
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        new_message, count = _redact_message(message)
        if count:
            if out is messages:
                out = list(messages)
            out[index] = new_message
            total += count
    return out, total


def _redact_message(message: dict[str, Any]) -> tuple[dict[str, Any], int]:
    total = 0
    new = message
    content = message.get("content")
    if isinstance(content, str):
        text, count = redact_text(content)
        if count:
            new = dict(message)
            new["content"] = text
            total += count
    elif isinstance(content, list):
        parts = content
        for index, part in enumerate(content):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                text, count = redact_text(part["text"])
                if count:
                    if parts is content:
                        parts = list(content)
                    parts[index] = {**part, "text": text}
                    total += count
        if parts is not content:
            new = dict(message)
            new["content"] = parts
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        new_calls = calls
        for index, call in enumerate(calls):
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if isinstance(arguments, str):
                text, count = redact_text(arguments)
                if count:
                    if new_calls is calls:
                        new_calls = list(calls)
                    new_calls[index] = {**call, "function": {**function, "arguments": text}}  # type: ignore[dict-item]
                    total += count
        if new_calls is not calls:
            if new is message:
                new = dict(message)
            new["tool_calls"] = new_calls
    return new, total
