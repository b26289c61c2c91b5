"""safe_write: backups with a manifest, atomic writes, dry-run diffs, exact undo."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from hybridcoder.clients.safe_write import PlannedFile, file_mode, list_backups, undo_last, write_files
from hybridcoder.paths import app_paths


def test_update_backs_up_then_undo_restores_bytes_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "conf.yml"
    path.write_bytes(b"a: 1\r\n# keep\r\n")
    os.chmod(path, 0o640)
    outcome = write_files("aider", [PlannedFile(path, b"a: 2\n")])
    assert [r.action for r in outcome.results] == ["updated"]
    manifest = json.loads(outcome.manifest.read_text())  # type: ignore[union-attr]
    assert manifest["files"][0]["existed"] is True and manifest["tool"] == "aider"
    backup = outcome.results[0].backup
    assert backup is not None and backup.read_bytes() == b"a: 1\r\n# keep\r\n"
    assert backup.is_relative_to(app_paths().backups_dir) and file_mode(backup) == 0o600
    assert file_mode(path) == 0o640  # an existing file keeps its permissions

    undo = undo_last("aider")
    assert [r.action for r in undo.results] == ["restored"]
    assert path.read_bytes() == b"a: 1\r\n# keep\r\n" and file_mode(path) == 0o640
    assert undo_last("aider").results == []  # nothing left to undo
    assert list_backups("aider")[0].undone


def test_same_content_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"{}\n")
    mtime = path.stat().st_mtime_ns
    outcome = write_files("cline", [PlannedFile(path, b"{}\n")])
    assert not outcome.changed and outcome.manifest is None
    assert path.stat().st_mtime_ns == mtime and list_backups() == []


def test_dry_run_diff_writes_nothing_and_hides_secrets(tmp_path: Path) -> None:
    conf, secrets = tmp_path / "c.yml", tmp_path / "secrets.json"
    conf.write_text("model: a\n")
    outcome = write_files("cline", [PlannedFile(conf, b"model: b\n"),
                                    PlannedFile(secrets, b'{"k": "sk-secret"}', sensitive=True)], dry_run=True)
    assert "-model: a\n+model: b\n" in outcome.diff
    assert "sk-secret" not in outcome.diff and "not shown" in outcome.diff
    assert [r.action for r in outcome.results] == ["would update", "would create"]
    assert conf.read_text() == "model: a\n" and not secrets.exists() and list_backups() == []


def test_new_file_is_private_and_undo_deletes_it(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "new.yaml"
    write_files("continue", [PlannedFile(path, b"x: 1\n")])
    assert file_mode(path) == 0o600  # it may hold the proxy token
    undo_last("continue")
    assert not path.exists()


def test_edits_made_after_our_write_are_kept_aside_on_undo(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("mine: 1\n")
    write_files("continue", [PlannedFile(path, b"mine: 1\nours: 2\n")])
    path.write_text("mine: 1\nours: 2\nlater: 3\n")  # the user edited after us
    undo = undo_last("continue")
    assert path.read_text() == "mine: 1\n"
    assert undo.notes and "saved" in undo.notes[0]
    saved = [p for p in app_paths().backups_dir.glob("*-continue-undo/*c.yaml")]
    assert len(saved) == 1 and saved[0].read_text() == "mine: 1\nours: 2\nlater: 3\n"


def test_undo_walks_back_one_run_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("v: 0\n")
    write_files("continue", [PlannedFile(path, b"v: 1\n")])
    write_files("continue", [PlannedFile(path, b"v: 2\n")])
    undo_last("continue")
    assert path.read_text() == "v: 1\n"
    undo_last("continue")
    assert path.read_text() == "v: 0\n"


def test_a_read_only_file_is_left_alone_with_a_clear_message(tmp_path: Path) -> None:
    from hybridcoder.clients.errors import ConfigWriteError

    path = tmp_path / "config.yaml"
    path.write_bytes(b"models: []\n")
    os.chmod(path, 0o444)
    with pytest.raises(ConfigWriteError, match="read-only"):
        write_files("continue", [PlannedFile(path, b"models: [ours]\n")])
    assert path.read_bytes() == b"models: []\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_forced_private_mode_replaces_a_world_readable_one_and_undo_restores_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"models: []\n")
    os.chmod(path, 0o644)
    outcome = write_files("continue", [PlannedFile(path, b"models: [token]\n", mode=0o600)])
    assert file_mode(path) == 0o600
    backup = outcome.results[0].backup
    assert backup is not None and file_mode(backup) == 0o600 and file_mode(backup.parent) == 0o700
    undo_last("continue")
    assert path.read_bytes() == b"models: []\n" and file_mode(path) == 0o644


def test_a_rerun_closes_a_token_file_left_world_readable_by_an_earlier_version(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"apiKey: token\n")
    os.chmod(path, 0o644)  # what versions before the fix left behind: same bytes, readable by all
    dry = write_files("continue", [PlannedFile(path, b"apiKey: token\n", mode=0o600)], dry_run=True)
    assert [r.action for r in dry.results] == ["would make private"] and file_mode(path) == 0o644
    outcome = write_files("continue", [PlannedFile(path, b"apiKey: token\n", mode=0o600)])
    assert [r.action for r in outcome.results] == ["made private"] and file_mode(path) == 0o600
    again = write_files("continue", [PlannedFile(path, b"apiKey: token\n", mode=0o600)])
    assert not again.changed
    undo_last("continue")
    assert path.read_bytes() == b"apiKey: token\n" and file_mode(path) == 0o644


def test_a_forced_mode_never_loosens_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    path.write_bytes(b"rules\n")
    os.chmod(path, 0o600)
    assert not write_files("cline", [PlannedFile(path, b"rules\n", mode=0o644)]).changed
    assert file_mode(path) == 0o600


def test_a_symlinked_config_is_edited_where_it_points_and_the_link_stays(tmp_path: Path) -> None:
    """Dotfiles managers (stow, chezmoi symlink mode) link ~/.continue/config.yaml into a repo."""
    repo = tmp_path / "dotfiles" / "config.yaml"
    repo.parent.mkdir()
    repo.write_bytes(b"models: []\n")
    link = tmp_path / "home" / "config.yaml"
    link.parent.mkdir()
    link.symlink_to(repo)
    outcome = write_files("continue", [PlannedFile(link, b"models: [ours]\n", mode=0o600)])
    assert link.is_symlink() and repo.read_bytes() == b"models: [ours]\n"
    assert outcome.notes and "link" in outcome.notes[0]
    undo_last("continue")
    assert link.is_symlink() and repo.read_bytes() == b"models: []\n"
