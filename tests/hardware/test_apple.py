"""Apple Silicon probe: Metal working set when available, else a documented share of RAM."""

from __future__ import annotations

from hybridcoder.hardware.apple import APPLE_GPU_SHARE, metal_working_set, probe_apple, sysctl
from tests.hardware.fakes import GIB


def _sysctl(values: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda key: values.get(key)


def test_metal_working_set_is_the_budget() -> None:
    result = probe_apple(system="darwin", machine="arm64", metal=lambda: ("Apple M2 Pro", 22_906_503_168),
                         sysctl_reader=_sysctl({}))
    [gpu] = result.gpus
    assert (gpu.vendor, gpu.name, gpu.total_bytes) == ("apple", "Apple M2 Pro", 22_906_503_168)
    assert gpu.unified_memory and gpu.source == "metal"


def test_without_metal_a_share_of_ram_is_used() -> None:
    result = probe_apple(system="darwin", machine="arm64", metal=lambda: None,
                         sysctl_reader=_sysctl({"hw.memsize": str(16 * GIB),
                                                "machdep.cpu.brand_string": "Apple M1"}))
    [gpu] = result.gpus
    assert gpu.total_bytes == int(16 * GIB * APPLE_GPU_SHARE)
    assert gpu.name == "Apple M1" and gpu.source == "sysctl"
    assert "74%" in result.notes[0].text


def test_unreadable_memsize_is_a_note() -> None:
    result = probe_apple(system="darwin", machine="arm64", metal=lambda: None,
                         sysctl_reader=_sysctl({"hw.memsize": "garbage"}))
    assert result.gpus == () and "could not be read" in result.notes[0].text


def test_intel_mac_and_other_systems_have_no_apple_gpu() -> None:
    assert "Intel Mac" in probe_apple(system="darwin", machine="x86_64").notes[0].text
    assert probe_apple(system="linux", machine="x86_64").gpus == ()


def test_real_readers_fail_soft_off_a_mac() -> None:
    assert metal_working_set() is None  # pyobjc's Metal is not importable here
    value = sysctl("hw.memsize")  # Linux sysctl does not know the key (or is absent): None
    assert value is None or value.isdigit()
