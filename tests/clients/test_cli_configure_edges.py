"""``hybridcoder configure`` at the edges: a folder where a config file belongs, a dry run for a missing tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridcoder.cli import main


def test_a_folder_where_the_config_belongs_is_named(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / ".aider.conf.yml").mkdir()
    assert main(["configure", "aider"]) == 1
    out = capsys.readouterr().out
    assert "Aider could not be configured (" in out and f": {home / '.aider.conf.yml'})" in out


def test_dry_run_for_a_missing_tool_does_not_claim_it_wrote(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["configure", "aider", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would be written anyway" in out and "were written" not in out
    assert not (home / ".aider.conf.yml").exists()
