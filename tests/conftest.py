"""Test-wide set-up: every test gets its own HYBRIDCODER_HOME and an in-memory keyring.

Nothing a test does may touch the real user's files, keyring or network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest
from keyring.backend import KeyringBackend

if TYPE_CHECKING:
    from tests.emulators.anthropic import AnthropicEmulator
    from tests.emulators.ollama import OllamaEmulator
    from tests.emulators.openai import OpenAIEmulator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in a dict (the keyring API is exercised for real)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.store:
            raise PasswordDeleteError(username)
        del self.store[(service, username)]


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HYBRIDCODER_HOME (and HOME) per test; cloud-key variables cleared."""
    home = tmp_path / "hc-home"
    monkeypatch.setenv("HYBRIDCODER_HOME", str(home))
    user_home = tmp_path / "user-home"
    user_home.mkdir()
    monkeypatch.setenv("HOME", str(user_home))
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OLLAMA_API_KEY", "HYBRIDCODER_TOKEN",
                "OLLAMA_HOST", "OLLAMA_MODELS", "CONTINUE_GLOBAL_DIR", "CLINE_DIR", "CLINE_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    from hybridcoder.log import reset_logging

    reset_logging()
    yield home
    reset_logging()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def ollama_emulator() -> Iterator[OllamaEmulator]:
    """A running Ollama emulator (tests/emulators/ollama.py) on an ephemeral 127.0.0.1 port."""
    from tests.emulators.ollama import OllamaEmulator as Emulator

    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def anthropic_emulator() -> Iterator[AnthropicEmulator]:
    """A running Anthropic Messages API emulator (tests/emulators/anthropic.py) on 127.0.0.1."""
    from tests.emulators.anthropic import AnthropicEmulator as Emulator

    with Emulator() as emulator:
        yield emulator
    assert not emulator.server_errors, f"the Anthropic emulator failed: {emulator.server_errors!r}"


@pytest.fixture
def openai_emulator() -> Iterator[OpenAIEmulator]:
    """A running OpenAI-compatible emulator (tests/emulators/openai.py) on 127.0.0.1; ``.base_url`` ends in /v1."""
    from tests.emulators.openai import OpenAIEmulator as Emulator

    with Emulator() as emulator:
        yield emulator
    assert not emulator.server_errors, f"the OpenAI emulator failed: {emulator.server_errors!r}"
