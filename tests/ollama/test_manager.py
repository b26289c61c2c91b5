"""OllamaManager against the emulator, through the real ollama client."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from hybridcoder.ollama import (
    DiskFull,
    InvalidModelName,
    ModelNotInstalled,
    ModelTooLarge,
    NetworkLost,
    OllamaManager,
    OllamaNotRunning,
    PullProgress,
    UnknownModel,
)
from hybridcoder.settings import Settings
from tests.emulators.ollama import OllamaEmulator

CHAT = "qwen2.5-coder:7b"


@pytest.fixture
def manager(ollama_emulator: OllamaEmulator) -> OllamaManager:
    return OllamaManager(ollama_emulator.url, timeout=5)


def test_status_running_and_url_from_settings_or_env(ollama_emulator: OllamaEmulator,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama_emulator.host)
    status = OllamaManager().status()
    assert status.running and status.version == ollama_emulator.version
    assert status.url == ollama_emulator.url
    monkeypatch.delenv("OLLAMA_HOST")
    settings = Settings.load()
    settings.ollama.url = ollama_emulator.url
    settings.save()
    assert OllamaManager().url == ollama_emulator.url


def test_not_running_names_the_address(ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.stop()
    manager = OllamaManager(ollama_emulator.url, timeout=2)
    status = manager.status()
    assert not status.running and status.problem
    with pytest.raises(OllamaNotRunning) as err:
        manager.list_models()
    assert f"127.0.0.1:{ollama_emulator.port}" in str(err.value)
    with pytest.raises(OllamaNotRunning):
        manager.pull("qwen2.5-coder:3b")


def test_list_show_and_fim_capability(manager: OllamaManager) -> None:
    names = {m.name for m in manager.list_models()}
    assert names == {CHAT, "qwen2.5-coder:1.5b-base", "nomic-embed-text:latest"}
    assert manager.supports_fim("qwen2.5-coder:1.5b-base")
    assert not manager.supports_fim("nomic-embed-text")
    details = manager.details(CHAT)
    assert (details.block_count, details.head_count_kv, details.embedding_length) == (28, 4, 3584)
    assert "tools" in manager.capabilities(CHAT)
    with pytest.raises(ModelNotInstalled):
        manager.details("qwen2.5-coder:32b")


def test_load_unload_and_gpu_placement(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    entry = manager.load(CHAT, keep_alive="10m", num_ctx=8192)
    assert entry is not None and entry.fully_on_gpu and entry.context_length == 8192
    manager.unload(CHAT)
    assert manager.loaded() == []
    ollama_emulator.vram_bytes = 3 * 1024**3
    partial = manager.load(CHAT)
    assert partial is not None and not partial.fully_on_gpu and partial.size_vram == 3 * 1024**3


def test_model_too_large(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.memory_bytes = 2 * 1024**3
    with pytest.raises(ModelTooLarge) as err:
        manager.load(CHAT)
    assert "too large for this machine" in str(err.value) and err.value.details


def test_delete(manager: OllamaManager) -> None:
    manager.delete("qwen2.5-coder:1.5b-base")
    assert "qwen2.5-coder:1.5b-base" not in {m.name for m in manager.list_models()}
    with pytest.raises(ModelNotInstalled):
        manager.delete("qwen2.5-coder:1.5b-base")


def test_pull_aggregates_layers_forward_only(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.pull_steps = 10
    seen: list[PullProgress] = []
    result = manager.pull("qwen2.5-coder:3b", on_progress=seen.append)
    assert result.completed and not result.cancelled
    layers = ollama_emulator.registry["qwen2.5-coder:3b"].layers
    assert result.total_bytes == sum(layer.size for layer in layers)
    assert len({p.blobs_seen for p in seen}) >= 3  # progress spans several blobs
    for before, after in itertools.pairwise(seen):
        assert after.fraction >= before.fraction
        assert after.completed >= before.completed
    assert seen[-1].fraction == 1.0
    assert "qwen2.5-coder:3b" in {m.name for m in manager.list_models()}


def test_cancel_mid_pull_stops_the_download(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.pull_steps = 1000
    ollama_emulator.pull_tick_s = 0.01
    cancel = threading.Event()

    def on_progress(progress: PullProgress) -> None:
        if progress.completed > 0:
            cancel.set()

    result = manager.pull("qwen2.5-coder:14b", on_progress=on_progress, cancel=cancel)
    assert result.cancelled and not result.completed
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled == 1)
    assert "qwen2.5-coder:14b" not in {m.name for m in manager.list_models()}


def test_unknown_and_malformed_tags(manager: OllamaManager) -> None:
    with pytest.raises(UnknownModel) as unknown:
        manager.pull("qwen2.5-coder:99b")
    assert "no model called “qwen2.5-coder:99b”" in str(unknown.value)
    with pytest.raises(InvalidModelName):
        manager.pull("not a name!")


def test_disk_full_mid_pull(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.fail_next("disk_full", after_chunks=2)
    with pytest.raises(DiskFull) as err:
        manager.pull("qwen2.5-coder:3b")
    assert "disk is full" in str(err.value) and "no space left" in (err.value.details or "")


def test_network_lost_then_resume(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.pull_steps = 10
    ollama_emulator.fail_next("network_lost", after_chunks=4)
    with pytest.raises(NetworkLost) as err:
        manager.pull("qwen2.5-coder:3b")
    assert "connection was lost" in str(err.value)
    seen: list[PullProgress] = []
    result = manager.pull("qwen2.5-coder:3b", on_progress=seen.append)
    weights = ollama_emulator.registry["qwen2.5-coder:3b"].layers[0].size
    assert result.completed and result.resumed_bytes == pytest.approx(weights * 0.4, rel=0.01)
    assert seen[0].phase == "manifest" and seen[1].resumed


def test_ollama_dying_mid_pull(manager: OllamaManager, ollama_emulator: OllamaEmulator) -> None:
    ollama_emulator.fail_next("drop", path="/api/pull", after_chunks=3)
    with pytest.raises(OllamaNotRunning) as err:
        manager.pull("qwen2.5-coder:3b")
    assert ollama_emulator.url in str(err.value)


def test_pull_writes_nothing_into_app_state(manager: OllamaManager, app_home: Path) -> None:
    before = sorted(p for p in app_home.rglob("*") if p.is_file()) if app_home.exists() else []
    manager.pull("qwen2.5-coder:3b")
    after = sorted(p for p in app_home.rglob("*") if p.is_file()) if app_home.exists() else []
    assert after == before
