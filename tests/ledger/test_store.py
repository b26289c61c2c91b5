"""UsageLedger: rows and roll-ups agree, re-recording never double counts, a damaged, locked or
crashed database never loses what it can keep and never breaks recording."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from hybridcoder.ledger import RequestRecord, UsageLedger
from hybridcoder.ledger.migrations import MIGRATIONS
from tests.ledger.helpers import query, rec, write


def _raw_totals(path: Path) -> tuple[int, int, int]:
    (row,) = query(path, "SELECT COUNT(*), SUM(prompt_tokens), SUM(completion_tokens) FROM requests")
    return row


def _daily_totals(path: Path) -> tuple[int, int, int]:
    (row,) = query(path, "SELECT SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_daily")
    return row


def _hourly_totals(path: Path) -> tuple[int, int, int]:
    (row,) = query(path, "SELECT SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_hourly")
    return row


def test_rows_and_rollups_agree(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    records = [rec("local" if i % 3 else "cloud", prompt_tokens=100 * i, completion_tokens=i,
                   ts=time.time() - i * 3600) for i in range(50)]
    write(path, *records)
    expected = (50, sum(100 * i for i in range(50)), sum(range(50)))
    assert _raw_totals(path) == expected
    assert _daily_totals(path) == expected
    assert _hourly_totals(path) == expected
    assert query(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert query(path, "PRAGMA journal_mode") == [("wal",)]


def test_recording_the_same_request_again_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    first = rec("cloud", prompt_tokens=150_000, completion_tokens=10, ttft_ms=100.0, total_ms=900.0)
    write(path, first)
    first.prompt_tokens, first.completion_tokens = 2_000, 20  # the final usage arrived later
    write(path, first)
    assert _raw_totals(path) == (1, 2_000, 20)
    assert _daily_totals(path) == (1, 2_000, 20)
    # The big-prompt band the first version landed in is gone, not left at zero.
    assert query(path, "SELECT band, requests FROM usage_daily") == [(0, 1)]
    (counts,) = query(path, "SELECT counts FROM latency_daily WHERE metric = 'ttft'")
    assert counts[0].count(",") == 1  # one bucket holding one request


def test_garbage_file_is_moved_aside_and_recording_works(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    garbage = b"this is not a database at all " * 200
    path.write_bytes(garbage)
    with UsageLedger(path) as ledger:
        assert ledger.warning is not None and "damaged" in ledger.warning
        ledger.record(rec("local", prompt_tokens=7))
        assert ledger.flush(10)
    (aside,) = tmp_path.glob("usage.sqlite3.corrupt-*")
    assert aside.read_bytes() == garbage
    assert query(path, "SELECT prompt_tokens FROM requests") == [(7,)]


def test_damaged_pages_are_detected_and_a_fresh_file_started(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    write(path, *[rec("local", prompt_tokens=i, features={"pad": "x" * 200}) for i in range(400)])
    data = bytearray(path.read_bytes())
    assert len(data) > 16_384
    data[8_192:12_288] = b"\xa5" * 4_096  # scribble over whole pages past the header
    path.write_bytes(bytes(data))
    with UsageLedger(path) as ledger:
        assert ledger.warning is not None and "moved to" in ledger.warning
        ledger.record(rec("cloud", prompt_tokens=3))
        assert ledger.flush(10)
    assert list(tmp_path.glob("usage.sqlite3.corrupt-*"))
    assert query(path, "SELECT route, prompt_tokens FROM requests") == [("cloud", 3)]


def test_locked_database_delays_recording_but_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    write(path, rec("local"))
    with UsageLedger(path, busy_timeout_s=0.05, flush_interval_s=0.05) as ledger:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
        try:
            started = time.perf_counter()
            for i in range(20):
                ledger.record(rec("local", prompt_tokens=i))
            assert time.perf_counter() - started < 0.05  # recording itself never waits
            assert not ledger.flush(0.5)
            assert ledger.warning is not None and "busy" in ledger.warning
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert ledger.flush(10)
        assert ledger.dropped == 0
    assert _raw_totals(path)[0] == 21


_CRASH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from hybridcoder.ledger import RequestRecord, UsageLedger
    ledger = UsageLedger(Path(sys.argv[1]))
    for i in range(300):
        ledger.record(RequestRecord(kind="chat", route="cloud", model="claude-sonnet-5-5", prompt_tokens=i))
    assert ledger.flush(10)
    os._exit(9)  # no close(), no checkpoint: as if the process were killed
    """
)


def test_flushed_rows_survive_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    done = subprocess.run([sys.executable, "-c", _CRASH, str(path)], capture_output=True, timeout=60)
    assert done.returncode == 9, done.stderr.decode()
    assert Path(str(path) + "-wal").exists()  # the rows live in the write-ahead log until a checkpoint
    with UsageLedger(path) as ledger:
        assert ledger.warning is None
    assert _raw_totals(path) == (300, sum(range(300)), 0)
    assert _daily_totals(path) == (300, sum(range(300)), 0)


def test_a_listener_hears_every_record_and_cannot_break_recording(tmp_path: Path) -> None:
    heard: list[RequestRecord] = []

    def broken(record: object) -> None:
        raise RuntimeError("listener bug")

    with UsageLedger(tmp_path / "usage.sqlite3") as ledger:
        ledger.add_listener(broken)
        ledger.add_listener(heard.append)
        ledger.record(rec("cloud"))
        ledger.remove_listener(heard.append)
        ledger.record(rec("cloud"))
        assert ledger.flush(10)
    assert len(heard) == 1
    assert _raw_totals(tmp_path / "usage.sqlite3")[0] == 2
