"""BudgetTracker: warn at 80 %, exhausted at 100 %, reset when the day or month rolls over (injected
clock), cheap cached reads, noted requests counted once, and never an exception."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hybridcoder.analytics import BudgetTracker
from hybridcoder.ledger import RequestRecord, UsageLedger
from hybridcoder.settings import Settings
from tests.ledger.helpers import at, rec, write

# 100,000 input tokens on Sonnet 5.5 = $0.20 (no output, no cache).
TWENTY_CENTS = 100_000


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Ticks:
    """A monotonic clock the test moves by hand (paces the tracker's refreshes)."""

    def __init__(self) -> None:
        self.value = 1_000.0

    def __call__(self) -> float:
        return self.value


def settings(daily: float = 0.0, monthly: float = 0.0, on_exhausted: str = "local") -> Settings:
    s = Settings()
    s.budget.daily_usd, s.budget.monthly_usd, s.budget.on_exhausted = daily, monthly, on_exhausted
    return s


def cloud(moment: datetime, tokens: int = TWENTY_CENTS, model: str = "claude-sonnet-5-5") -> RequestRecord:
    return rec("cloud", model=model, prompt_tokens=tokens, completion_tokens=0, ts=at(moment))


def test_warns_at_80_percent_and_is_exhausted_at_100(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    clock = Clock(datetime(2026, 11, 25, 10, 0))
    ticks = Ticks()
    write(path, cloud(clock.now - timedelta(hours=1)), cloud(clock.now - timedelta(hours=2)))
    tracker = BudgetTracker(path, settings(daily=1.0), now=clock, monotonic=ticks)
    assert tracker.state().daily_fraction == pytest.approx(0.4)
    for spent_cents, warn, exhausted in ((60, False, False), (80, True, False), (100, True, True)):
        write(path, cloud(clock.now))
        ticks.value += 2
        state = tracker.state()
        assert state.daily_spent_usd == pytest.approx(spent_cents / 100)
        assert (state.warn, state.exhausted, state.local_only) == (warn, exhausted, exhausted)
    assert state.resets_at == datetime(2026, 11, 26)
    message = state.message()
    assert message is not None and "daily" in message and "requests stay local" in message
    tracker.close()


def test_daily_cap_resets_at_midnight_and_monthly_on_the_first(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    evening = datetime(2026, 11, 30, 23, 0)
    write(path, *[cloud(evening + timedelta(minutes=i)) for i in range(5)])  # $1.00 today
    clock = Clock(evening + timedelta(minutes=30))
    tracker = BudgetTracker(path, settings(daily=1.0, monthly=1.5), now=clock)
    state = tracker.state()
    assert state.daily_exhausted and not state.monthly_exhausted and state.local_only
    # 1 December, 00:00:01: a new day and a new month; cached state is not reused across midnight.
    clock.now = datetime(2026, 12, 1, 0, 0, 1)
    state = tracker.state()
    assert not state.exhausted and state.daily_spent_usd == 0 and state.monthly_spent_usd == 0
    assert state.day_resets_at == datetime(2026, 12, 2) and state.month_resets_at == datetime(2027, 1, 1)
    # Spending on later days adds up to the monthly cap, which outlasts the daily reset.
    write(path, *[cloud(datetime(2026, 12, 1, 9, i)) for i in range(4)],
          *[cloud(datetime(2026, 12, 2, 9, i)) for i in range(4)])
    clock.now = datetime(2026, 12, 2, 12, 0)
    state = tracker.refresh()
    assert state.daily_spent_usd == pytest.approx(0.8)
    assert state.monthly_spent_usd == pytest.approx(1.6) and state.monthly_exhausted
    assert state.resets_at == datetime(2027, 1, 1)
    clock.now = datetime(2026, 12, 3, 8, 0)
    assert tracker.state().exhausted  # still this month
    clock.now = datetime(2027, 1, 1, 0, 0)
    assert not tracker.state().exhausted
    tracker.close()


def test_ask_first_instead_of_going_local(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    moment = datetime(2026, 11, 25, 10)
    write(path, cloud(moment, tokens=5 * TWENTY_CENTS))
    state = BudgetTracker(path, settings(daily=1.0, on_exhausted="ask"), now=Clock(moment)).state()
    assert state.exhausted and state.ask_first and not state.local_only
    message = state.message()
    assert message is not None and "need your OK" in message


def test_no_caps_never_exhaust(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    moment = datetime(2026, 11, 25, 10)
    write(path, cloud(moment, tokens=50 * TWENTY_CENTS))
    state = BudgetTracker(path, settings(), now=Clock(moment)).state()
    assert state.daily_spent_usd == pytest.approx(10.0)
    assert not state.warn and not state.exhausted and state.message() is None


def test_state_is_cached_between_refreshes(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    moment = datetime(2026, 11, 25, 10)
    ticks = Ticks()
    tracker = BudgetTracker(path, settings(daily=1.0), now=Clock(moment), monotonic=ticks)
    assert tracker.state().daily_spent_usd == 0
    write(path, cloud(moment))  # written behind the tracker's back
    ticks.value += 0.5
    assert tracker.state().daily_spent_usd == 0  # within the refresh interval: the cached answer
    ticks.value += 0.6
    assert tracker.state().daily_spent_usd == pytest.approx(0.2)
    tracker.close()


def test_noted_requests_count_at_once_and_only_once(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    moment = datetime.now()
    ticks = Ticks()
    tracker = BudgetTracker(path, settings(daily=1.0), now=Clock(moment), monotonic=ticks)
    assert tracker.state().daily_spent_usd == 0
    with UsageLedger(path, flush_interval_s=5.0) as ledger:
        tracker.attach(ledger)
        for _ in range(4):
            ledger.record(cloud(moment))
        ledger.record(rec("local", prompt_tokens=TWENTY_CENTS, ts=at(moment)))  # local costs nothing
        ledger.record(cloud(moment, model="claude-mystery-9"))
        state = tracker.state()  # whether or not the writer has stored them yet
        assert state.daily_spent_usd == pytest.approx(0.8) and state.warn
        assert state.unpriced_requests == 1
        ticks.value += 2
        assert tracker.refresh().daily_spent_usd == pytest.approx(0.8)  # on disk or not: counted once
        assert ledger.flush(10)
    ticks.value += 2
    state = tracker.state()
    assert state.daily_spent_usd == pytest.approx(0.8)  # on disk now, and not counted twice
    assert state.unpriced_requests == 1
    tracker.close()


def test_a_damaged_ledger_keeps_the_last_known_state(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    moment = datetime(2026, 11, 25, 10)
    write(path, cloud(moment, tokens=4 * TWENTY_CENTS))
    ticks = Ticks()
    tracker = BudgetTracker(path, settings(daily=1.0), now=Clock(moment), monotonic=ticks)
    assert tracker.state().daily_spent_usd == pytest.approx(0.8)
    tracker.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 2_000)
    ticks.value += 2
    state = tracker.state()
    assert state.stale and state.daily_spent_usd == pytest.approx(0.8) and state.warn
    tracker.close()


def test_settings_changes_take_effect(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    moment = datetime(2026, 11, 25, 10)
    write(path, cloud(moment))
    tracker = BudgetTracker(path, settings(daily=1.0), now=Clock(moment))
    assert not tracker.state().warn
    tracker.update_settings(settings(daily=0.2))
    assert tracker.exhausted()
    tracker.close()
