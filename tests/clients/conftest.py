"""Shared helpers for the client-config tests: the corpus, a proxy target and a run helper."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from hybridcoder.clients.configure import ConfigureReport, configure_tools
from hybridcoder.clients.targets import ClientModels, ProxyTarget
from hybridcoder.paths import app_paths

DATA = Path(__file__).resolve().parents[1] / "data" / "client_configs"
TOKEN = "hc-test-token-0123456789abcdef"
PROXY = "http://127.0.0.1:11480"


@pytest.fixture
def home() -> Path:
    return Path(os.environ["HOME"])


@pytest.fixture
def target() -> ProxyTarget:
    return ProxyTarget(PROXY, TOKEN)


@pytest.fixture
def models() -> ClientModels:
    return ClientModels(chat_context=16384, autocomplete="qwen2.5-coder:1.5b-base", local_chat="qwen2.5-coder:7b")


def place(corpus_name: str, dest: Path) -> bytes:
    """Copy a corpus file to ``dest``; returns its bytes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / corpus_name, dest)
    return dest.read_bytes()


def configure(tools: list[str], models: ClientModels, *, url: str = PROXY, **kwargs: object) -> ConfigureReport:
    return configure_tools(tools, proxy_url=url, token=TOKEN, models=models, **kwargs)  # type: ignore[arg-type]


def backup_runs() -> list[Path]:
    root = app_paths().backups_dir
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []


def only_added(original: bytes, new: bytes) -> list[str]:
    """Lines of ``original`` that did not survive unchanged and in order into ``new`` (should be [])."""
    old_lines = original.decode().splitlines(keepends=True)
    new_lines = new.decode().splitlines(keepends=True)
    lost: list[str] = []
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            lost += old_lines[i1:i2]
    return lost


@pytest.fixture(autouse=True)
def no_user_cline_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """The top-level conftest clears CLINE_DIR/CLINE_DATA_DIR; this path override must go too."""
    monkeypatch.delenv("CLINE_PROVIDER_SETTINGS_PATH", raising=False)
