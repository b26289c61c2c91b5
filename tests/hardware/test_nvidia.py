"""NVIDIA probe through NVML, driven by a recorded fake that raises the real NVML errors."""

from __future__ import annotations

from pathlib import Path

import pynvml
import pytest

from hybridcoder.doctor import run_doctor
from hybridcoder.hardware.nvidia import driver_missing_note, nvidia_pci_devices, probe_nvidia
from hybridcoder.hardware.scan import scan_hardware
from hybridcoder.settings import Settings
from tests.hardware.fakes import GIB, MIB, FakeDevice, FakeNVML, rtx_3070
from tests.test_doctor import closed_port_url


def test_no_driver_means_no_gpu_with_the_reason() -> None:
    nvml = FakeNVML(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    result = probe_nvidia(nvml)
    assert result.gpus == ()
    [note] = result.notes
    assert not note.found
    assert "no NVIDIA driver" in note.text
    assert "shutdown" not in nvml.calls  # nothing to shut down when init failed


@pytest.mark.parametrize(("code", "phrase"), [
    (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "not loaded"),
    (pynvml.NVML_ERROR_NO_PERMISSION, "no permission"),
    (pynvml.NVML_ERROR_UNKNOWN, "NVML error: Unknown Error"),
])
def test_other_init_failures_are_soft(code: int, phrase: str) -> None:
    result = probe_nvidia(FakeNVML(init_error=code))
    assert result.gpus == ()
    assert phrase in result.notes[0].text


def test_reads_every_gpu_and_always_shuts_nvml_down() -> None:
    nvml = FakeNVML(devices=[
        rtx_3070(),
        FakeDevice(b"NVIDIA RTX A4000", total=16376 * MIB, free=16000 * MIB, capability=(8, 6)),
    ], driver=b"535.104.05")
    result = probe_nvidia(nvml)
    first, second = result.gpus
    assert (first.name, first.total_bytes, first.free_bytes) == ("NVIDIA GeForce RTX 3070", 8 * GIB, 7600 * MIB)
    assert second.name == "NVIDIA RTX A4000"  # bytes from older bindings are decoded
    assert first.driver_version == "535.104.05"
    assert first.compute_capability == (8, 6)
    assert first.usable and first.source == "nvml"
    assert nvml.calls == ["init", "shutdown"]
    assert result.notes[0].found and "2 NVIDIA GPU(s)" in result.notes[0].text


def test_gpu_below_ollamas_compute_floor_is_not_usable() -> None:
    old = FakeDevice("NVIDIA GeForce GTX 780", total=3 * GIB, free=3 * GIB, capability=(3, 5))
    [gpu] = probe_nvidia(FakeNVML(devices=[old])).gpus
    assert not gpu.usable
    assert "compute capability 3.5" in gpu.unusable_reason


def test_one_unreadable_gpu_does_not_hide_the_others() -> None:
    locked = FakeDevice("NVIDIA A100", total=40 * GIB, free=40 * GIB, memory_error=pynvml.NVML_ERROR_NO_PERMISSION)
    result = probe_nvidia(FakeNVML(devices=[locked, rtx_3070()]))
    assert [g.name for g in result.gpus] == ["NVIDIA GeForce RTX 3070"]
    assert any("GPU 0 could not be read" in n.text and "no permission" in n.text for n in result.notes)


def test_missing_compute_capability_keeps_the_gpu() -> None:
    device = FakeDevice("NVIDIA Tesla T4", total=15360 * MIB, free=15000 * MIB, capability=None)
    [gpu] = probe_nvidia(FakeNVML(devices=[device])).gpus
    assert gpu.compute_capability is None and gpu.usable


def test_driver_without_gpus() -> None:
    result = probe_nvidia(FakeNVML(devices=[]))
    assert result.gpus == () and "reports no GPU" in result.notes[0].text


def test_unexpected_exception_from_the_library_is_soft() -> None:
    class Broken(FakeNVML):
        def nvmlDeviceGetCount(self) -> int:
            raise OSError("ctypes exploded")

    nvml = Broken()
    result = probe_nvidia(nvml)
    assert result.gpus == () and "query failed" in result.notes[0].text
    assert nvml.calls[-1] == "shutdown"


def test_real_nvml_on_this_machine_never_raises() -> None:
    result = probe_nvidia()
    if result.gpus:  # a GPU machine: the numbers must be sane
        assert all(g.total_bytes > GIB and g.name for g in result.gpus)
    else:
        assert result.notes and not result.notes[0].found


def write_pci(root: Path, slot: str, vendor: str, klass: str) -> None:
    device = root / "bus" / "pci" / "devices" / slot
    device.mkdir(parents=True)
    (device / "vendor").write_text(vendor + "\n")
    (device / "class").write_text(klass + "\n")


def test_nvidia_card_without_a_working_driver_is_reported_with_the_fix(tmp_path: Path) -> None:
    write_pci(tmp_path, "0000:01:00.0", "0x10de", "0x030000")  # GeForce (VGA controller)
    write_pci(tmp_path, "0000:01:00.1", "0x10de", "0x040300")  # its HDMI audio function: not a GPU
    write_pci(tmp_path, "0000:00:02.0", "0x8086", "0x030000")  # Intel iGPU
    assert nvidia_pci_devices(tmp_path) == 1
    profile = scan_hardware(platform="linux", nvml=FakeNVML(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND),
                            sysfs_root=tmp_path, models_dir=tmp_path)
    [note] = [n for n in profile.probe_notes if n.fix]
    assert "driver is not working" in note.text and note.fix and "NVIDIA driver" in note.fix
    settings = Settings.load()
    settings.ollama.url = closed_port_url()
    checks = run_doctor(settings, profile=profile).checks
    assert any(c.level == "warning" and "driver is not working" in c.text and c.fix for c in checks)


def test_no_nvidia_on_the_pci_bus_adds_no_note(tmp_path: Path) -> None:
    write_pci(tmp_path, "0000:00:02.0", "0x8086", "0x030000")
    assert driver_missing_note(tmp_path) is None
    assert nvidia_pci_devices(tmp_path / "missing") == 0
