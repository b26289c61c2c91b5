"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Continue reloads its config on change and treats an empty file as missing, and a
crash mid-write must never leave a user's settings truncated, so every file the app
writes goes through here: temp file in the same folder, fsync, ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permission bits.

    ``mode`` forces permissions (e.g. 0o600 for files that hold a token).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def atomic_write_text(path: Path, text: str, *, mode: int | None = None, encoding: str = "utf-8") -> None:
    """Text variant of :func:`atomic_write_bytes`; newlines are written exactly as given."""
    atomic_write_bytes(path, text.encode(encoding), mode=mode)
