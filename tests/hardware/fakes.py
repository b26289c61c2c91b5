"""Recorded probe results for the hardware tests: a fake NVML module, sysfs trees, a registry.

The fake NVML raises the *real* ``pynvml.NVMLError`` classes (``NVMLError(12)`` becomes
``NVMLError_LibraryNotFound``), so the probe's error handling meets the same exceptions a
machine without a driver produces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pynvml

GIB = 1024**3
MIB = 1024**2


@dataclass
class FakeDevice:
    name: str | bytes
    total: int
    free: int
    capability: tuple[int, int] | None = (8, 6)
    #: NVML error code raised by nvmlDeviceGetMemoryInfo (e.g. NO_PERMISSION)
    memory_error: int | None = None


@dataclass
class FakeNVML:
    """Stands in for the ``pynvml`` module; attribute names match nvidia-ml-py's."""

    devices: list[FakeDevice] = field(default_factory=list)
    driver: str | bytes = "550.54.14"
    init_error: int | None = None
    calls: list[str] = field(default_factory=list)

    NVMLError = pynvml.NVMLError

    def nvmlInit(self) -> None:
        self.calls.append("init")
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlSystemGetDriverVersion(self) -> str | bytes:
        return self.driver

    def nvmlDeviceGetCount(self) -> int:
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> str | bytes:
        return self.devices[handle].name

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        device = self.devices[handle]
        if device.memory_error is not None:
            raise pynvml.NVMLError(device.memory_error)
        return SimpleNamespace(total=device.total, free=device.free, used=device.total - device.free)

    def nvmlDeviceGetCudaComputeCapability(self, handle: int) -> tuple[int, int]:
        capability = self.devices[handle].capability
        if capability is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return capability


def rtx_3070() -> FakeDevice:
    """nvidia-smi on an RTX 3070: 8192 MiB total."""
    return FakeDevice("NVIDIA GeForce RTX 3070", total=8192 * MIB, free=7600 * MIB)


def write_card(root: Path, card: str, files: dict[str, str]) -> Path:
    """A ``/sys/class/drm/<card>/device`` folder with the given files."""
    device = root / "class" / "drm" / card / "device"
    device.mkdir(parents=True)
    for name, text in files.items():
        (device / name).write_text(text + "\n")
    return device


def amd_card(vram: int, gtt: int, name: str, used: int = 0) -> dict[str, str]:
    return {
        "vendor": "0x1002",
        "device": "0x747e",
        "mem_info_vram_total": str(vram),
        "mem_info_vram_used": str(used),
        "mem_info_gtt_total": str(gtt),
        "product_name": name,
    }


class FakeRegistry:
    """HKLM as a dict of key path → values; a value of ``OSError`` means access denied."""

    def __init__(self, keys: dict[str, dict[str, Any] | type[OSError]]) -> None:
        self.keys = keys

    def subkeys(self, path: str) -> list[str]:
        prefix = path + "\\"
        names = {k[len(prefix):].split("\\")[0] for k in self.keys if k.startswith(prefix)}
        if not names:
            raise FileNotFoundError(path)
        return sorted(names)

    def values(self, path: str) -> dict[str, Any]:
        found = self.keys.get(path)
        if found is None:
            raise FileNotFoundError(path)
        if isinstance(found, type):
            raise found("access denied")
        return found
