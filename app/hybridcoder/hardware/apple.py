"""Apple Silicon: one pool of unified memory, of which macOS lets the GPU wire a share.

The budget for models is Metal's ``recommendedMaxWorkingSetSize`` when pyobjc's Metal
bindings are importable (what llmfit uses). Otherwise it is :data:`APPLE_GPU_SHARE` of
``sysctl -n hw.memsize``: observed working sets are 0.74-0.80 of RAM (llmfit fixture:
16 GB → 11.84 GB; LM Studio #2017: 64 GB → 51 GB), and we take the low end so the
estimate never promises more than macOS grants. Intel Macs run Ollama on the CPU.

Both readers are injectable for tests. Never raises.
"""

from __future__ import annotations

import logging
import platform
import subprocess
import sys
from collections.abc import Callable

from hybridcoder.hardware.profile import GpuInfo, ProbeNote, ProbeResult

log = logging.getLogger(__name__)

PROBE = "apple"

#: Share of RAM used as the GPU budget when Metal cannot be asked (low end of 0.74-0.80).
APPLE_GPU_SHARE = 0.74

MetalReader = Callable[[], "tuple[str, int] | None"]
SysctlReader = Callable[[str], "str | None"]


def metal_working_set() -> tuple[str, int] | None:
    """(GPU name, recommendedMaxWorkingSetSize) from Metal via pyobjc, or None."""
    try:
        import Metal  # type: ignore[import-not-found]  # pyobjc-framework-Metal, macOS only
    except Exception:
        return None
    try:
        device = Metal.MTLCreateSystemDefaultDevice()
        if device is None:
            return None
        return str(device.name()), int(device.recommendedMaxWorkingSetSize())
    except Exception:
        log.info("Metal query failed", exc_info=True)
        return None


def sysctl(key: str) -> str | None:
    """``sysctl -n key`` or None (2 s limit: a probe must stay quick)."""
    try:
        done = subprocess.run(["sysctl", "-n", key], capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else None


def probe_apple(
    *,
    system: str | None = None,
    machine: str | None = None,
    metal: MetalReader = metal_working_set,
    sysctl_reader: SysctlReader = sysctl,
) -> ProbeResult:
    """The Apple Silicon GPU with its usable working set, or a note why there is none."""
    system = system or sys.platform
    machine = machine or platform.machine()
    if system != "darwin":
        return ProbeResult.nothing(PROBE, "Not a Mac, so no Apple GPU.")
    if machine != "arm64":
        return ProbeResult.nothing(PROBE, "Intel Mac: Ollama runs models on the CPU.")
    from_metal = metal()
    if from_metal is not None:
        name, working_set = from_metal
        gpu = GpuInfo(vendor="apple", name=name, total_bytes=working_set, unified_memory=True, source="metal")
        note = ProbeNote(PROBE, True, f"{name}: unified memory, GPU working set from Metal.")
        return ProbeResult((gpu,), (note,))
    memsize_text = sysctl_reader("hw.memsize")
    try:
        memsize = int(memsize_text) if memsize_text else 0
    except ValueError:
        memsize = 0
    if memsize <= 0:
        return ProbeResult.nothing(PROBE, "Apple Silicon Mac, but its memory size could not be read.")
    name = sysctl_reader("machdep.cpu.brand_string") or "Apple Silicon GPU"
    gpu = GpuInfo(vendor="apple", name=name, total_bytes=int(memsize * APPLE_GPU_SHARE),
                  unified_memory=True, source="sysctl")
    note = ProbeNote(PROBE, True, f"{name}: unified memory; GPU budget is {APPLE_GPU_SHARE:.0%} of RAM "
                                  "(Metal could not be queried).")
    return ProbeResult((gpu,), (note,))
