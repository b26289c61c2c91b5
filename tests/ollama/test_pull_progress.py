"""One forward-only progress figure over a pull's several blobs (no Ollama needed)."""

from __future__ import annotations

from hybridcoder.ollama.pull_progress import PullTracker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_blobs_are_summed_and_fraction_never_goes_back() -> None:
    clock = Clock()
    tracker = PullTracker("m:1", clock=clock)
    seen = [tracker.update("pulling manifest")]
    feed = [("aaa", None, 1000), ("aaa", 500, 1000), ("aaa", 1000, 1000),
            ("bbb", None, 100), ("bbb", 100, 100), ("ccc", None, 10), ("ccc", 10, 10)]
    for digest, done, total in feed:
        clock.now += 1
        seen.append(tracker.update(f"pulling {digest}", f"sha256:{digest}", done, total))
    for status in ("verifying sha256 digest", "writing manifest", "success"):
        seen.append(tracker.update(status))
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions)
    assert seen[3].fraction < 1.0  # first blob done, but more blobs follow: not "finished"
    assert seen[-1].fraction == 1.0 and seen[-1].phase == "done"
    assert seen[-1].completed == seen[-1].total == 1110
    assert seen[-1].blobs_seen == 3


def test_speed_and_eta_from_recent_bytes() -> None:
    clock = Clock()
    tracker = PullTracker("m:1", clock=clock)
    tracker.update("pulling aaa", "sha256:aaa", None, 10_000)
    clock.now += 1
    progress = tracker.update("pulling aaa", "sha256:aaa", 1000, 10_000)
    assert progress.bytes_per_s == 1000
    assert progress.eta_s == 9


def test_resumed_bytes_count_as_done_but_not_as_speed() -> None:
    clock = Clock()
    tracker = PullTracker("m:1", clock=clock)
    first = tracker.update("pulling aaa", "sha256:aaa", 6000, 10_000)
    assert first.resumed and first.resumed_bytes == 6000
    assert first.fraction == 0.6
    clock.now += 2
    later = tracker.update("pulling aaa", "sha256:aaa", 7000, 10_000)
    assert later.bytes_per_s == 500


def test_expected_total_keeps_the_denominator_fixed() -> None:
    tracker = PullTracker("m:1", expected_total=2000)
    progress = tracker.update("pulling aaa", "sha256:aaa", 1000, 1000)
    assert progress.total == 2000 and progress.fraction == 0.5
