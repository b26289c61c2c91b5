"""Spot the client's own "regenerate": the same conversation sent again soon after a local answer to it.

Continue's and Cline's "regenerate" resend the conversation unchanged after the user
read the local answer. That is the user saying the answer was not good enough, so the
retry goes to the cloud: the retry button becomes "ask the cloud".

A repeat is *not* a regenerate when nothing about it says a person pressed a button:

- the first answer had not finished, failed, or came from the cloud (concurrent
  duplicates from a load test, a retry after an error);
- it came from a different client (a script and the editor asking the same thing);
- it came back sooner than a person can read and click (:data:`MIN_GAP_S` after the
  answer finished: scripts and test suites loop back at once);
- the same conversation was already repeated (a script sending one prompt over and
  over; a person regenerates once or twice, and after the first regenerate the
  conversation was answered by the cloud anyway).

A conversation is identified by a hash of its shape (model name, number of
messages, the first message and the last user message), not of the whole body:
hashing a 30k-token agent request on every call would cost more than routing it,
and agent loops change the message count on every turn, so they never look like a
retry.

Only hashes, client names and timestamps are kept, never text; memory is bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

MAX_ENTRIES = 2048
#: A person reads an answer before pressing regenerate; a script comes back at once.
MIN_GAP_S = 1.0
#: Repeats of one conversation after which it is a script, not a person.
MAX_REPEATS = 2


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


@dataclass(slots=True)
class _Answered:
    finished: float
    route: str
    client: str
    repeats: int = 0


class RetryTracker:
    """Remembers where recent conversations were answered, and tells a regenerate from a repeat."""

    def __init__(self, window_s: float, *, min_gap_s: float = MIN_GAP_S, max_repeats: int = MAX_REPEATS) -> None:
        self.window_s = window_s
        self.min_gap_s = min_gap_s
        self.max_repeats = max_repeats
        self._seen: OrderedDict[int, _Answered] = OrderedDict()

    def previous_route(self, fingerprint: int | None, client: str = "", now: float | None = None) -> str | None:
        """Where this conversation was answered, when this request is the user's regenerate of it; else None.

        Every repeat is counted, regenerate or not, so a conversation a script keeps
        sending stops counting after :attr:`max_repeats`.
        """
        if fingerprint is None or self.window_s <= 0:
            return None
        entry = self._seen.get(fingerprint)
        if entry is None:
            return None
        now = time.monotonic() if now is None else now
        gap = now - entry.finished
        if gap > self.window_s:
            del self._seen[fingerprint]
            return None
        entry.repeats += 1
        if entry.client != client or gap < self.min_gap_s or entry.repeats > self.max_repeats:
            return None
        return entry.route

    def remember(self, fingerprint: int | None, route: str, client: str = "", now: float | None = None) -> None:
        """Note a conversation answered completely by ``route`` (call once the last byte went out)."""
        if fingerprint is None or self.window_s <= 0:
            return
        now = time.monotonic() if now is None else now
        entry = self._seen.get(fingerprint)
        if entry is not None and now - entry.finished <= self.window_s:
            # Answered again: keep counting its repeats, so a looping script never becomes a person.
            entry.finished, entry.route, entry.client = now, route, client
        else:
            self._seen[fingerprint] = _Answered(now, route, client)
        self._seen.move_to_end(fingerprint)
        while len(self._seen) > MAX_ENTRIES:
            self._seen.popitem(last=False)
