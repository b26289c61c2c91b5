"""What the running proxy keeps in memory for the app: its last requests and how its backends are doing.

:class:`RecentLog` holds the last requests' ledger rows (with the answer text, and
for chat requests the body), so the dashboard can show them and "Ask the cloud
instead" can re-send one. It lives in memory only: bodies and answers are never
written anywhere from here, and they are gone when the proxy stops.

:class:`BackendHealth` remembers whether the local model server and the cloud
answered lately, from the requests that went through and from the app's periodic
probe; the tray icon and ``ControlStatus.health`` are drawn from it.

Both are written from the proxy's event-loop thread (after a response went out,
never on its path) and read from any thread; each takes one short lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from hybridcoder.ledger.records import RequestRecord

#: How many recent requests are kept (and how many chat bodies, separately, so a burst
#: of autocomplete requests does not push the chat answers out before anyone can compare).
RECENT_LIMIT = 50
#: Fallback causes that say the local server is not there at all (not that it answered badly).
LOCAL_DOWN_CAUSES = frozenset({"local_unreachable"})
ASKABLE_ENDPOINT = "/v1/chat/completions"


@dataclass(slots=True)
class RecentEntry:
    """One finished request: its ledger row, its answer, and (chat only) the body it came with."""

    record: RequestRecord
    answer: str | list[str] | None
    body: dict[str, Any] | None

    def answer_text(self) -> str:
        answer = self.answer
        if answer is None:
            return ""
        return answer if isinstance(answer, str) else "".join(answer)

    @property
    def askable(self) -> bool:
        """A chat request answered locally, whose body is still in memory."""
        record = self.record
        return (self.body is not None and record.route == "local" and record.endpoint == ASKABLE_ENDPOINT
                and record.status < 400)


#: Bodies of requests up to this size (about 256 KiB of text) stay askable ("Ask the cloud instead").
MAX_KEPT_PROMPT_TOKENS = 65_536


class RecentLog:
    """The last :data:`RECENT_LIMIT` requests, newest last; see the module docstring."""

    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        self._lock = threading.Lock()
        self._all: deque[RecentEntry] = deque(maxlen=limit)
        self._chat: deque[RecentEntry] = deque(maxlen=limit)

    def add(self, record: RequestRecord, answer: str | list[str] | None, body: dict[str, Any] | None) -> None:
        # A huge body (a whole repository pasted in) is not kept: fifty of them would hold gigabytes.
        small = (record.prompt_tokens or 0) <= MAX_KEPT_PROMPT_TOKENS
        keep_body = body if record.endpoint == ASKABLE_ENDPOINT and small else None
        entry = RecentEntry(record, answer, keep_body)
        with self._lock:
            self._all.append(entry)
            if keep_body is not None:
                self._chat.append(entry)

    def newest(self, limit: int = RECENT_LIMIT) -> list[RecentEntry]:
        """Up to ``limit`` entries, newest first."""
        with self._lock:
            entries = list(self._all)
        entries.reverse()
        return entries[: max(0, limit)]

    def find(self, request_id: str) -> RecentEntry | None:
        with self._lock:
            for entry in reversed(self._chat):
                if entry.record.id == request_id:
                    return entry
            for entry in reversed(self._all):
                if entry.record.id == request_id:
                    return entry
        return None

    def clear(self) -> None:
        with self._lock:
            self._all.clear()
            self._chat.clear()


class BackendHealth:
    """"up", "down" or "unknown" for the local server and the cloud, with when it was last seen."""

    def __init__(self) -> None:
        self.local = "unknown"
        self.cloud = "unknown"
        self.local_seen = 0.0
        self.cloud_seen = 0.0
        self.cloud_problem = ""

    def note_local(self, up: bool) -> None:
        self.local = "up" if up else "down"
        self.local_seen = time.time()

    def note_cloud(self, up: bool, problem: str = "") -> None:
        self.cloud = "up" if up else "down"
        self.cloud_problem = "" if up else problem
        self.cloud_seen = time.time()

    def observe(self, record: RequestRecord) -> None:
        """Learn from one finished request where it went and whether that side answered."""
        if record.status == 499:  # the client left; says nothing about the backends
            return
        cause = record.fallback_cause or ""
        if cause in LOCAL_DOWN_CAUSES:
            self.note_local(False)
        if record.route == "local":
            if record.status < 400:
                self.note_local(True)
            elif record.error and record.error.startswith("local_unreachable"):
                self.note_local(False)
            if cause.startswith("cloud_"):
                self.note_cloud(False, cause)
        elif record.route == "cloud":
            if record.status < 400:
                self.note_cloud(True)
            elif record.status >= 500 or record.status == 429:
                self.note_cloud(False, record.error or "cloud_error")
