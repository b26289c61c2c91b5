"""What this machine can run: GPUs and their memory, RAM, CPU cores, free disk for models.

Each vendor has its own probe module; :func:`scan.scan_hardware` runs the ones that apply
and collects a :class:`profile.HardwareProfile`. Probes fail soft: a missing driver or
library becomes a note in the profile, never an exception.

Nothing in this package imports Qt or touches the network.
"""

from __future__ import annotations

from hybridcoder.hardware.profile import GpuInfo, HardwareProfile, ProbeNote

__all__ = ["GpuInfo", "HardwareProfile", "ProbeNote"]
