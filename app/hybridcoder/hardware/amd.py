"""AMD GPUs on Linux through sysfs (no library needed).

For each ``/sys/class/drm/cardN/device`` whose ``vendor`` is ``0x1002`` the amdgpu driver
exposes ``mem_info_vram_total``, ``mem_info_vram_used`` and ``mem_info_gtt_total`` in
bytes. An APU's "VRAM" is a small carve-out of system RAM; Ollama's rule
(discover/amd.go) calls a GPU integrated when VRAM <= 4 GiB, GTT >= 8 GiB and
GTT >= 4 x VRAM. The sysfs root is injectable so tests use a fake tree.

Never raises: unreadable files become notes.
"""

from __future__ import annotations

import re
from pathlib import Path

from hybridcoder.hardware.profile import GIB, GpuInfo, ProbeNote, ProbeResult

PROBE = "amd"
AMD_VENDOR_ID = "0x1002"
_CARD = re.compile(r"^card(\d+)$")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _read_int(path: Path) -> int | None:
    text = _read(path)
    if text is None:
        return None
    try:
        return int(text, 0)
    except ValueError:
        return None


def is_integrated(vram_bytes: int, gtt_bytes: int | None) -> bool:
    """Ollama's iGPU rule: small VRAM carve-out backed by a much larger GTT."""
    if gtt_bytes is None:
        return False
    return vram_bytes <= 4 * GIB and gtt_bytes >= 8 * GIB and gtt_bytes >= 4 * vram_bytes


def probe_amd(sysfs_root: Path = Path("/sys")) -> ProbeResult:
    """List AMD GPUs from ``<sysfs_root>/class/drm``; discrete ones are usable by Ollama."""
    drm = sysfs_root / "class" / "drm"
    try:
        entries = sorted(drm.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        reason = "no DRM devices in sysfs" if isinstance(exc, FileNotFoundError) else (
            f"cannot read {drm} ({exc.strerror})")
        return ProbeResult.nothing(PROBE, f"No AMD GPU detected: {reason}.")
    gpus: list[GpuInfo] = []
    notes: list[ProbeNote] = []
    for entry in entries:
        match = _CARD.match(entry.name)
        if not match:
            continue  # connectors (card0-DP-1) and render nodes
        device = entry / "device"
        vendor = _read(device / "vendor")
        if vendor is None or vendor.lower() != AMD_VENDOR_ID:
            continue
        vram = _read_int(device / "mem_info_vram_total")
        if vram is None:
            notes.append(ProbeNote(PROBE, False, f"AMD device {entry.name} has no VRAM information "
                                                 "(amdgpu driver not loaded, or no permission)."))
            continue
        used = _read_int(device / "mem_info_vram_used")
        gtt = _read_int(device / "mem_info_gtt_total")
        name = _read(device / "product_name") or f"AMD GPU (device {_read(device / 'device') or '?'})"
        integrated = is_integrated(vram, gtt)
        gpus.append(GpuInfo(
            vendor="amd", name=name, total_bytes=vram,
            free_bytes=max(0, vram - used) if used is not None else None,
            integrated=integrated, source="sysfs", index=int(match.group(1)),
            usable=not integrated,
            unusable_reason="integrated GPU: it shares system memory, so models are sized for the CPU"
            if integrated else "",
        ))
    if not gpus:
        notes.append(ProbeNote(PROBE, False, "No AMD GPU detected: no DRM device with vendor 0x1002."))
    else:
        described = ", ".join(f"{g.name} ({'integrated' if g.integrated else 'discrete'})" for g in gpus)
        notes.insert(0, ProbeNote(PROBE, True, f"Found {len(gpus)} AMD GPU(s) via sysfs: {described}."))
    return ProbeResult(tuple(gpus), tuple(notes))
