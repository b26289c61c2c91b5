"""Windows display adapters from a recorded registry (memory above 4 GB, iGPU heuristic)."""

from __future__ import annotations

from hybridcoder.hardware.windows import DISPLAY_CLASS_KEY, is_integrated, probe_windows
from tests.hardware.fakes import GIB, MIB, FakeRegistry


def _key(name: str) -> str:
    return f"{DISPLAY_CLASS_KEY}\\{name}"


def recorded_registry() -> FakeRegistry:
    return FakeRegistry({
        _key("0000"): {"DriverDesc": "AMD Radeon RX 6800 XT", "MatchingDeviceId": "pci\\ven_1002&dev_73bf",
                       "HardwareInformation.qwMemorySize": 16 * GIB},
        _key("0001"): {"DriverDesc": "Intel(R) UHD Graphics 770", "MatchingDeviceId": "pci\\ven_8086&dev_4680",
                       "HardwareInformation.qwMemorySize": 128 * MIB},
        _key("0002"): {"DriverDesc": "NVIDIA GeForce RTX 4090", "MatchingDeviceId": "pci\\ven_10de&dev_2684",
                       "HardwareInformation.qwMemorySize": 24 * GIB},
        _key("0003"): {"DriverDesc": "Microsoft Basic Display Adapter"},  # no memory size: skipped
        _key("0004"): PermissionError,
        _key("Configuration\\Reset"): {},
        _key("0005"): {"DriverDesc": "AMD Radeon RX 580", "ProviderName": "Advanced Micro Devices, Inc.",
                       "HardwareInformation.MemorySize": (2 * GIB).to_bytes(4, "little")},
    })


def test_reads_memory_sizes_above_4_gb_and_skips_covered_vendors() -> None:
    result = probe_windows(recorded_registry(), skip_vendors=frozenset({"nvidia"}))
    names = {g.name: g for g in result.gpus}
    assert set(names) == {"AMD Radeon RX 6800 XT", "Intel(R) UHD Graphics 770", "AMD Radeon RX 580"}
    rx6800 = names["AMD Radeon RX 6800 XT"]
    assert rx6800.total_bytes == 16 * GIB and rx6800.usable and not rx6800.integrated
    assert names["Intel(R) UHD Graphics 770"].integrated
    assert not names["Intel(R) UHD Graphics 770"].usable
    rx580 = names["AMD Radeon RX 580"]
    assert rx580.total_bytes == 2 * GIB and rx580.vendor == "amd" and not rx580.integrated


def test_nvidia_adapters_are_listed_when_nvml_found_nothing() -> None:
    result = probe_windows(recorded_registry())
    assert "NVIDIA GeForce RTX 4090" in {g.name for g in result.gpus}


def test_integrated_heuristic() -> None:
    assert is_integrated("intel", "Intel(R) Iris(R) Xe Graphics", 2 * GIB)
    assert not is_integrated("intel", "Intel(R) Arc(TM) A770 Graphics", 16 * GIB)
    assert is_integrated("amd", "AMD Radeon(TM) Graphics", 4 * GIB)
    assert not is_integrated("amd", "AMD Radeon RX 6500 XT", 4 * GIB)
    assert is_integrated("nvidia", "NVIDIA GeForce MX110", 1 * GIB)  # under 2 GiB: shares memory


def test_off_windows_without_a_reader_is_a_note() -> None:
    result = probe_windows(platform="linux")
    assert result.gpus == () and "Not Windows" in result.notes[0].text


def test_unreadable_class_key_is_soft() -> None:
    result = probe_windows(FakeRegistry({}))
    assert result.gpus == () and "Could not read display adapters" in result.notes[0].text
