"""The whole scan: probes per OS combined into one profile, and the real scan on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pynvml

from hybridcoder.hardware.profile import HardwareProfile
from hybridcoder.hardware.scan import scan_hardware
from hybridcoder.recommend import recommend_models
from tests.hardware.fakes import GIB, FakeNVML, FakeRegistry, amd_card, rtx_3070, write_card
from tests.hardware.test_windows import recorded_registry


def test_real_scan_on_this_machine_is_sane() -> None:
    profile = scan_hardware()
    assert isinstance(profile, HardwareProfile)
    assert profile.ram_total_bytes > GIB
    assert profile.cpu_cores_logical and profile.cpu_cores_logical >= 1
    assert profile.models_dir and profile.disk_free_bytes and profile.disk_free_bytes > 0
    assert profile.probe_notes  # every probe says what it found or why not
    if not profile.gpus:
        assert profile.accelerator == "cpu"
        assert any(n.probe == "nvidia" and not n.found for n in profile.probe_notes)
    json.dumps(profile.as_json())  # what doctor --json prints


def test_linux_with_an_nvidia_card_recommends_for_its_vram(tmp_path: Path) -> None:
    nvml = FakeNVML(devices=[rtx_3070()])
    profile = scan_hardware(platform="linux", nvml=nvml, sysfs_root=tmp_path, models_dir=tmp_path)
    assert profile.accelerator == "nvidia"
    assert profile.best_gpu is not None and profile.best_gpu.total_bytes == 8 * GIB
    rec = recommend_models(profile)
    assert rec.chat is not None and rec.chat.tag == "qwen2.5-coder:7b"


def test_linux_amd_apu_only_means_cpu(tmp_path: Path) -> None:
    write_card(tmp_path, "card0", amd_card(512 * 1024**2, 15 * GIB, "AMD Radeon 780M"))
    profile = scan_hardware(platform="linux", nvml=FakeNVML(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND),
                            sysfs_root=tmp_path, models_dir=tmp_path)
    assert [g.name for g in profile.gpus] == ["AMD Radeon 780M"]
    assert profile.best_gpu is None and profile.accelerator == "cpu"
    rec = recommend_models(profile)
    assert rec.budget.on_cpu and "integrated" in rec.budget.cpu_reason


def test_windows_lists_nvidia_once_and_adds_other_adapters(tmp_path: Path) -> None:
    nvml = FakeNVML(devices=[rtx_3070()])
    profile = scan_hardware(platform="win32", nvml=nvml, registry=recorded_registry(), models_dir=tmp_path)
    names = [g.name for g in profile.gpus]
    assert names.count("NVIDIA GeForce RTX 3070") == 1
    assert "NVIDIA GeForce RTX 4090" not in names  # registry NVIDIA entries are NVML's job
    assert "AMD Radeon RX 6800 XT" in names
    assert profile.best_gpu is not None and profile.best_gpu.name == "AMD Radeon RX 6800 XT"


def test_mac_uses_the_apple_probe_and_skips_nvml(tmp_path: Path) -> None:
    nvml = FakeNVML(devices=[rtx_3070()])
    profile = scan_hardware(platform="darwin", machine="arm64", nvml=nvml, models_dir=tmp_path,
                            apple_metal=lambda: ("Apple M3 Max", 48 * GIB), apple_sysctl=lambda key: None)
    assert nvml.calls == []
    assert profile.accelerator == "apple"
    assert recommend_models(profile).budget.kind == "unified"


def test_a_crashing_probe_becomes_a_note(tmp_path: Path) -> None:
    class Exploding(FakeRegistry):
        def subkeys(self, path: str) -> list[str]:
            raise RuntimeError("boom")

    profile = scan_hardware(platform="win32", nvml=FakeNVML(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND),
                            registry=Exploding({}), models_dir=tmp_path)
    assert profile.gpus == ()
    assert any(n.probe == "windows" and "failed unexpectedly" in n.text for n in profile.probe_notes)
