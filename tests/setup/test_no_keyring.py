"""Headless Linux without a keyring: setup asks once, keeps its word about where things went, and the token
stays the same across restarts — or serve refuses, instead of breaking every tool config with a new token."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from hybridcoder.cli import main
from hybridcoder.keys import KeyStore, TokenNotStorable
from hybridcoder.paths import app_paths
from hybridcoder.proxy.config import ProxyConfig
from hybridcoder.settings import Settings
from tests.emulators.ollama import OllamaEmulator
from tests.setup.test_setup_flow import emulator, free_port, home_dir, setup_args, user_with_tools

__all__ = ["emulator", "home_dir", "user_with_tools"]


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_without_keyring_or_consent_no_throwaway_token_is_handed_out() -> None:
    with pytest.raises(TokenNotStorable) as caught:
        KeyStore().proxy_token(create=True)
    assert "--allow-file-keyring" in caught.value.message
    assert str(app_paths().config_dir) in caught.value.message
    settings = Settings()
    with pytest.raises(TokenNotStorable):  # so `serve` refuses with the reason instead of a fresh token
        ProxyConfig.from_settings(settings)


def test_with_consent_the_token_is_private_and_stable_across_restarts() -> None:
    first = KeyStore(allow_file_fallback=True).proxy_token(create=True)
    again = KeyStore(allow_file_fallback=True).proxy_token(create=True)  # the next start
    assert first and first == again
    path = KeyStore().fallback_path
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "private file" in KeyStore(allow_file_fallback=True).token_location()


def test_setup_without_consent_stops_once_naming_the_flag(
        emulator: OllamaEmulator, user_with_tools: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(setup_args(emulator)) == 1  # no terminal to ask, and --yes does not imply it
    captured = capsys.readouterr()
    assert captured.err.count("--allow-file-keyring") == 1
    assert captured.out.count("No system keyring is available") == 1
    assert not (user_with_tools / ".continue" / "config.yaml").read_text().count("hc-")  # no token written


def test_setup_with_the_flag_stores_the_consent_says_where_and_serve_keeps_the_token(
        emulator: OllamaEmulator, user_with_tools: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*setup_args(emulator), "--allow-file-keyring"]) == 0
    out = capsys.readouterr().out
    path = KeyStore().fallback_path
    assert f"the access token and keys go to {path}" in out
    assert str(app_paths().settings_file) in out
    assert "kept in the keyring" not in out and f"kept in the private file {path}" in out
    settings = Settings.load()
    assert settings.keys.allow_file_fallback is True
    token = KeyStore(allow_file_fallback=True).proxy_token(create=False)
    assert token and ProxyConfig.from_settings(settings).token == token
    assert ProxyConfig.from_settings(Settings.load()).token == token  # the next start: same token
    # A rerun asks nothing and changes nothing.
    assert main(setup_args(emulator)) == 0
    assert "Everything was already set up" in capsys.readouterr().out


def test_interactive_setup_asks_once(monkeypatch: pytest.MonkeyPatch, emulator: OllamaEmulator,
                                     user_with_tools: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)

    def answer(question: str) -> str:
        asked.append(question)
        return "y"

    monkeypatch.setattr("builtins.input", answer)
    settings = Settings.load()
    settings.proxy.port = free_port()
    settings.save()
    assert main(setup_args(emulator)) == 0
    keyring_questions = [q for q in asked if "No system keyring" in q]
    assert len(keyring_questions) == 1 and str(KeyStore().fallback_path) in keyring_questions[0]
    capsys.readouterr()
