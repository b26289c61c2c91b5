"""Keys typed or pasted wrong are refused with one sentence; short secrets are never half shown."""

from __future__ import annotations

import io
import sys

import pytest

from hybridcoder.cli import main
from hybridcoder.errors import KeyStoreError
from hybridcoder.keys import KeyStore, mask


@pytest.mark.parametrize("secret", ["sk-ant-abcde", "sk-ant-abcdefghijk", "abcdefghijklmnopqr"])
def test_mask_hides_short_secrets_entirely(secret: str) -> None:
    assert mask(secret) == "...****"


@pytest.mark.parametrize(("value", "why"), [
    ("sk-ant-" + "A" * 5000, "far too long"),
    ("sk-ant-api03 with spaces inside", "does not look like an API key"),
    ("sk-ant-api03-\x00control-chars-abcd", "does not look like an API key"),
    ("sk-ant-api03-ünïcode-abcdefghijkl", "does not look like an API key"),
])
def test_values_that_are_not_keys_are_refused(value: str, why: str) -> None:
    with pytest.raises(KeyStoreError, match=why):
        KeyStore().set("anthropic", value)
    assert KeyStore().get("anthropic") is None


def test_cli_refuses_a_pasted_file_and_stores_nothing(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-ant-" + "x" * 200_000 + "\n"))
    assert main(["keys", "set", "anthropic"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "far too long" in err and "xxxx" not in err
    assert KeyStore().get("anthropic") is None


def test_no_keyring_message_gives_a_command_that_works(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk-ant-api03-abcdefghijklmnopqrstuvwxyz\n"))
    assert main(["keys", "set", "anthropic"]) == 1
    assert "`hybridcoder keys set anthropic --allow-file`" in capsys.readouterr().err
