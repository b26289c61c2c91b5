"""Nobody else on the machine can read what the app keeps: ledger, its damaged copies, logs, folders."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from pathlib import Path

import pytest

from hybridcoder.ledger import RequestRecord, UsageLedger
from hybridcoder.log import setup_logging
from hybridcoder.paths import app_paths

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")

KEY = "sk-ant-api03-" + "k" * 40


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_app_folders_are_private(app_home: Path) -> None:
    paths = app_paths()
    paths.config_dir.mkdir(parents=True)
    paths.config_dir.chmod(0o755)  # as an earlier version left it
    paths.ensure()
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir, paths.cache_dir, paths.backups_dir,
                   paths.state_dir):
        assert _mode(folder) == 0o700, folder


def test_ledger_and_its_wal_are_private_even_with_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "usage.sqlite3"
        with UsageLedger(path) as ledger:
            ledger.record(RequestRecord(kind="chat", route="local", model="m", provider="ollama",
                                        prompt_text="my secret plans"))
            assert ledger.flush(10)
            for file in path.parent.iterdir():
                assert _mode(file) == 0o600, file
        assert _mode(path.parent) == 0o700
    finally:
        os.umask(old)


def test_an_existing_world_readable_ledger_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    with UsageLedger(path):
        pass
    path.chmod(0o644)
    with UsageLedger(path):
        pass
    assert _mode(path) == 0o600


def test_a_damaged_ledger_moved_aside_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    path.write_bytes(b"not a database at all " * 100)
    path.chmod(0o644)
    with UsageLedger(path):
        pass
    (aside,) = tmp_path.glob("usage.sqlite3.corrupt-*")
    assert _mode(aside) == 0o600
    assert _mode(path) == 0o600


def test_log_file_is_private_and_tracebacks_are_scrubbed(app_home: Path) -> None:
    setup_logging()
    log = logging.getLogger("hybridcoder.test")
    django_key = "abc123" + "def456"  # built at run time: the traceback's source line must not hold it
    try:
        raise ValueError(f"upstream refused key {KEY} with SECRET_KEY={django_key}")
    except ValueError:
        log.exception("cloud call failed for token %s", "hc-" + "t" * 40)
    for handler in logging.getLogger("hybridcoder").handlers:
        handler.flush()
    log_file = app_paths().log_file
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback" in text and "ValueError" in text  # the traceback is still there, just clean
    assert KEY not in text
    assert "abc123def456" not in text
    assert "t" * 40 not in text
    assert _mode(log_file) == 0o600
    assert _mode(log_file.parent) == 0o700


def test_rotated_logs_stay_private(app_home: Path) -> None:
    setup_logging()
    (handler,) = logging.getLogger("hybridcoder").handlers
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    logging.getLogger("hybridcoder.test").warning("before rotation")
    handler.doRollover()
    logging.getLogger("hybridcoder.test").warning("after rotation")
    for file in app_paths().log_dir.iterdir():
        assert _mode(file) == 0o600, file
