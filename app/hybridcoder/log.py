"""Logging to a rotating file under the app's log folder.

Windowed builds have no stdout, so the file is the only log. A filter scrubs
anything that looks like a key before it is written; callers must still never
log prompt text or keys (this is a safety net, not permission).
"""

from __future__ import annotations

import logging
import logging.handlers
import re

from hybridcoder.paths import app_paths

_SECRET_PATTERNS = re.compile(
    r"(sk-ant-[A-Za-z0-9_\-]{8,}|sk-(?:proj-)?[A-Za-z0-9_\-]{16,}|hc-[A-Za-z0-9_\-]{16,}"
    r"|(?i:bearer)\s+[A-Za-z0-9_\-\.]{12,}|AKIA[0-9A-Z]{16})"
)

_configured = False


def scrub(text: str) -> str:
    """Replace key-shaped substrings with a marker."""
    return _SECRET_PATTERNS.sub("[redacted]", text)


class _ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    """Attach the rotating file handler once per process (idempotent)."""
    global _configured
    if _configured:
        return
    paths = app_paths().ensure()
    handler = logging.handlers.RotatingFileHandler(
        paths.log_file, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ScrubFilter())
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
