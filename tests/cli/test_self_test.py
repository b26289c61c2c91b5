"""``hybridcoder --self-test``: one line per check, a verdict, exit 0 only when everything passed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridcoder import resource_files
from hybridcoder.cli import main


def test_every_check_passes_in_a_complete_install(capsys: pytest.CaptureFixture[str], qapp: object) -> None:
    assert main(["--self-test"]) == 0
    lines = capsys.readouterr().out.splitlines()
    checks = [line.split()[1] for line in lines if line.startswith("  PASS") or line.startswith("  FAIL")]
    assert checks == ["imports", "resources", "proxy", "keyring", "window"]
    assert all(line.startswith("  PASS") for line in lines[1:-1])
    assert lines[-1] == "Self-test passed: all 5 checks."
    proxy = next(line for line in lines if " proxy " in line)
    assert "/health 200" in proxy and "no token 401" in proxy
    assert "shown and painted" in next(line for line in lines if " window " in line)


def test_a_missing_data_file_fails_the_test_and_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str], qapp: object) -> None:
    monkeypatch.setattr(resource_files, "resources_root", lambda: tmp_path)  # an install without its data
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  resources ResourceError: Hybrid Coder's data file models.toml is missing" in out
    # The proxy will not start without its routing weights either: no silent fallback to the rules.
    assert "  FAIL  proxy     ResourceError: Hybrid Coder's data file routing_weights.json is missing" in out
    assert out.rstrip().endswith("Self-test FAILED: resources, proxy (2 of 5 checks).")
