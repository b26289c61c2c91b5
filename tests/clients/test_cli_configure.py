"""``hybridcoder configure``: dry-run diff, broken file message, reset, undo, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridcoder.cli import main
from hybridcoder.keys import KeyStore
from tests.clients.conftest import backup_runs, place


def test_dry_run_shows_diff_without_token_and_writes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("continue/commented.yaml", path)
    assert main(["configure", "continue", "--dry-run"]) == 0
    out = capsys.readouterr().out
    token = KeyStore().proxy_token(create=False)
    assert token and token not in out
    assert "+  - name: Hybrid Coder\n" in out and "+    apiBase: http://127.0.0.1:11480/v1" in out
    assert "nothing was written" in out
    assert path.read_bytes() == original and backup_runs() == []


def test_configure_then_undo_round_trip(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("continue/crlf.yaml", path)
    assert main(["configure", "continue", "aider", "--proxy-url", "http://127.0.0.1:12345"]) == 0
    assert b"http://127.0.0.1:12345/v1" in path.read_bytes()
    assert main(["configure", "continue", "aider"]) == 0  # settings' default URL this time
    assert main(["configure", "continue", "aider", "--undo"]) == 0
    assert main(["configure", "continue", "aider", "--undo"]) == 0
    assert path.read_bytes() == original and not (home / ".aider.conf.yml").exists()
    out = capsys.readouterr().out
    assert "restored" in out


def test_broken_file_exit_1_with_line_and_reset_option(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("continue/broken.yaml", path)
    assert main(["configure", "continue", "cline"]) == 1
    captured = capsys.readouterr()
    assert "line 7" in captured.out and "--reset-broken" in captured.out
    assert "Traceback" not in captured.out + captured.err and "Continue could not be configured" in captured.err
    assert path.read_bytes() == original
    assert (home / ".cline" / "data" / "globalState.json").exists()  # the other tool still configured
    assert main(["configure", "continue", "--reset-broken"]) == 0
    assert b"Hybrid Coder" in path.read_bytes()


def test_bad_proxy_url_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["configure", "all", "--proxy-url", "not a url"]) == 1
    err = capsys.readouterr().err
    assert "http://127.0.0.1:11480" in err and "Traceback" not in err


def test_no_keyring_refuses_a_token_that_would_not_survive(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        assert main(["configure", "continue"]) == 1
    finally:
        keyring.set_keyring(previous)
    assert "HYBRIDCODER_TOKEN" in capsys.readouterr().err
    assert not (home / ".continue").exists()
