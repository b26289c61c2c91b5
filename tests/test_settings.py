"""Settings: human-readable TOML, unknown keys and comments kept, broken files moved aside, atomic."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hybridcoder.errors import SettingsError
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings

HAND_WRITTEN = """\
# My Hybrid Coder settings -- edited by hand
[ollama]
url = "http://127.0.0.1:11434"  # the default port
future_option = "keep me"

[routing]
threshold = 0.7

[experimental]  # a section from a newer version
turbo = true
"""


def settings_file() -> Path:
    return app_paths().settings_file


def test_missing_file_gives_defaults_and_save_creates_it() -> None:
    settings = Settings.load()
    assert settings.load_warning is None
    assert settings.ollama.url == "http://127.0.0.1:11434" and settings.routing.mode == "auto"
    settings.models.chat = "qwen2.5-coder:7b"
    path = settings.save()
    assert path == settings_file() and path.is_file()
    again = Settings.load()
    assert again.models.chat == "qwen2.5-coder:7b"
    assert again.proxy.port == settings.proxy.port


def test_unknown_keys_and_comments_survive_a_save() -> None:
    path = settings_file()
    path.parent.mkdir(parents=True)
    path.write_text(HAND_WRITTEN)
    settings = Settings.load()
    assert settings.routing.threshold == 0.7
    settings.routing.threshold = 0.4
    settings.models.chat = "qwen2.5-coder:14b"
    settings.save()
    text = path.read_text()
    assert "# My Hybrid Coder settings -- edited by hand" in text
    assert "# the default port" in text
    assert 'future_option = "keep me"' in text
    assert "[experimental]" in text and "turbo = true" in text
    assert "threshold = 0.4" in text and 'chat = "qwen2.5-coder:14b"' in text
    assert Settings.load().routing.threshold == 0.4


def test_broken_file_is_moved_aside_with_a_warning_and_defaults_used() -> None:
    path = settings_file()
    path.parent.mkdir(parents=True)
    broken = "[ollama\nurl = 'http://gpu-box:11434'\n"
    path.write_text(broken)
    settings = Settings.load()
    assert settings.load_warning and "moved to" in settings.load_warning
    assert settings.ollama.url == "http://127.0.0.1:11434"
    assert not path.exists()
    [aside] = list(path.parent.glob("settings.toml.broken-*"))
    assert aside.read_text() == broken  # nothing the user wrote is lost
    settings.save()
    assert Settings.load().load_warning is None


def test_wrong_types_fall_back_to_defaults() -> None:
    path = settings_file()
    path.parent.mkdir(parents=True)
    path.write_text('[proxy]\nport = "eleven"\n[routing]\nredact_secrets = "yes"\nthreshold = 1\n')
    settings = Settings.load()
    assert settings.proxy.port == Settings().proxy.port
    assert settings.routing.redact_secrets is True
    assert settings.routing.threshold == 1.0 and isinstance(settings.routing.threshold, float)


def test_save_is_atomic_and_leaves_no_temp_files(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.load()
    settings.models.chat = "first"
    path = settings.save()
    before = path.read_text()

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    settings.models.chat = "second"
    with pytest.raises(SettingsError, match="Could not save settings"):
        settings.save()
    monkeypatch.undo()
    assert path.read_text() == before  # the old file is intact
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]  # no temp file left behind


def test_save_keeps_the_files_permissions() -> None:
    settings = Settings.load()
    path = settings.save()
    path.chmod(0o640)
    settings.budget.daily_usd = 2.5
    settings.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert Settings.load().budget.daily_usd == 2.5
