"""detect_tools: extension folders, JetBrains plugins, PATH, existing configs, configured flag."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hybridcoder.clients.detect import detect_tools
from tests.clients.conftest import configure


def presence(name: str):  # type: ignore[no-untyped-def]
    return next(t for t in detect_tools() if t.name == name)


@pytest.fixture(autouse=True)
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_nothing_installed(home: Path) -> None:
    assert [(t.name, t.present, t.configured) for t in detect_tools()] == [
        ("continue", False, False), ("cline", False, False), ("aider", False, False)]


@pytest.mark.parametrize("editor", [".vscode", ".vscode-oss", ".cursor"])
def test_extension_folders(editor: str, home: Path) -> None:
    (home / editor / "extensions" / "continue.continue-1.3.40-linux-x64").mkdir(parents=True)
    (home / editor / "extensions" / "saoudrizwan.claude-dev-4.1.13").mkdir(parents=True)
    assert presence("continue").present and presence("cline").present
    assert not presence("aider").present


def test_jetbrains_plugin_and_programs_on_path(home: Path, empty_path: Path) -> None:
    (home / ".local/share/JetBrains/PyCharm2026.2/continue-intellij-extension").mkdir(parents=True)
    for program in ("aider", "cline"):
        exe = empty_path / program
        exe.write_text("#!/bin/sh\n")
        os.chmod(exe, 0o755)
    assert any("JetBrains" in w for w in presence("continue").where)
    assert presence("aider").present and any("PATH" in w for w in presence("cline").where)


def test_configured_flag_follows_our_entries(home: Path, models) -> None:  # type: ignore[no-untyped-def]
    configure(["continue", "cline", "aider"], models)
    assert all(t.present and t.configured for t in detect_tools())
    configure(["all"], models, undo=True)
    assert not any(t.configured for t in detect_tools())


def test_all_skips_tools_that_are_absent(home: Path, models) -> None:  # type: ignore[no-untyped-def]
    (home / ".vscode" / "extensions" / "saoudrizwan.claude-dev-4.1.13").mkdir(parents=True)
    report = configure(["all"], models)
    assert report.configured == ["cline"] and report.skipped == ["continue", "aider"]
    assert not (home / ".continue").exists() and not (home / ".aider.conf.yml").exists()
