"""Described machines (``models recommend --vram-gb/--ram-gb/--gpu``)."""

from __future__ import annotations

import pytest

from hybridcoder.hardware.apple import APPLE_GPU_SHARE
from hybridcoder.hardware.profile import GpuInfo, HardwareProfile
from tests.hardware.fakes import GIB


def test_vram_is_counted_as_the_card_is_sold() -> None:
    profile = HardwareProfile.described(vram_gb=8, ram_gb=32, gpu="nvidia")
    assert profile.is_described
    assert profile.best_gpu is not None and profile.best_gpu.total_bytes == 8 * GIB
    assert profile.ram_total_bytes == 32 * GIB and profile.accelerator == "nvidia"


def test_apple_without_vram_uses_the_ram_share() -> None:
    profile = HardwareProfile.described(ram_gb=16, gpu="apple")
    gpu = profile.best_gpu
    assert gpu is not None and gpu.unified_memory
    assert gpu.total_bytes == int(16 * GIB * APPLE_GPU_SHARE)


def test_undescribed_parts_come_from_the_base_machine() -> None:
    base = HardwareProfile("Linux", "x86_64", 8, 16, 64 * GIB, 50 * GIB, "/m", 100 * GIB)
    profile = HardwareProfile.described(vram_gb=12, base=base)
    assert profile.ram_total_bytes == 64 * GIB and profile.cpu_cores_logical == 16
    assert profile.best_gpu is not None and profile.best_gpu.vendor == "nvidia"


def test_cpu_only_description() -> None:
    profile = HardwareProfile.described(ram_gb=8, gpu="none")
    assert profile.gpus == () and profile.accelerator == "cpu"


@pytest.mark.parametrize(("kwargs", "phrase"), [
    ({"vram_gb": 8, "gpu": "none"}, "--gpu none"),
    ({"gpu": "amd"}, "--vram-gb"),
    ({"vram_gb": -1}, "above 0 and at most 4096"),
    ({"gpu": "intel-arc", "vram_gb": 8}, "unknown GPU kind"),
])
def test_impossible_descriptions_are_refused(kwargs: dict[str, object], phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        HardwareProfile.described(**kwargs)  # type: ignore[arg-type]


def test_best_gpu_prefers_usable_and_largest() -> None:
    igpu = GpuInfo("intel", "UHD", 2 * GIB, integrated=True, usable=False)
    small = GpuInfo("nvidia", "small", 6 * GIB)
    big = GpuInfo("amd", "big", 16 * GIB)
    profile = HardwareProfile("Linux", "x86_64", 4, 8, 16 * GIB, 8 * GIB, gpus=(igpu, small, big))
    assert profile.best_gpu is big
    assert profile.as_json()["best_gpu_index"] == 2
