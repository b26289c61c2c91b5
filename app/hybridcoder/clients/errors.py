"""Errors raised while writing a coding tool's configuration.

    HybridCoderError
    └── ConfigWriteError         a client file cannot be read, planned or written
        └── BrokenConfigError    an existing file cannot be parsed; it is left untouched

Every message is one sentence the user can act on; a broken file's message says
what is wrong, where (line and column), and how to start fresh safely.
"""

from __future__ import annotations

from pathlib import Path

from hybridcoder.errors import HybridCoderError


class ConfigWriteError(HybridCoderError):
    """A client configuration file could not be read or written."""


class BrokenConfigError(ConfigWriteError):
    """An existing file is not valid YAML/JSON (or not the shape the tool expects).

    The file is never overwritten; ``--reset-broken`` backs it up and starts fresh.
    """

    def __init__(self, tool: str, path: Path, problem: str, *, line: int | None = None,
                 column: int | None = None) -> None:
        where = f" at line {line}" + (f", column {column}" if column else "") if line else ""
        message = (
            f"{path} cannot be read{where}: {problem}. It was left unchanged; fix it by hand, or run "
            f"`hybridcoder configure {tool} --reset-broken` to back it up and start a fresh one."
        )
        super().__init__(message)
        self.tool = tool
        self.path = path
        self.problem = problem
        self.line = line
        self.column = column
