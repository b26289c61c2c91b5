"""RAM, cores and free disk on the volume that will hold Ollama's models."""

from __future__ import annotations

from pathlib import Path

import pytest

from hybridcoder.hardware.system import free_disk_bytes, nearest_existing, ollama_models_dir, probe_system


def test_models_dir_follows_ollama_models(tmp_path: Path) -> None:
    assert ollama_models_dir({"OLLAMA_MODELS": str(tmp_path / "m")}) == tmp_path / "m"


def test_models_dir_defaults_to_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    assert ollama_models_dir(system="win32") == Path.home() / ".ollama" / "models"


def test_free_space_is_read_on_the_nearest_existing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "not" / "yet" / "models"
    assert nearest_existing(missing) == tmp_path
    free = free_disk_bytes(missing)
    assert free is not None and free > 0


def test_probe_system_reports_this_machine(tmp_path: Path) -> None:
    info = probe_system(tmp_path / "models")
    assert info.ram_total_bytes > 0
    assert info.ram_available_bytes is not None and 0 < info.ram_available_bytes <= info.ram_total_bytes
    assert info.cpu_cores_logical and info.cpu_cores_logical >= 1
    assert info.models_dir == str(tmp_path / "models")
    assert info.disk_free_bytes and info.disk_free_bytes > 0
