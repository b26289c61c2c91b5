"""Keys: OS keyring first, environment second, a 0600 file only with consent; masked everywhere."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from hybridcoder.cli import main
from hybridcoder.errors import KeyStoreError
from hybridcoder.keys import SERVICE, KeyStore, keyring_available, mask
from tests.conftest import MemoryKeyring

KEY = "sk-ant-api03-SECRETsecretSECRET-0123456789abcdefABCD"
ENV_KEY = "sk-ant-api03-ENVIRONMENTkey-0123456789abcdefEEEE"


def test_set_get_delete_through_the_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore()
    assert store.set("anthropic", f"  {KEY}\n") == "keyring"
    assert memory_keyring.store[(SERVICE, "anthropic")] == KEY  # stripped, in the real keyring API
    assert store.get("anthropic") == KEY
    status = store.status("anthropic")
    assert (status.present, status.source, status.masked) == (True, "keyring", "sk-ant-...ABCD")
    assert store.delete("anthropic") is True
    assert store.get("anthropic") is None and store.delete("anthropic") is False


def test_environment_is_a_lower_priority_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_KEY)
    store = KeyStore()
    assert store.get("anthropic") == ENV_KEY and store.status("anthropic").source == "environment"
    store.set("anthropic", KEY)
    assert store.get("anthropic") == KEY and store.status("anthropic").source == "keyring"


def test_empty_key_is_refused() -> None:
    with pytest.raises(KeyStoreError, match="empty"):
        KeyStore().set("openai", "   \n")


def test_no_keyring_means_a_clear_error_and_nothing_on_disk(app_home: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    assert not keyring_available()
    store = KeyStore()
    with pytest.raises(KeyStoreError) as raised:
        store.set("anthropic", KEY)
    message = str(raised.value)
    assert "No system keyring" in message and "--allow-file" in message and KEY not in message
    assert not store.fallback_path.exists()
    assert store.get("anthropic") is None  # reading degrades quietly


def test_file_fallback_only_with_consent_and_mode_0600(app_home: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    store = KeyStore(allow_file_fallback=True)
    assert store.set("openai", KEY) == "file"
    mode = stat.S_IMODE(store.fallback_path.stat().st_mode)
    assert mode == 0o600
    data = json.loads(store.fallback_path.read_text())
    assert "Plain-text key storage" in data["WARNING"] and data["keys"]["openai"] == KEY
    assert KeyStore().get("openai") == KEY and KeyStore().status("openai").source == "file"
    assert store.delete("openai") is True and store.get("openai") is None


@pytest.mark.parametrize(("secret", "shown"), [
    ("sk-ant-api03-abcdefghijkl1234", "sk-ant-...1234"),
    ("sk-proj-abcdefghijklmnopq9876", "sk-proj...9876"),
    ("sk-abcdefghijklmnop5555", "sk-...5555"),
    ("short", "...****"),
    ("", "(none)"),
    (None, "(none)"),
])
def test_mask_format(secret: str | None, shown: str) -> None:
    assert mask(secret) == shown


def test_proxy_token_is_generated_once_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    store = KeyStore()
    token = store.proxy_token()
    assert token and token.startswith("hc-") and store.proxy_token() == token
    monkeypatch.setenv("HYBRIDCODER_TOKEN", "hc-from-the-environment-123456")
    assert store.proxy_token() == "hc-from-the-environment-123456"


def test_cli_reads_the_key_from_stdin_never_argv(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str],
                                                memory_keyring: MemoryKeyring, app_home: Path) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    assert main(["keys", "set", "anthropic"]) == 0
    out, err = capsys.readouterr()
    assert "sk-ant-...ABCD" in out and KEY not in out + err
    assert memory_keyring.store[(SERVICE, "anthropic")] == KEY

    assert main(["keys", "set", "anthropic", KEY]) == 2  # a key on the command line is a usage error
    capsys.readouterr()

    assert main(["keys", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    anthropic = next(k for k in status["keys"] if k["provider"] == "anthropic")
    assert anthropic == {"provider": "anthropic", "present": True, "source": "keyring", "masked": "sk-ant-...ABCD"}

    assert main(["keys", "delete", "anthropic"]) == 0
    assert (SERVICE, "anthropic") not in memory_keyring.store
    capsys.readouterr()

    for path in (p for p in app_home.rglob("*") if p.is_file()):  # logs, settings: never the key
        assert KEY not in path.read_text(errors="replace"), path


def test_cli_empty_stdin_stores_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                        memory_keyring: MemoryKeyring) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["keys", "set", "openai"]) == 1
    assert "No key was entered" in capsys.readouterr().err
    assert memory_keyring.store == {}


def test_cli_without_keyring_explains_and_allow_file_consents(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str],
                                                              app_home: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    assert main(["keys", "set", "anthropic"]) == 1
    assert "No system keyring" in capsys.readouterr().err
    fallback = KeyStore().fallback_path
    assert not fallback.exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    assert main(["keys", "set", "anthropic", "--allow-file"]) == 0
    assert "plain-text fallback file" in capsys.readouterr().out
    assert stat.S_IMODE(fallback.stat().st_mode) == 0o600
    settings_text = (app_home / "config" / "settings.toml").read_text()
    assert "allow_file_fallback = true" in settings_text and KEY not in settings_text
