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


def test_doctor_prints_a_report_and_exits_1_for_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "PROBLEM  Ollama isn't answering at http://127.0.0.1:" in out and "not installed" in out
    assert "run `hybridcoder setup` to install one" in out
    assert "Hardware" in out and "RAM" in out
    assert "Recommended for this machine: chat qwen2.5-coder:" in out
    assert "nothing was changed" in out


def test_doctor_json_is_valid_and_has_the_gpu_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--json"]) == 1
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
    assert main(["doctor"]) == 1
    assert main(["doctor", "--json"]) == 1
    out, err = capsys.readouterr()
    assert ANTHROPIC_KEY not in out + err
    assert "sk-ant-...WXYZ" in out
    written = [p for p in app_home.rglob("*") if p.is_file()]
    assert written  # at least the settings file and the log
    for path in written:
        assert ANTHROPIC_KEY not in path.read_text(errors="replace"), path


def test_doctor_exits_0_without_problems_and_says_so_in_help(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridcoder.hardware.profile import HardwareProfile
    from tests.emulators.ollama import OllamaEmulator

    monkeypatch.setattr("hybridcoder.hardware.scan.scan_hardware",
                        lambda: HardwareProfile.described(vram_gb=8, ram_gb=32, gpu="nvidia"))
    with OllamaEmulator() as ollama:
        settings = Settings.load()
        settings.ollama.url = ollama.url
        settings.models.chat, settings.models.autocomplete = "qwen2.5-coder:7b", "qwen2.5-coder:1.5b-base"
        settings.save()
        assert main(["doctor"]) == 0  # warnings only (no key, no coding tool)
        assert main(["doctor", "--json"]) == 0
    out = capsys.readouterr().out
    assert "warning" in out.lower()
    assert main(["doctor", "--help"]) == 0
    assert "Exit status: 0 when no check is a PROBLEM" in capsys.readouterr().out
