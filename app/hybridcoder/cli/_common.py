"""Small helpers shared by the CLI commands: JSON output, status lines, progress bars."""

from __future__ import annotations

import json
import shutil
import sys
import time
from typing import Any, TextIO


def print_json(data: Any, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    json.dump(data, stream, indent=2, default=str)
    stream.write("\n")


STATUS_MARKS = {"ok": "OK     ", "warning": "WARNING", "problem": "PROBLEM", "info": "       "}


def status_line(level: str, text: str, fix: str | None = None, stream: TextIO | None = None) -> None:
    """One doctor-style line: ``OK      text`` plus an indented fix when there is one."""
    stream = stream or sys.stdout
    stream.write(f"{STATUS_MARKS.get(level, level.upper())}  {text}\n")
    if fix:
        stream.write(f"         → {fix}\n")


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


class ProgressBar:
    """A one-line terminal progress bar that never moves backwards.

    ``update(completed, total, label)`` redraws at most 10 times a second; on a
    non-terminal stream it prints a line only at each 10 % step so logs stay short.
    """

    def __init__(self, stream: TextIO | None = None, width: int | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width or min(40, max(10, shutil.get_terminal_size((80, 20)).columns - 50))
        self._shown_fraction = 0.0
        self._last_draw = 0.0
        self._last_decile = -1

    def update(self, completed: float, total: float, label: str = "", extra: str = "") -> None:
        fraction = 0.0 if total <= 0 else min(1.0, completed / total)
        fraction = max(fraction, self._shown_fraction)  # only forward
        self._shown_fraction = fraction
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw < 0.1 and fraction < 1.0:
                return
            self._last_draw = now
            filled = int(self.width * fraction)
            bar = "█" * filled + "░" * (self.width - filled)
            self.stream.write(f"\r{label} {bar} {fraction * 100:5.1f}% {extra}\033[K")
            self.stream.flush()
        else:
            decile = int(fraction * 10)
            if decile != self._last_decile:
                self._last_decile = decile
                self.stream.write(f"{label} {fraction * 100:5.1f}% {extra}\n")
                self.stream.flush()

    @property
    def fraction(self) -> float:
        return self._shown_fraction

    def finish(self, message: str = "") -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        if message:
            self.stream.write(message + "\n")
        self.stream.flush()
