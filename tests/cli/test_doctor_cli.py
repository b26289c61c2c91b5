"""``hybridcoder doctor [--json]`` on a machine with no GPU and no Ollama."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridcoder.cli import main
from hybridcoder.keys import KeyStore
from hybridcoder.settings import Settings
from tests.test_doctor import ANTHROPIC_KEY, closed_port_url


@pytest.fixture(autouse=True)
def no_ollama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.setattr("hybridcoder.ollama.detect.default_binary_locations", lambda platform=None: [])
    monkeypatch.setattr("hybridcoder.ollama.detect.desktop_app_locations", lambda platform=None: [])
    settings = Settings.load()
    settings.ollama.url = closed_port_url()
    settings.save()


def test_doctor_prints_a_report_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "PROBLEM  Ollama is not installed." in out
    assert "→ Run `hybridcoder setup`" in out
    assert "Hardware" in out and "RAM" in out
    assert "Recommended for this machine: chat qwen2.5-coder:" in out
    assert "nothing was changed" in out


def test_doctor_json_is_valid_and_has_the_gpu_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["problem"] >= 1
    assert {"area", "level", "text", "fix"} <= set(data["checks"][0])
    hardware = data["hardware"]
    assert {"gpus", "accelerator", "ram_total_bytes", "probe_notes", "disk_free_bytes"} <= set(hardware)
    for gpu in hardware["gpus"]:
        assert {"name", "total_bytes", "free_bytes", "driver_version", "compute_capability"} <= set(gpu)
    assert data["ollama"]["installed"] is False and data["ollama"]["running"] is False
    assert data["recommendation"]["chat"]["tag"].startswith("qwen2.5-coder:")


def test_no_key_in_doctor_output_or_any_file_the_app_wrote(capsys: pytest.CaptureFixture[str],
                                                           app_home: Path) -> None:
    KeyStore().set("anthropic", ANTHROPIC_KEY)
    assert main(["doctor"]) == 0
    assert main(["doctor", "--json"]) == 0
    out, err = capsys.readouterr()
    assert ANTHROPIC_KEY not in out + err
    assert "sk-ant-...WXYZ" in out
    written = [p for p in app_home.rglob("*") if p.is_file()]
    assert written  # at least the settings file and the log
    for path in written:
        assert ANTHROPIC_KEY not in path.read_text(errors="replace"), path
