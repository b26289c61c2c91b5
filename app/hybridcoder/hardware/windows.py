"""Windows display adapters from the registry, for GPUs NVML does not cover (AMD, Intel).

WMI's ``Win32_VideoController.AdapterRAM`` is a uint32 and saturates near 4 GB, so the
memory comes from the display class key instead (what llmfit and systeminformation do;
undocumented by Microsoft):

    HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}\\0000
        DriverDesc                        adapter name
        MatchingDeviceId                  PCI\\VEN_1002&DEV_73BF... (vendor id)
        HardwareInformation.qwMemorySize  REG_QWORD, bytes (fallback HardwareInformation.MemorySize)

Integrated vs discrete has no registry flag; the rule here is a documented heuristic:
Intel is integrated unless it is an Arc A/B card, AMD is integrated when it is not a
Radeon RX/Pro card and has at most 4 GiB, and anything under 2 GiB is integrated.

The reader is injectable; tests pass a dict-backed one. Never raises.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Protocol

from hybridcoder.hardware.profile import GIB, GpuInfo, ProbeNote, ProbeResult

log = logging.getLogger(__name__)

PROBE = "windows"
DISPLAY_CLASS_KEY = r"SYSTEM\CurrentControlSet\Control\Class\{4d36e968-e325-11ce-bfc1-08002be10318}"
VENDOR_IDS = {"10de": "nvidia", "1002": "amd", "8086": "intel"}
_ADAPTER_KEY = re.compile(r"^\d{4}$")
_VENDOR = re.compile(r"ven_([0-9a-f]{4})", re.IGNORECASE)
_INTEL_DISCRETE = re.compile(r"\bArc\(?(?:TM)?\)?\s+[AB]\d{3}", re.IGNORECASE)
_AMD_DISCRETE = re.compile(r"\b(RX|Pro W|FirePro|Instinct)\b", re.IGNORECASE)


class RegistryReader(Protocol):
    """The two registry operations the probe needs, relative to HKEY_LOCAL_MACHINE."""

    def subkeys(self, path: str) -> list[str]: ...

    def values(self, path: str) -> dict[str, Any]: ...


class WinregReader:
    """The real registry through :mod:`winreg` (Windows only)."""

    def __init__(self) -> None:
        import winreg  # only exists on Windows; callers catch ImportError

        self._winreg: Any = winreg

    def subkeys(self, path: str) -> list[str]:
        winreg = self._winreg
        names: list[str] = []
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, path) as key:
            index = 0
            while True:
                try:
                    names.append(winreg.EnumKey(key, index))
                except OSError:
                    return names
                index += 1

    def values(self, path: str) -> dict[str, Any]:
        winreg = self._winreg
        found: dict[str, Any] = {}
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, path) as key:
            index = 0
            while True:
                try:
                    name, value, _kind = winreg.EnumValue(key, index)
                except OSError:
                    return found
                found[name] = value
                index += 1


def _memory(values: dict[str, Any]) -> int | None:
    for name in ("HardwareInformation.qwMemorySize", "HardwareInformation.MemorySize"):
        value = values.get(name)
        if isinstance(value, bytes) and value:
            return int.from_bytes(value[:8], "little")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _vendor(values: dict[str, Any]) -> str:
    ids = " ".join(str(values.get(k, "")) for k in ("MatchingDeviceId", "HardwareID", "ProviderName"))
    match = _VENDOR.search(ids)
    if match:
        return VENDOR_IDS.get(match.group(1).lower(), "other")
    provider = str(values.get("ProviderName", "")).lower()
    for word, vendor in (("nvidia", "nvidia"), ("amd", "amd"), ("advanced micro", "amd"), ("intel", "intel")):
        if word in provider:
            return vendor
    return "other"


def is_integrated(vendor: str, name: str, memory: int) -> bool:
    """The heuristic from the module docstring."""
    if memory < 2 * GIB:
        return True
    if vendor == "intel":
        return not _INTEL_DISCRETE.search(name)
    if vendor == "amd":
        return memory <= 4 * GIB and not _AMD_DISCRETE.search(name)
    return False


def probe_windows(
    reader: RegistryReader | None = None,
    *,
    skip_vendors: frozenset[str] = frozenset(),
    platform: str | None = None,
) -> ProbeResult:
    """Display adapters with their memory; ``skip_vendors`` drops ones another probe covered."""
    if reader is None:
        if (platform or sys.platform) != "win32":
            return ProbeResult.nothing(PROBE, "Not Windows, so the display-adapter registry was not read.")
        try:
            reader = WinregReader()
        except ImportError:
            return ProbeResult.nothing(PROBE, "The Windows registry module is not available.")
    try:
        keys = [k for k in reader.subkeys(DISPLAY_CLASS_KEY) if _ADAPTER_KEY.match(k)]
    except OSError as exc:
        return ProbeResult.nothing(PROBE, f"Could not read display adapters from the registry ({exc}).")
    gpus: list[GpuInfo] = []
    notes: list[ProbeNote] = []
    for key in sorted(keys):
        try:
            values = reader.values(f"{DISPLAY_CLASS_KEY}\\{key}")
        except OSError:
            continue  # some adapter keys deny access to normal users
        name = str(values.get("DriverDesc") or "").strip()
        memory = _memory(values)
        if not name or memory is None:
            continue  # virtual adapters (remote desktop, basic display) have no memory size
        vendor = _vendor(values)
        if vendor in skip_vendors:
            continue
        integrated = is_integrated(vendor, name, memory)
        gpus.append(GpuInfo(
            vendor=vendor, name=name, total_bytes=memory, integrated=integrated, source="registry",
            index=int(key), usable=not integrated and vendor != "other",
            unusable_reason=("integrated GPU: it shares system memory, so models are sized for the CPU"
                             if integrated else ("Ollama does not support this GPU vendor"
                                                 if vendor == "other" else "")),
        ))
    if gpus:
        listed = ", ".join(f"{g.name} ({g.kind})" for g in gpus)
        notes.append(ProbeNote(PROBE, True, f"Display adapters from the registry: {listed}."))
    else:
        notes.append(ProbeNote(PROBE, False, "No display adapter with a memory size in the registry."))
    return ProbeResult(tuple(gpus), tuple(notes))
