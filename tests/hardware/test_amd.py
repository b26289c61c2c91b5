"""AMD probe through a fake sysfs tree: discrete vs integrated by Ollama's iGPU rule."""

from __future__ import annotations

from pathlib import Path

from hybridcoder.hardware.amd import is_integrated, probe_amd
from tests.hardware.fakes import GIB, MIB, amd_card, write_card


def test_discrete_and_integrated_gpus_are_told_apart(tmp_path: Path) -> None:
    write_card(tmp_path, "card0", amd_card(16 * GIB, 31 * GIB, "AMD Radeon RX 7800 XT", used=900 * MIB))
    write_card(tmp_path, "card1", amd_card(512 * MIB, 15 * GIB, "AMD Radeon 780M"))
    (tmp_path / "class" / "drm" / "card0-DP-1").mkdir()  # a connector, not a GPU
    (tmp_path / "class" / "drm" / "renderD128").mkdir()
    write_card(tmp_path, "card2", {"vendor": "0x10de"})  # NVIDIA: not this probe's business
    result = probe_amd(tmp_path)
    discrete, integrated = result.gpus
    assert (discrete.name, discrete.total_bytes, discrete.free_bytes) == (
        "AMD Radeon RX 7800 XT", 16 * GIB, 16 * GIB - 900 * MIB)
    assert not discrete.integrated and discrete.usable and discrete.index == 0
    assert integrated.integrated and not integrated.usable
    assert "integrated" in integrated.unusable_reason
    assert result.notes[0].found and "discrete" in result.notes[0].text


def test_igpu_rule_boundaries() -> None:
    assert is_integrated(4 * GIB, 16 * GIB)          # small carve-out backed by a big GTT
    assert not is_integrated(8 * GIB, 32 * GIB)      # more than 4 GiB VRAM: a real card
    assert not is_integrated(4 * GIB, 12 * GIB)      # GTT under 4 x VRAM
    assert not is_integrated(2 * GIB, 6 * GIB)       # GTT under 8 GiB
    assert not is_integrated(2 * GIB, None)          # no GTT reported: assume discrete


def test_amd_device_without_memory_info_is_a_note(tmp_path: Path) -> None:
    write_card(tmp_path, "card0", {"vendor": "0x1002", "device": "0x6798"})  # radeon driver, not amdgpu
    result = probe_amd(tmp_path)
    assert result.gpus == ()
    assert any("no VRAM information" in n.text for n in result.notes)


def test_missing_product_name_falls_back_to_device_id(tmp_path: Path) -> None:
    files = amd_card(8 * GIB, 16 * GIB, "x")
    del files["product_name"]
    write_card(tmp_path, "card0", files)
    [gpu] = probe_amd(tmp_path).gpus
    assert gpu.name == "AMD GPU (device 0x747e)"


def test_no_drm_folder_means_no_gpu(tmp_path: Path) -> None:
    result = probe_amd(tmp_path)
    assert result.gpus == () and "no DRM devices" in result.notes[0].text


def test_only_other_vendors(tmp_path: Path) -> None:
    write_card(tmp_path, "card0", {"vendor": "0x8086"})
    result = probe_amd(tmp_path)
    assert result.gpus == () and "vendor 0x1002" in result.notes[0].text
