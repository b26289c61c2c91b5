"""The hardware profile: the facts about a machine that decide which models it can run.

A profile comes from :func:`hybridcoder.hardware.scan.scan_hardware` (this machine) or
from :meth:`HardwareProfile.described` (a machine the user describes, e.g.
``models recommend --vram-gb 8``). Both look the same to the recommendation.

This module only holds data; it never probes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["GIB", "GpuInfo", "HardwareProfile", "ProbeNote", "ProbeResult"]

GIB = 1024**3

#: GPU vendors Hybrid Coder tells apart. "other" covers anything a registry lists that we do not know.
VENDORS = ("nvidia", "amd", "apple", "intel", "other")


@dataclass(frozen=True)
class GpuInfo:
    """One GPU as a probe saw it. Memory in bytes; ``None`` where the probe cannot tell."""

    vendor: str
    name: str
    total_bytes: int
    free_bytes: int | None = None
    driver_version: str | None = None
    compute_capability: tuple[int, int] | None = None
    #: Integrated GPUs share system RAM; Ollama's models then run on the CPU for our purposes.
    integrated: bool = False
    #: Apple Silicon: one pool of memory for CPU and GPU; total_bytes is the GPU's working set.
    unified_memory: bool = False
    #: Where the numbers came from: nvml, sysfs, metal, sysctl, registry or described.
    source: str = ""
    index: int = 0
    #: False when Ollama cannot use this GPU; ``unusable_reason`` says why in one sentence.
    usable: bool = True
    unusable_reason: str = ""

    @property
    def kind(self) -> str:
        if self.unified_memory:
            return "unified"
        return "integrated" if self.integrated else "discrete"

    def as_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "name": self.name,
            "kind": self.kind,
            "total_bytes": self.total_bytes,
            "free_bytes": self.free_bytes,
            "driver_version": self.driver_version,
            "compute_capability": (
                f"{self.compute_capability[0]}.{self.compute_capability[1]}"
                if self.compute_capability else None
            ),
            "source": self.source,
            "index": self.index,
            "usable": self.usable,
            "unusable_reason": self.unusable_reason or None,
        }


@dataclass(frozen=True)
class ProbeNote:
    """What one probe concluded, e.g. ``nvidia: no GPU (no NVIDIA driver: NVML library not found)``."""

    probe: str
    found: bool
    text: str
    #: What the user can do about it, when something can be done (e.g. install a driver).
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"probe": self.probe, "found": self.found, "text": self.text, "fix": self.fix}


@dataclass(frozen=True)
class ProbeResult:
    """What one vendor probe returns: the GPUs it found and its notes (always at least one)."""

    gpus: tuple[GpuInfo, ...] = ()
    notes: tuple[ProbeNote, ...] = ()

    @classmethod
    def nothing(cls, probe: str, reason: str) -> ProbeResult:
        """No GPU of this kind, and why (no driver, no permission, wrong OS...)."""
        return cls((), (ProbeNote(probe, False, reason),))


@dataclass(frozen=True)
class HardwareProfile:
    """A machine: OS, CPU, RAM, disk for models and GPUs, plus what each probe said."""

    os_name: str
    arch: str
    cpu_cores_physical: int | None
    cpu_cores_logical: int | None
    ram_total_bytes: int
    ram_available_bytes: int | None
    models_dir: str | None = None
    disk_free_bytes: int | None = None
    gpus: tuple[GpuInfo, ...] = ()
    probe_notes: tuple[ProbeNote, ...] = field(default=())
    #: True when the numbers were given by the user rather than measured.
    is_described: bool = False

    @property
    def best_gpu(self) -> GpuInfo | None:
        """The usable GPU with the most memory, or None.

        Ollama can split a model over several GPUs, but the split costs speed and the
        estimate gets shaky (LM Studio's "sums two GPUs" bug), so budgets use one GPU.
        """
        usable = [g for g in self.gpus if g.usable]
        if not usable:
            return None
        return max(usable, key=lambda g: (g.total_bytes, not g.integrated))

    @property
    def accelerator(self) -> str:
        """``nvidia``, ``amd``, ``apple``, ``intel`` or ``cpu``: what Ollama would compute on."""
        gpu = self.best_gpu
        return gpu.vendor if gpu else "cpu"

    def note(self, probe: str, found: bool, text: str) -> HardwareProfile:
        return replace(self, probe_notes=(*self.probe_notes, ProbeNote(probe, found, text)))

    def as_json(self) -> dict[str, Any]:
        best = self.best_gpu
        return {
            "described": self.is_described,
            "os": self.os_name,
            "arch": self.arch,
            "cpu_cores_physical": self.cpu_cores_physical,
            "cpu_cores_logical": self.cpu_cores_logical,
            "ram_total_bytes": self.ram_total_bytes,
            "ram_available_bytes": self.ram_available_bytes,
            "models_dir": self.models_dir,
            "disk_free_bytes": self.disk_free_bytes,
            "accelerator": self.accelerator,
            "best_gpu_index": self.gpus.index(best) if best else None,
            "gpus": [g.as_json() for g in self.gpus],
            "probe_notes": [n.as_json() for n in self.probe_notes],
        }

    @classmethod
    def described(
        cls,
        *,
        vram_gb: float | None = None,
        ram_gb: float | None = None,
        gpu: str | None = None,
        base: HardwareProfile | None = None,
    ) -> HardwareProfile:
        """A machine the user describes (``--vram-gb 8 --gpu nvidia``); GB here means GiB.

        Cards are sold as "8 GB" and hold 8 GiB, so ``vram_gb=8`` is 8 GiB. What is not
        described comes from ``base`` (usually this machine's RAM and cores), else 16 GB
        RAM. ``gpu="apple"`` without ``vram_gb`` uses the documented share of RAM that
        macOS lets the GPU wire (see :mod:`hybridcoder.hardware.apple`).
        Raises ValueError for combinations that describe nothing real.
        """
        from hybridcoder.hardware.apple import APPLE_GPU_SHARE

        if gpu is not None and gpu not in ("nvidia", "amd", "apple", "none"):
            raise ValueError(f"unknown GPU kind {gpu!r}; use nvidia, amd, apple or none")
        if gpu == "none" and vram_gb:
            raise ValueError("--vram-gb describes a GPU, but --gpu none says there is none")
        if gpu in ("nvidia", "amd") and vram_gb is None:
            raise ValueError(f"describe the {gpu} GPU's memory with --vram-gb")
        if vram_gb == 0 and gpu in (None, "none"):
            vram_gb, gpu = None, "none"  # "no GPU memory" is a CPU-only machine, said another way
        for label, value in (("--vram-gb", vram_gb), ("--ram-gb", ram_gb)):
            if value is not None and not 0 < value <= 4096:
                raise ValueError(f"{label} must be a size in GB above 0 and at most 4096")
        if ram_gb is not None:
            ram_total = int(ram_gb * GIB)
            ram_available: int | None = ram_total
        elif base is not None:
            ram_total, ram_available = base.ram_total_bytes, base.ram_available_bytes
        else:
            ram_total = ram_available = 16 * GIB
        vendor = gpu if gpu not in (None, "none") else ("nvidia" if vram_gb else None)
        gpus: tuple[GpuInfo, ...] = ()
        if vendor == "apple":
            working_set = int(vram_gb * GIB) if vram_gb else int(ram_total * APPLE_GPU_SHARE)
            gpus = (GpuInfo(vendor="apple", name="Apple Silicon GPU (described)", total_bytes=working_set,
                            unified_memory=True, source="described"),)
        elif vendor is not None and vram_gb:
            label = {"nvidia": "NVIDIA", "amd": "AMD"}.get(vendor, vendor)
            gpus = (GpuInfo(vendor=vendor, name=f"{label} GPU (described)", total_bytes=int(vram_gb * GIB),
                            source="described"),)
        return cls(
            os_name=base.os_name if base else "described",
            arch=base.arch if base else "described",
            cpu_cores_physical=base.cpu_cores_physical if base else None,
            cpu_cores_logical=base.cpu_cores_logical if base else None,
            ram_total_bytes=ram_total,
            ram_available_bytes=ram_available,
            models_dir=base.models_dir if base else None,
            disk_free_bytes=base.disk_free_bytes if base else None,
            gpus=gpus,
            probe_notes=(ProbeNote("described", bool(gpus), "Numbers given by the user, not measured."),),
            is_described=True,
        )
