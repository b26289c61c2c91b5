"""NVIDIA GPUs through NVML (the ``pynvml`` module from the ``nvidia-ml-py`` package).

NVML ships with the driver (``libnvidia-ml.so.1`` / ``nvml.dll``), so a machine without
the driver raises ``NVMLError_LibraryNotFound`` at ``nvmlInit``; that and every other
NVML failure become a "no NVIDIA GPU" note with the reason. The module is injectable so
tests drive every path with a recorded fake that raises the real NVML error classes.

Never raises; never leaves NVML initialised.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from hybridcoder.hardware.profile import GpuInfo, ProbeNote, ProbeResult

log = logging.getLogger(__name__)

PROBE = "nvidia"
NVIDIA_VENDOR_ID = "0x10de"
#: PCI class codes of display controllers: VGA (0x0300xx) and 3D controller (0x0302xx, datacentre cards).
_DISPLAY_CLASSES = ("0x0300", "0x0302")

#: Ollama's support floor (docs/gpu.mdx): older GPUs are ignored and models run on the CPU.
MIN_COMPUTE_CAPABILITY = (5, 0)

#: NVML error class name → the sentence a person reads.
_REASONS = {
    "NVMLError_LibraryNotFound": "no NVIDIA driver found (the NVML library is not installed)",
    "NVMLError_DriverNotLoaded": "the NVIDIA driver is installed but not loaded; reboot or check `nvidia-smi`",
    "NVMLError_NoPermission": "no permission to query the NVIDIA driver",
    "NVMLError_LibRmVersionMismatch": "the NVIDIA driver and its library versions differ; reboot after the driver update",
    "NVMLError_FunctionNotFound": "the NVIDIA driver is too old for this query",
}


def _text(value: Any) -> str:
    """NVML returns ``bytes`` in older bindings and ``str`` in newer ones."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    return _REASONS.get(name, f"NVML error: {exc}")


def _load_nvml() -> ModuleType | str:
    try:
        import pynvml
    except Exception as exc:  # missing package, or a broken ctypes environment
        return f"the nvidia-ml-py package is not available ({type(exc).__name__})"
    module: ModuleType = pynvml
    return module


def probe_nvidia(nvml: ModuleType | Any | None = None) -> ProbeResult:
    """List NVIDIA GPUs with name, total/free VRAM, driver version and compute capability."""
    module = nvml if nvml is not None else _load_nvml()
    if isinstance(module, str):
        return ProbeResult.nothing(PROBE, f"No NVIDIA GPU detected: {module}.")
    error_type: type[BaseException] = getattr(module, "NVMLError", Exception)
    try:
        module.nvmlInit()
    except error_type as exc:
        return ProbeResult.nothing(PROBE, f"No NVIDIA GPU detected: {_reason(exc)}.")
    except Exception as exc:  # OSError from ctypes and the like: still "no GPU", never a crash
        log.info("NVML init failed unexpectedly: %r", exc)
        return ProbeResult.nothing(PROBE, f"No NVIDIA GPU detected: NVML failed ({type(exc).__name__}).")
    try:
        return _read_devices(module, error_type)
    except Exception as exc:
        log.info("NVML query failed: %r", exc)
        return ProbeResult.nothing(PROBE, f"NVIDIA driver found but the GPU query failed: {_reason(exc)}.")
    finally:
        try:
            module.nvmlShutdown()
        except Exception:  # shutting down a half-initialised library is best effort
            log.debug("nvmlShutdown failed", exc_info=True)


def _read_devices(module: Any, error_type: type[BaseException]) -> ProbeResult:
    try:
        driver: str | None = _text(module.nvmlSystemGetDriverVersion())
    except error_type:
        driver = None
    count = int(module.nvmlDeviceGetCount())
    if count == 0:
        return ProbeResult.nothing(PROBE, "The NVIDIA driver is loaded but reports no GPU.")
    gpus: list[GpuInfo] = []
    notes: list[ProbeNote] = []
    for index in range(count):
        try:
            handle = module.nvmlDeviceGetHandleByIndex(index)
            name = _text(module.nvmlDeviceGetName(handle))
            memory = module.nvmlDeviceGetMemoryInfo(handle)
        except error_type as exc:
            notes.append(ProbeNote(PROBE, False, f"NVIDIA GPU {index} could not be read: {_reason(exc)}."))
            continue
        try:
            major, minor = module.nvmlDeviceGetCudaComputeCapability(handle)
            capability: tuple[int, int] | None = (int(major), int(minor))
        except error_type:
            capability = None
        usable, why = True, ""
        if capability is not None and capability < MIN_COMPUTE_CAPABILITY:
            usable = False
            why = (f"compute capability {capability[0]}.{capability[1]} is below Ollama's minimum "
                   f"{MIN_COMPUTE_CAPABILITY[0]}.{MIN_COMPUTE_CAPABILITY[1]}, so models run on the CPU")
        gpus.append(GpuInfo(
            vendor="nvidia", name=name, total_bytes=int(memory.total), free_bytes=int(memory.free),
            driver_version=driver, compute_capability=capability, source="nvml", index=index,
            usable=usable, unusable_reason=why,
        ))
    if gpus:
        names = ", ".join(g.name for g in gpus)
        notes.insert(0, ProbeNote(PROBE, True, f"Found {len(gpus)} NVIDIA GPU(s) via NVML: {names}."))
    return ProbeResult(tuple(gpus), tuple(notes))


def nvidia_pci_devices(sysfs_root: Path = Path("/sys")) -> int:
    """How many NVIDIA display controllers Linux sees on the PCI bus, driver or not.

    Lets the report tell "no NVIDIA GPU" from "an NVIDIA GPU whose driver is missing".
    """
    count = 0
    try:
        devices = list((sysfs_root / "bus" / "pci" / "devices").iterdir())
    except OSError:
        return 0
    for device in devices:
        try:
            vendor = (device / "vendor").read_text().strip().lower()
            klass = (device / "class").read_text().strip().lower()
        except OSError:
            continue
        if vendor == NVIDIA_VENDOR_ID and klass.startswith(_DISPLAY_CLASSES):
            count += 1
    return count


def driver_missing_note(sysfs_root: Path = Path("/sys")) -> ProbeNote | None:
    """A note when the PCI bus shows an NVIDIA GPU that NVML could not reach."""
    count = nvidia_pci_devices(sysfs_root)
    if not count:
        return None
    return ProbeNote(PROBE, False,
                     f"{count} NVIDIA GPU(s) found on the PCI bus, but the NVIDIA driver is not working, so "
                     "Ollama cannot use them.",
                     fix="Install or repair the NVIDIA driver (version 550 or newer), reboot, then run "
                         "`hybridcoder doctor` again.")
