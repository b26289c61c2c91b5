"""The user's explicit override: ``@cloud`` or ``@local`` at the start of the last user message.

``strip_override(body)`` returns the body to forward (the word removed) and the
override. It never mutates the caller's body: the returned body is a shallow copy
in which only the messages list and the one changed message (and its changed
content part) are new objects, so the cost is independent of the prompt size.

Cline wraps the user's words in ``<task>`` / ``<feedback>`` tags; the override is
accepted right after such a tag and the tag is kept.

This module never logs or stores message text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hybridcoder.routing.features import override_pattern

__all__ = ["strip_override"]


def strip_override(body: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Split ``@cloud``/``@local`` off the last user message.

    Returns ``(body_to_forward, override)``; override is "cloud", "local" or None.
    With no override the original body is returned as-is (same object, as a dict).
    """
    original = body if isinstance(body, dict) else dict(body)
    messages = original.get("messages")
    if not isinstance(messages, list):
        return original, None
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        new_content, override = _strip_content(message.get("content"))
        if override is None:
            return original, None
        new_message = dict(message)
        new_message["content"] = new_content
        new_messages = list(messages)
        new_messages[index] = new_message
        stripped = dict(original)
        stripped["messages"] = new_messages
        return stripped, override
    return original, None


def _strip_content(content: Any) -> tuple[Any, str | None]:
    if isinstance(content, str):
        text, override = _strip_text(content)
        return text, override
    if isinstance(content, list):
        for index, part in enumerate(content):
            if not isinstance(part, Mapping) or part.get("type") != "text":
                continue
            part_text = part.get("text")
            if not isinstance(part_text, str):
                return content, None
            new_text, override = _strip_text(part_text)
            if override is None:
                return content, None
            new_part = dict(part)
            new_part["text"] = new_text
            new_content = list(content)
            new_content[index] = new_part
            return new_content, override
    return content, None


def _strip_text(text: str) -> tuple[str, str | None]:
    if "@" not in text[:40]:
        return text, None
    match = override_pattern().match(text)
    if not match:
        return text, None
    prefix = match.group(1)  # leading whitespace and a kept <task> tag
    rest = text[match.end():]
    if prefix.strip():
        return prefix + rest, match.group(2).lower()
    return rest, match.group(2).lower()
