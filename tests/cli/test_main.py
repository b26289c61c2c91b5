"""The command line's contract: version, exit codes, no tracebacks, the headless hint."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hybridcoder import __version__
from hybridcoder.cli import main


def test_version_flag_prints_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "hybridcoder", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"hybridcoder {__version__}"


def test_no_display_prints_how_to_run_headless(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "hybridcoder serve" in out and "hybridcoder setup" in out


def test_unexpected_error_is_one_line_without_traceback(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import hybridcoder.cli.keys as keys_cli

    def boom(args: object) -> int:
        raise RuntimeError("internal detail")

    monkeypatch.setattr(keys_cli, "_status", boom)
    assert main(["keys", "status"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unexpected error (RuntimeError)" in err
