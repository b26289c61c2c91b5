"""System RAM, CPU cores, and free disk on the volume that will hold Ollama's models.

Ollama stores models in ``OLLAMA_MODELS`` or ``~/.ollama/models``; the Linux install
script runs the service as user ``ollama`` whose models live under
``/usr/share/ollama/.ollama/models``, so that folder wins when it exists and the user's
does not. The folder may not exist yet (Ollama not installed), so free space is read on
its nearest existing parent: the volume a pull will fill.

Never raises: what cannot be read is None plus a note.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil

from hybridcoder.hardware.profile import ProbeNote

PROBE = "system"
LINUX_SERVICE_MODELS = Path("/usr/share/ollama/.ollama/models")


@dataclass(frozen=True)
class SystemInfo:
    os_name: str
    arch: str
    cpu_cores_physical: int | None
    cpu_cores_logical: int | None
    ram_total_bytes: int
    ram_available_bytes: int | None
    models_dir: str
    disk_free_bytes: int | None
    notes: tuple[ProbeNote, ...] = ()


def ollama_models_dir(environ: dict[str, str] | None = None, *, system: str | None = None) -> Path:
    """Where Ollama keeps (or will keep) its models on this machine."""
    env = os.environ if environ is None else environ
    configured = env.get("OLLAMA_MODELS", "").strip()
    if configured:
        return Path(configured).expanduser()
    user_dir = Path.home() / ".ollama" / "models"
    if (system or sys.platform).startswith("linux") and not user_dir.exists() and LINUX_SERVICE_MODELS.exists():
        return LINUX_SERVICE_MODELS
    return user_dir


def nearest_existing(path: Path) -> Path | None:
    """``path`` or its closest parent that exists (the volume a new folder would land on)."""
    for candidate in (path, *path.parents):
        try:
            if candidate.exists():
                return candidate
        except OSError:  # permission denied on a parent: keep walking up
            continue
    return None


def free_disk_bytes(path: Path) -> int | None:
    existing = nearest_existing(path)
    if existing is None:
        return None
    try:
        return int(shutil.disk_usage(existing).free)
    except OSError:
        return None


def probe_system(models_dir: Path | None = None) -> SystemInfo:
    """RAM, cores and free disk for models; each part fails soft on its own."""
    notes: list[ProbeNote] = []
    try:
        memory = psutil.virtual_memory()
        ram_total, ram_available = int(memory.total), int(memory.available)
    except Exception as exc:  # psutil raises its own errors on exotic systems
        ram_total, ram_available = 0, None
        notes.append(ProbeNote(PROBE, False, f"System memory could not be read ({type(exc).__name__})."))
    try:
        logical = psutil.cpu_count(logical=True)
        physical = psutil.cpu_count(logical=False)
    except Exception:
        logical = physical = None
    if logical is None:
        logical = os.cpu_count()
    folder = models_dir or ollama_models_dir()
    disk_free = free_disk_bytes(folder)
    if disk_free is None:
        notes.append(ProbeNote(PROBE, False, f"Free disk space for {folder} could not be read."))
    return SystemInfo(
        os_name=platform.system() or sys.platform,
        arch=platform.machine(),
        cpu_cores_physical=physical,
        cpu_cores_logical=logical,
        ram_total_bytes=ram_total,
        ram_available_bytes=ram_available,
        models_dir=str(folder),
        disk_free_bytes=disk_free,
        notes=tuple(notes),
    )
