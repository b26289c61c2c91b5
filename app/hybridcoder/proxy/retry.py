"""Spot the client's own retry: the same conversation sent again within a short window.

Continue's and Cline's "regenerate" resend the conversation unchanged. When the
local model answered it the first time, the user is telling us that answer was not
good enough, so the retry goes to the cloud: the retry button becomes "ask the
cloud".

A conversation is identified by a hash of its shape (model name, number of
messages, the first message and the last user message), not of the whole body:
hashing a 30k-token agent request on every call would cost more than routing it,
and agent loops change the message count on every turn, so they never look like a
retry.

Only hashes and timestamps are kept, never text; memory is bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 2048


def _content_key(content: Any) -> Any:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return tuple(part.get("text") if isinstance(part, dict) else None for part in content)
    return None


def conversation_fingerprint(body: dict[str, Any]) -> int | None:
    """A hash of the conversation's shape; None for requests that are not conversations."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    first = messages[0]
    last_user: Any = None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            last_user = message.get("content")
            break
    if last_user is None:
        return None
    try:
        return hash((body.get("model"), len(messages),
                     _content_key(first.get("content")) if isinstance(first, dict) else None,
                     _content_key(last_user)))
    except TypeError:  # an unhashable part (nested lists inside a text field)
        return None


class RetryTracker:
    """Remembers where recent conversations were answered (by fingerprint)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._seen: OrderedDict[int, tuple[float, str]] = OrderedDict()

    def previous_route(self, fingerprint: int | None, now: float | None = None) -> str | None:
        """Where this conversation was answered within the window, or None."""
        if fingerprint is None or self.window_s <= 0:
            return None
        entry = self._seen.get(fingerprint)
        if entry is None:
            return None
        now = time.monotonic() if now is None else now
        if now - entry[0] > self.window_s:
            del self._seen[fingerprint]
            return None
        return entry[1]

    def remember(self, fingerprint: int | None, route: str, now: float | None = None) -> None:
        if fingerprint is None or self.window_s <= 0:
            return
        self._seen[fingerprint] = (time.monotonic() if now is None else now, route)
        self._seen.move_to_end(fingerprint)
        while len(self._seen) > MAX_ENTRIES:
            self._seen.popitem(last=False)
