"""Settings files that are not text at all, or cannot be moved aside, never stop a command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hybridcoder.cli import main
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings


def test_a_binary_settings_file_is_moved_aside_like_a_broken_one(capsys: pytest.CaptureFixture[str]) -> None:
    path = app_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    settings = Settings.load()
    assert settings.load_warning and "moved to" in settings.load_warning
    assert [p.read_bytes() for p in path.parent.glob("settings.toml.broken-*")] == [b"\xff\xfe\x00garbage\x80"]
    path.write_bytes(b"\xff\xfe")
    assert main(["routing", "status"]) == 0
    assert "unexpected" not in capsys.readouterr().err


@pytest.mark.skipif(os.name != "posix", reason="folder permissions")
def test_a_broken_file_that_cannot_be_moved_still_gives_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    path = app_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[ollama\n")

    def refuse(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", refuse)
    settings = Settings.load()
    assert settings.ollama.url == "http://127.0.0.1:11434"
    assert settings.load_warning and "could not be moved aside (Permission denied)" in settings.load_warning


def test_values_of_the_wrong_kind_are_named_not_silently_dropped() -> None:
    path = app_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('ollama = 5\n[proxy]\nport = "eleven"\n[routing]\nthreshold = 0.7\nlearning = "yes"\n'
                    '[models]\nchat = "qwen2.5-coder:7b"\n')
    settings = Settings.load()
    assert settings.proxy.port == Settings().proxy.port and settings.routing.threshold == 0.7
    assert settings.ignored_values == ["ollama", "proxy.port", "routing.learning"]
    assert Settings.load(path).models.chat == "qwen2.5-coder:7b"


def test_a_word_setting_outside_its_choices_falls_back_and_is_reported(app_home: Path) -> None:
    path = app_paths().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[routing]\nmode = "bogus"\n[budget]\non_exhausted = "ask"\n', encoding="utf-8")
    settings = Settings.load()
    assert settings.routing.mode == "auto"
    assert settings.budget.on_exhausted == "ask"
    assert "routing.mode" in settings.ignored_values
