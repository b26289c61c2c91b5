"""Ollama management: detect, start, install, list, pull, load and unload models.

Blocking calls with progress callbacks and cancellation; the GUI runs them on worker threads.
Nothing here imports Qt, and nothing here ever shows a traceback: failures are
:class:`~hybridcoder.ollama.errors.OllamaError` sentences.
"""

from __future__ import annotations

from hybridcoder.ollama.detect import ServerProbe, find_binary, probe, resolve_url
from hybridcoder.ollama.errors import (
    DiskFull,
    InstallFailed,
    InvalidModelName,
    ModelNotInstalled,
    ModelTooLarge,
    NetworkLost,
    OllamaError,
    OllamaNotInstalled,
    OllamaNotResponding,
    OllamaNotRunning,
    OllamaRequestFailed,
    UnknownModel,
)
from hybridcoder.ollama.install import (
    DownloadProgress,
    InstallerPlan,
    InstallResult,
    install_ollama,
    plan_install,
)
from hybridcoder.ollama.manager import (
    InstalledModel,
    LoadedModel,
    ModelDetails,
    OllamaManager,
    OllamaStatus,
    PullResult,
)
from hybridcoder.ollama.pull_progress import PullProgress, PullTracker

__all__ = [
    "DiskFull",
    "DownloadProgress",
    "InstallFailed",
    "InstallResult",
    "InstalledModel",
    "InstallerPlan",
    "InvalidModelName",
    "LoadedModel",
    "ModelDetails",
    "ModelNotInstalled",
    "ModelTooLarge",
    "NetworkLost",
    "OllamaError",
    "OllamaManager",
    "OllamaNotInstalled",
    "OllamaNotResponding",
    "OllamaNotRunning",
    "OllamaRequestFailed",
    "OllamaStatus",
    "PullProgress",
    "PullResult",
    "PullTracker",
    "ServerProbe",
    "UnknownModel",
    "find_binary",
    "install_ollama",
    "plan_install",
    "probe",
    "resolve_url",
]
