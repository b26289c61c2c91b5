"""Named time ranges for figures: "today", "yesterday", "7d", "30d", a date, or a date and time.

Days are local calendar days: "7d" means today and the six days before it, from local
midnight. ``until`` given as a bare date includes that whole day. Figures start periods at
local midnight (their roll-ups are per day), so there is no hour-sized word. Never reads the
clock itself when a ``now`` is passed, so tests and the GUI agree on what "today" is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hybridcoder.errors import HybridCoderError

_RELATIVE = re.compile(r"^(\d{1,4})d$")
PERIOD_HELP = "today, yesterday, 7d, 30d, 90d or YYYY-MM-DD"


class PeriodError(HybridCoderError):
    """A period could not be understood."""


@dataclass(frozen=True)
class Period:
    since: datetime  # naive local time, inclusive
    until: datetime  # naive local time, exclusive
    label: str

    @property
    def since_ts(self) -> float:
        return self.since.timestamp()

    @property
    def until_ts(self) -> float:
        return self.until.timestamp()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _local(moment: datetime) -> datetime:
    """Naive local time (aware datetimes are converted to the machine's zone)."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo is not None else moment


def parse_moment(text: str, now: datetime, *, end: bool = False) -> datetime:
    """One endpoint. ``end=True`` makes a bare date mean the end of that day."""
    value = text.strip().lower()
    now = _local(now)
    today = _midnight(now.date())
    if value == "now":
        return now
    if value == "today":
        return today + timedelta(days=1) if end else today
    if value == "yesterday":
        return today if end else today - timedelta(days=1)
    match = _RELATIVE.match(value)
    if match:
        days = int(match.group(1))
        if days <= 0:
            raise PeriodError(f"'{text}' is an empty period; use {PERIOD_HELP}.")
        return today - timedelta(days=days - 1)
    try:
        if len(value) == 10:
            day = _midnight(date.fromisoformat(value))
            return day + timedelta(days=1) if end else day
        return _local(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise PeriodError(f"'{text}' is not a period Hybrid Coder understands; use {PERIOD_HELP}.") from None


def resolve_period(since: str | None = "7d", until: str | None = None, *, now: datetime | None = None) -> Period:
    """Turn the CLI/dashboard words into a concrete range; bad words raise :class:`PeriodError`."""
    now = _local(now or datetime.now())
    since_text = since or "7d"
    start = parse_moment(since_text, now)
    stop = parse_moment(until, now, end=True) if until else now
    if stop <= start:
        raise PeriodError(f"The period ends ({stop:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M}).")
    label = since_text if not until else f"{since_text} to {until}"
    return Period(since=start, until=stop, label=label)


def check_period_word(text: str) -> str:
    """Syntax check without a clock (for argparse): raises :class:`PeriodError` on nonsense."""
    parse_moment(text, datetime(2000, 1, 1))
    return text
