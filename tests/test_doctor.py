"""The doctor's report: useful with no GPU and no Ollama, quick, soft, keys masked."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybridcoder.doctor import Check, run_checks, run_doctor
from hybridcoder.hardware.profile import HardwareProfile
from hybridcoder.keys import KeyStore
from hybridcoder.settings import Settings
from tests.conftest import MemoryKeyring
from tests.emulators.ollama import OllamaEmulator

ANTHROPIC_KEY = "sk-ant-api03-Zx9TESTKEYdoNotLeak-0123456789abcdefWXYZ"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No ollama anywhere (PATH and default locations), no coding tools."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    monkeypatch.setattr("hybridcoder.ollama.detect.default_binary_locations", lambda platform=None: [])
    monkeypatch.setattr("hybridcoder.ollama.detect.desktop_app_locations", lambda platform=None: [])
    yield empty_bin


def settings_for(url: str) -> Settings:
    settings = Settings.load()
    settings.ollama.url = url
    return settings


def cpu_machine() -> HardwareProfile:
    return HardwareProfile.described(ram_gb=16, gpu="none")


def test_no_gpu_no_ollama_gives_a_useful_report_quickly(bare_machine: Path) -> None:
    started = time.monotonic()
    report = run_doctor(settings_for(closed_port_url()))  # the real hardware scan of this machine
    elapsed = time.monotonic() - started
    assert elapsed < 5
    by_area = {c.area for c in report.checks}
    assert {"settings", "hardware", "recommendation", "ollama", "disk", "keys", "clients"} <= by_area
    ollama = [c for c in report.checks if c.area == "ollama"]
    assert ollama[0].level == "problem" and "not installed" in ollama[0].text
    assert ollama[0].fix and "hybridcoder setup" in ollama[0].fix
    assert report.recommendation is not None and report.recommendation.chat is not None
    assert report.hardware is not None
    if report.hardware.best_gpu is None:  # this machine: no GPU, and the report says why
        warning = next(c for c in report.checks if c.area == "hardware" and c.level == "warning")
        assert "CPU" in warning.text and warning.fix
        assert any(c.area == "hardware" and c.text.startswith("nvidia:") for c in report.checks)
    assert any(c.area == "clients" and "No supported coding tool" in c.text for c in report.checks)
    json.dumps(report.as_json())


def test_installed_but_not_running(bare_machine: Path) -> None:
    fake = bare_machine / "ollama"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    checks = run_doctor(settings_for(closed_port_url()), profile=cpu_machine()).checks
    [line] = [c for c in checks if c.area == "ollama"]
    assert line.level == "problem" and "installed" in line.text and "not answering" in line.text
    assert line.fix and "ollama serve" in line.fix


def test_running_ollama_lists_models_and_missing_configured_ones(bare_machine: Path,
                                                                  ollama_emulator: OllamaEmulator) -> None:
    settings = settings_for(ollama_emulator.url)
    settings.models.chat = "qwen2.5-coder:7b"
    settings.models.autocomplete = "qwen2.5-coder:3b-base"  # not installed in the emulator
    report = run_doctor(settings, profile=HardwareProfile.described(vram_gb=8, ram_gb=32, gpu="nvidia"))
    ollama = next(c for c in report.checks if c.area == "ollama")
    assert ollama.level == "ok" and "0.32.15" in ollama.text
    assert report.installed_models and "qwen2.5-coder:7b" in report.installed_models
    models = [c for c in report.checks if c.area == "models"]
    assert models[0].level == "ok" and "qwen2.5-coder:1.5b-base" in models[0].text
    [missing] = [c for c in models if c.level == "problem"]
    assert "qwen2.5-coder:3b-base" in missing.text and missing.fix == "Run `hybridcoder models pull qwen2.5-coder:3b-base`."
    assert not any(c.level == "problem" and "qwen2.5-coder:7b " in c.text for c in models)


def test_configured_models_too_big_for_the_machine(bare_machine: Path) -> None:
    settings = settings_for(closed_port_url())
    settings.models.chat = "qwen2.5-coder:32b"
    checks = run_checks_with(settings, HardwareProfile.described(vram_gb=8, ram_gb=32, gpu="nvidia"))
    warning = next(c for c in checks if c.area == "recommendation" and "configured models" in c.text)
    assert warning.level == "warning" and "CPU" in warning.text
    assert warning.fix and "qwen2.5-coder:7b" in warning.fix


def run_checks_with(settings: Settings, profile: HardwareProfile) -> list[Check]:
    return run_doctor(settings, profile=profile).checks


def test_keys_are_only_ever_shown_masked(bare_machine: Path, memory_keyring: MemoryKeyring) -> None:
    KeyStore().set("anthropic", ANTHROPIC_KEY)
    os.environ["OPENAI_API_KEY"] = "sk-proj-ENVKEYdoNotLeak-abcdefghijklmnop9876"
    try:
        report = run_doctor(settings_for(closed_port_url()), profile=cpu_machine())
    finally:
        del os.environ["OPENAI_API_KEY"]
    text = json.dumps(report.as_json())
    assert ANTHROPIC_KEY not in text and "doNotLeak" not in text
    keys = [c for c in report.checks if c.area == "keys"]
    assert any(c.level == "ok" and "sk-ant-...WXYZ" in c.text and "keyring" in c.text for c in keys)
    assert any("sk-proj...9876" in c.text and "environment" in c.text for c in keys)


def test_missing_key_for_the_cloud_provider_is_a_warning(bare_machine: Path) -> None:
    checks = run_doctor(settings_for(closed_port_url()), profile=cpu_machine()).checks
    warning = next(c for c in checks if c.area == "keys" and "No Anthropic key" in c.text)
    assert warning.level == "warning" and warning.fix and "keys set anthropic" in warning.fix


def test_no_keyring_is_reported(bare_machine: Path) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # the autouse fixture restores the previous backend
    checks = run_doctor(settings_for(closed_port_url()), profile=cpu_machine()).checks
    line = next(c for c in checks if c.area == "keys")
    assert line.level == "warning" and "No system keyring" in line.text and line.fix


def test_a_failing_check_becomes_a_problem_line(bare_machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode() -> list[object]:
        raise RuntimeError("detector bug")

    monkeypatch.setattr("hybridcoder.clients.detect.detect_tools", explode)
    checks = run_checks(settings_for(closed_port_url()))
    line = next(c for c in checks if c.area == "clients")
    assert line.level == "problem" and "RuntimeError" in line.text
    assert any(c.area == "keys" for c in checks)  # the other sections still ran


def test_broken_settings_file_is_reported(bare_machine: Path, app_home: Path) -> None:
    settings_file = app_home / "config" / "settings.toml"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text("[ollama\nurl = ")
    settings = Settings.load()
    settings.ollama.url = closed_port_url()
    checks = run_doctor(settings, profile=cpu_machine()).checks
    line = next(c for c in checks if c.area == "settings")
    assert line.level == "warning" and "moved" in line.text


def test_a_port_that_never_answers_costs_at_most_two_seconds(bare_machine: Path) -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        report = run_doctor(settings_for(url), profile=cpu_machine())  # default probe timeout
        elapsed = time.monotonic() - started
    assert elapsed < 4  # the 2 s probe plus the other (local, quick) checks
    assert any(c.area == "ollama" and c.level == "problem" for c in report.checks)



def test_a_model_spilling_onto_the_cpu_is_a_warning(bare_machine: Path, ollama_emulator: OllamaEmulator) -> None:
    from hybridcoder.ollama import OllamaManager

    gpu_machine = HardwareProfile.described(vram_gb=8, ram_gb=32, gpu="nvidia")
    manager = OllamaManager(ollama_emulator.url, timeout=5)
    manager.load("qwen2.5-coder:1.5b-base", num_ctx=4096)
    checks = run_doctor(settings_for(ollama_emulator.url), profile=gpu_machine).checks
    assert any(c.level == "ok" and "fully on the GPU" in c.text for c in checks if c.area == "models")

    ollama_emulator.vram_bytes = 3 * 1024**3  # the 7B no longer fits: Ollama offloads layers to the CPU
    manager.load("qwen2.5-coder:7b", num_ctx=8192)
    checks = run_doctor(settings_for(ollama_emulator.url), profile=gpu_machine).checks
    spill = next(c for c in checks if c.area == "models" and c.level == "warning")
    assert "qwen2.5-coder:7b" in spill.text and "on the CPU" in spill.text and spill.fix


def test_a_malformed_ollama_url_is_named_with_its_fix(bare_machine: Path) -> None:
    checks = run_doctor(settings_for("not a url"), profile=cpu_machine()).checks
    line = next(c for c in checks if c.area == "ollama")
    assert line.level == "problem" and "is not a valid Ollama address" in line.text
    assert line.fix is not None and "[ollama]" in line.fix


def test_settings_of_the_wrong_kind_are_a_warning(bare_machine: Path, app_home: Path) -> None:
    settings_file = app_home / "config" / "settings.toml"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text('[proxy]\nport = "eleven"\n')
    settings = Settings.load()
    settings.ollama.url = closed_port_url()
    line = next(c for c in run_doctor(settings, profile=cpu_machine()).checks if c.area == "settings")
    assert line.level == "warning" and "proxy.port" in line.text


def test_a_remote_ollama_that_does_not_answer_is_not_called_missing(bare_machine: Path) -> None:
    """A configured URL on another machine: 'not answering there', never 'not installed' (nor an install)."""
    checks = run_doctor(settings_for("http://192.0.2.1:11434"), profile=cpu_machine(), ollama_timeout=0.3).checks
    [line] = [c for c in checks if c.area == "ollama"]
    assert line.level == "problem"
    assert "isn't answering at http://192.0.2.1:11434 (on another machine)" in line.text
    assert "not installed" not in line.text and line.fix and "install" not in line.fix.replace("ollama serve", "")


def test_default_address_with_nothing_installed_is_not_installed(bare_machine: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridcoder.ollama.detect import ServerProbe

    # nothing answers at the default address (whatever this machine runs there)
    monkeypatch.setattr("hybridcoder.ollama.detect.probe", lambda url, timeout=2.0: ServerProbe(url, False))
    checks = run_doctor(settings_for("http://127.0.0.1:11434"), profile=cpu_machine()).checks
    [line] = [c for c in checks if c.area == "ollama"]
    assert line.text == "Ollama is not installed."
