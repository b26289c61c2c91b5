"""One progress figure for a pull that downloads several blobs.

Ollama reports each blob separately (``pulling <digest>`` lines with ``completed``/``total``)
and announces blobs one after another, so a naive bar jumps back to 0 % at every layer. The
tracker keeps ``(completed, total)`` per digest, sums them, and never lets the reported
fraction move backwards even while the denominator grows as new blobs are announced. Bytes a
blob already had on disk (a resumed pull) count as done but not as download speed.

Only the ``pulling `` prefix and ``success`` are matched, never full status texts (they
changed between Ollama versions). This module does no I/O.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: How far back the speed is averaged; long enough to smooth bursts, short enough to react.
SPEED_WINDOW_S = 5.0


@dataclass(frozen=True)
class PullProgress:
    """A snapshot for a progress bar. ``fraction`` never decreases during one pull."""

    tag: str
    #: "manifest", "downloading", "finishing" (verify/write/cleanup) or "done"
    phase: str
    #: Ollama's own status text, for a detail line.
    status: str
    completed: int
    total: int
    fraction: float
    bytes_per_s: float
    eta_s: float | None
    blobs_seen: int
    #: Bytes that were already downloaded by an earlier, interrupted pull.
    resumed_bytes: int = 0

    @property
    def resumed(self) -> bool:
        return self.resumed_bytes > 0


class PullTracker:
    """Feed it each NDJSON progress line; it returns the aggregated :class:`PullProgress`."""

    def __init__(self, tag: str, *, expected_total: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.tag = tag
        self.expected_total = expected_total
        self._clock = clock
        self._blobs: dict[str, tuple[int, int]] = {}
        self._resumed: dict[str, int] = {}
        self._samples: deque[tuple[float, int]] = deque()
        self._fraction = 0.0
        self._phase = "manifest"
        self._status = "pulling manifest"

    @property
    def completed(self) -> int:
        return sum(done for done, _ in self._blobs.values())

    @property
    def total(self) -> int:
        return max(self.expected_total, sum(total for _, total in self._blobs.values()))

    @property
    def resumed_bytes(self) -> int:
        return sum(self._resumed.values())

    def update(self, status: str, digest: str | None = None, completed: int | None = None,
               total: int | None = None) -> PullProgress:
        status = status or ""
        self._status = status
        if status == "success":
            self._phase = "done"
        elif status.startswith("pulling ") and digest:
            self._phase = "downloading"
            done = max(0, completed or 0)
            size = max(0, total or 0)
            previous = self._blobs.get(digest)
            if previous is None and done > 0:
                self._resumed[digest] = done  # already on disk before this pull started
            if previous is not None:
                done = max(done, previous[0])
                size = max(size, previous[1])
            self._blobs[digest] = (min(done, size) if size else done, size)
        elif self._phase == "downloading":
            self._phase = "finishing"
        return self.snapshot()

    def snapshot(self) -> PullProgress:
        now = self._clock()
        completed, total = self.completed, self.total
        if self._phase == "done":
            completed = total = max(completed, total)
            fraction = 1.0
        else:
            fraction = completed / total if total else 0.0
            if self._phase != "finishing":
                fraction = min(fraction, 0.999)  # 100 % only once Ollama says success
        self._fraction = max(self._fraction, fraction)
        downloaded = completed - self.resumed_bytes
        self._samples.append((now, downloaded))
        while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_S:
            self._samples.popleft()
        first_time, first_bytes = self._samples[0]
        elapsed = now - first_time
        speed = (downloaded - first_bytes) / elapsed if elapsed > 0 else 0.0
        remaining = max(0, total - completed)
        eta = remaining / speed if speed > 0 and self._phase == "downloading" else None
        return PullProgress(tag=self.tag, phase=self._phase, status=self._status, completed=completed,
                            total=total, fraction=self._fraction, bytes_per_s=max(0.0, speed), eta_s=eta,
                            blobs_seen=len(self._blobs), resumed_bytes=self.resumed_bytes)
