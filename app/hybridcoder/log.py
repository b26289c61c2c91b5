"""Logging to a rotating file under the app's log folder.

Windowed builds have no stdout, so the file is the only log. Everything written
goes through :func:`scrub` (the same secret rules as the cloud redactor, plus any
Bearer token): the message, its arguments *and* the traceback, whose last line
repeats the exception's message — a key in an exception would otherwise reach the
file. The log files are 0600 in a 0700 folder. Callers must still never log prompt
text or keys (this is a safety net, not permission).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from pathlib import Path

from hybridcoder.paths import PRIVATE_FILE_MODE, app_paths
from hybridcoder.secret_rules import redact_secrets

_BEARER = re.compile(r"(?i:bearer)\s+[A-Za-z0-9_\-\.=+/]{12,}")

_configured = False


def scrub(text: str) -> str:
    """Replace key-shaped substrings and secret values with a marker."""
    text = _BEARER.sub("Bearer [redacted]", text)
    return redact_secrets(text)[0]


class ScrubbingFormatter(logging.Formatter):
    """Scrubs the whole formatted record: message, arguments, traceback and stack."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and each rotated one) only their owner can read."""

    def _open(self):  # type: ignore[no-untyped-def]
        path = Path(self.baseFilename)
        if os.name != "nt":
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, PRIVATE_FILE_MODE)
            os.close(fd)
            if path.stat().st_mode & 0o077:
                path.chmod(PRIVATE_FILE_MODE)
        return super()._open()


def setup_logging(level: int = logging.INFO) -> None:
    """Attach the rotating file handler once per process (idempotent)."""
    global _configured
    if _configured:
        return
    paths = app_paths().ensure()
    handler = PrivateRotatingFileHandler(
        paths.log_file, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("hybridcoder")
    root.setLevel(level)
    root.addHandler(handler)
    _configured = True


def reset_logging() -> None:
    """Detach the file handler (tests relocate HYBRIDCODER_HOME between cases)."""
    global _configured
    root = logging.getLogger("hybridcoder")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    _configured = False
