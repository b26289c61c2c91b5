"""What a user hits at the edges of the command line: closed pipes and streams, no log folder,
a display that cannot open, bad ports, a reset that could not be saved. One line, right exit code."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hybridcoder.routing.learning as learning_module
from hybridcoder import log as log_module
from hybridcoder.cli import main
from hybridcoder.routing.features import extract_features
from hybridcoder.routing.learning import Learner


class ClosedPipe(io.StringIO):
    """stdout after `| head` has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_output_piped_into_a_reader_that_leaves_is_quiet(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["routing", "status"]) == 0
    assert capsys.readouterr().err == ""


def test_doctor_piped_to_head_prints_no_error() -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    pipe = subprocess.run(f"'{sys.executable}' -m hybridcoder doctor --json | head -c 1", shell=True,
                          capture_output=True, text=True, env=env, timeout=90)
    assert pipe.stdout == "{" and "error" not in pipe.stderr and "Traceback" not in pipe.stderr


def test_closed_stdin_is_treated_as_empty(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["keys", "set", "anthropic"]) == 1
    assert capsys.readouterr().err.strip() == "hybridcoder: No key was entered; nothing was stored."
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["explain", "-"]) == 1
    assert "input is empty" in capsys.readouterr().err


def test_ctrl_c_while_loading_the_commands_is_a_clean_cancel(monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("hybridcoder.cli.build_parser", interrupted)
    assert main(["doctor"]) == 130
    assert capsys.readouterr().err.strip() == "Cancelled."


def test_without_a_log_file_nothing_leaks_to_the_terminal(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import hybridcoder.cli.keys as keys_cli

    def no_log_folder(level: int = logging.INFO) -> None:
        raise PermissionError(13, "Permission denied")

    def boom(args: object) -> int:
        raise RuntimeError("sk-ant-api03-secretsecretsecret")

    log_module.reset_logging()
    monkeypatch.setattr("hybridcoder.cli.setup_logging", no_log_folder)
    monkeypatch.setattr(keys_cli, "_status", boom)
    root = logging.getLogger("hybridcoder")
    before = list(root.handlers)
    try:
        assert main(["keys", "status"]) == 1
    finally:
        for handler in root.handlers[len(before):]:
            root.removeHandler(handler)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "secret" not in err
    assert err.count("\n") == 2 and "cannot write logs" in err and "unexpected error (RuntimeError)" in err


def test_a_display_that_cannot_open_gives_the_headless_hint_not_a_crash(monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":59999")  # no X server there: Qt would abort the process
    # Every library the xcb plugin needs is there (tests/test_display_check.py covers missing ones).
    monkeypatch.setattr("hybridcoder.display_check.missing_display_libraries", lambda run=None: [])
    assert main([]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("hybridcoder: The desktop window cannot open on the display :59999 (") and err.count("\n") == 1
    assert "virtual display" not in err  # DISPLAY is set: a virtual display would not help
    assert "hybridcoder serve" in out


def test_serve_refuses_a_bad_port_or_ollama_address_from_settings(app_home: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    settings = app_home / "config" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("[proxy]\nport = 99999\n")
    assert main(["serve"]) == 1
    assert "proxy port in your settings (99999)" in capsys.readouterr().err
    assert main(["serve", "--port", "0", "--ollama-url", "not a url"]) == 1
    assert "not a valid Ollama address" in capsys.readouterr().err


def test_reset_learning_that_cannot_be_saved_says_so(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    body = {"model": "hybrid-auto", "messages": [{"role": "user", "content": "Refactor the payment module"}]}
    learner = Learner()
    assert learner.observe(extract_features(body, "/v1/chat/completions"), "invalid_tool_call")
    learner.save()

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(learning_module, "atomic_write_text", read_only)
    assert main(["routing", "reset-learning"]) == 1
    out, err = capsys.readouterr()
    assert "forgot" not in out and "Could not save the reset" in err
    assert Learner().stats()["examples"] == 1  # and it really is still there
