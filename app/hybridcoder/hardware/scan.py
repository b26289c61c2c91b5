"""Scan this machine: run the probes that apply to its OS and build a HardwareProfile.

    python -c "from hybridcoder.hardware.scan import scan_hardware; print(scan_hardware())"

Each probe's inputs are injectable (NVML module, sysfs root, Apple readers, registry
reader) so tests replay recorded results. A probe that fails in an unexpected way
is caught here too: the scan always returns a profile, with the reason in
``probe_notes``. It takes well under a second and does no network I/O; the GUI still
runs it off the UI thread because NVML can stall on a wedged driver.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from hybridcoder.hardware import amd, apple, nvidia, system, windows
from hybridcoder.hardware.profile import GpuInfo, HardwareProfile, ProbeNote, ProbeResult

log = logging.getLogger(__name__)

__all__ = ["scan_hardware"]


def _safely(probe: str, run: Callable[[], ProbeResult]) -> ProbeResult:
    try:
        return run()
    except Exception as exc:  # a probe bug must never take the app down
        log.warning("%s probe failed: %r", probe, exc)
        return ProbeResult.nothing(probe, f"The {probe} probe failed unexpectedly ({type(exc).__name__}).")


def scan_hardware(
    *,
    platform: str | None = None,
    nvml: ModuleType | Any | None = None,
    sysfs_root: Path = Path("/sys"),
    apple_metal: apple.MetalReader = apple.metal_working_set,
    apple_sysctl: apple.SysctlReader = apple.sysctl,
    machine: str | None = None,
    registry: windows.RegistryReader | None = None,
    models_dir: Path | None = None,
) -> HardwareProfile:
    """Probe GPUs (NVIDIA, AMD, Apple, Windows adapters), RAM, cores and disk; never raises."""
    platform = platform or sys.platform
    results: list[ProbeResult] = []
    if platform == "darwin":
        results.append(ProbeResult.nothing(nvidia.PROBE, "macOS: NVIDIA GPUs are not supported by Ollama."))
        results.append(_safely(apple.PROBE, lambda: apple.probe_apple(
            system=platform, machine=machine, metal=apple_metal, sysctl_reader=apple_sysctl)))
    else:
        results.append(_safely(nvidia.PROBE, lambda: nvidia.probe_nvidia(nvml)))
    if platform.startswith("linux"):
        if not results[0].gpus:
            missing = _safely(nvidia.PROBE, lambda: ProbeResult((), tuple(
                n for n in (nvidia.driver_missing_note(sysfs_root),) if n is not None)))
            results.append(missing)
        results.append(_safely(amd.PROBE, lambda: amd.probe_amd(sysfs_root)))
    if platform == "win32" or registry is not None:
        covered = frozenset(g.vendor for r in results for g in r.gpus)
        results.append(_safely(windows.PROBE, lambda: windows.probe_windows(
            registry, skip_vendors=covered, platform=platform)))
    try:
        info = system.probe_system(models_dir)
    except Exception as exc:  # probe_system is soft already; this guards its own bugs
        log.warning("system probe failed: %r", exc)
        info = system.SystemInfo("unknown", "unknown", None, None, 0, None, str(models_dir or ""), None,
                                 (ProbeNote(system.PROBE, False, "System information could not be read."),))
    gpus: list[GpuInfo] = [g for r in results for g in r.gpus]
    notes: list[ProbeNote] = [n for r in results for n in r.notes]
    notes.extend(info.notes)
    return HardwareProfile(
        os_name=info.os_name,
        arch=info.arch,
        cpu_cores_physical=info.cpu_cores_physical,
        cpu_cores_logical=info.cpu_cores_logical,
        ram_total_bytes=info.ram_total_bytes,
        ram_available_bytes=info.ram_available_bytes,
        models_dir=info.models_dir,
        disk_free_bytes=info.disk_free_bytes,
        gpus=tuple(gpus),
        probe_notes=tuple(notes),
    )


if __name__ == "__main__":  # a quick look on a new machine: python -m hybridcoder.hardware.scan
    import json

    print(json.dumps(scan_hardware().as_json(), indent=2))
