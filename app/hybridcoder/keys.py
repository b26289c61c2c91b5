"""Cloud keys and the proxy's access token, kept in the OS keyring.

Sources in priority order: the keyring, then the environment (ANTHROPIC_API_KEY,
OPENAI_API_KEY, OLLAMA_API_KEY; HYBRIDCODER_TOKEN for the proxy token), then, only if
the user explicitly agreed because no keyring exists, a clearly labelled file
(mode 0600) under the config folder. The consent is ``keys.allow_file_fallback`` in
the settings; ``setup`` and the wizard ask for it once (:func:`private_file_offer`).

The proxy's token must survive restarts — every tool config holds it — so when it
can be kept nowhere, :meth:`KeyStore.proxy_token` refuses (:class:`TokenNotStorable`)
instead of handing out a token that would silently break those configs tomorrow.

This module never logs a key, never puts one in an exception message and never
writes one to disk without consent. Show keys only through :func:`mask`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from hybridcoder.atomic import atomic_write_text
from hybridcoder.errors import KeyStoreError
from hybridcoder.paths import app_paths

log = logging.getLogger(__name__)


class TokenNotStorable(KeyStoreError):
    """No keyring and no consent for the private file: a new token would not survive a restart."""

SERVICE = "HybridCoder"
Provider = Literal["anthropic", "openai", "ollama"]
PROVIDERS: tuple[Provider, ...] = ("anthropic", "openai", "ollama")
PROVIDER_LABELS: dict[str, str] = {"anthropic": "Anthropic", "openai": "OpenAI", "ollama": "Ollama Cloud"}
ENV_VARS: dict[str, str] = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "ollama": "OLLAMA_API_KEY",
}
TOKEN_NAME = "proxy-token"
TOKEN_ENV = "HYBRIDCODER_TOKEN"
FALLBACK_FILE_NAME = "keys-INSECURE-FILE.json"
#: Real keys are 40-200 characters; anything much longer is a pasted file, not a key.
MAX_KEY_LENGTH = 1024


def mask(secret: str | None) -> str:
    """``sk-ant-api03-xxxx...abcd`` → ``sk-ant-...abcd``; short values show nothing."""
    if not secret:
        return "(none)"
    prefix = secret[:7] if secret.startswith(("sk-ant-", "sk-proj")) else secret[:3]
    if len(secret) - len(prefix) - 4 < 12:  # too short: prefix and tail would give most of it away
        return "..." + "*" * 4
    return f"{prefix}...{secret[-4:]}"


def private_file_offer(path: Path) -> str:
    """The one sentence that explains the missing keyring and offers the private file."""
    return (f"No system keyring was found on this machine, so Hybrid Coder can keep the proxy's access token "
            f"and your cloud keys in a private file instead ({path}, readable only by you).")


@dataclass(frozen=True)
class KeyStatus:
    provider: str
    present: bool
    source: str  # "keyring", "environment", "file", or ""
    masked: str


def keyring_available(backend: KeyringBackend | None = None) -> bool:
    """True when a real OS keyring backend exists (not the 'fail' or a null backend)."""
    backend = backend or keyring.get_keyring()
    try:
        priority = float(backend.priority)  # type: ignore[arg-type]
    except Exception:  # a backend whose priority property raises is unusable
        return False
    name = type(backend).__module__ + "." + type(backend).__name__
    return priority > 0 and "fail" not in name and "null" not in name.lower()


def keyring_backend_name() -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


class KeyStore:
    """Read and write secrets; one instance per operation is fine (no caching of keys)."""

    def __init__(self, *, allow_file_fallback: bool = False, fallback_path: Path | None = None) -> None:
        self.allow_file_fallback = allow_file_fallback
        self.fallback_path = fallback_path or app_paths().config_dir / FALLBACK_FILE_NAME

    # -- cloud keys ----------------------------------------------------------------
    def get(self, provider: str) -> str | None:
        """The key for a provider, or None; keyring first, then environment, then file."""
        value = self._keyring_get(provider)
        if value:
            return value
        env = os.environ.get(ENV_VARS.get(provider, ""), "").strip()
        if env:
            return env
        return self._file_get(provider)

    def status(self, provider: str) -> KeyStatus:
        value = self._keyring_get(provider)
        if value:
            return KeyStatus(provider, True, "keyring", mask(value))
        env = os.environ.get(ENV_VARS.get(provider, ""), "").strip()
        if env:
            return KeyStatus(provider, True, "environment", mask(env))
        value = self._file_get(provider)
        if value:
            return KeyStatus(provider, True, "file", mask(value))
        return KeyStatus(provider, False, "", mask(None))

    def set(self, provider: str, value: str) -> str:
        """Store a key; returns where it went. Raises KeyStoreError with the fix."""
        value = value.strip()
        if not value:
            raise KeyStoreError("The key is empty; paste the whole key and try again.")
        if len(value) > MAX_KEY_LENGTH:
            raise KeyStoreError(f"That is {len(value):,} characters, far too long for an API key; paste only the "
                                "key and try again.")
        if not value.isascii() or not value.isprintable() or any(c.isspace() for c in value):
            raise KeyStoreError("That does not look like an API key (it has spaces or unusual characters); "
                                "paste only the key and try again.")
        if keyring_available():
            try:
                keyring.set_password(SERVICE, provider, value)
                return "keyring"
            except keyring.errors.KeyringError as exc:
                log.warning("keyring refused to store the %s key: %s", provider, type(exc).__name__)
                if not self.allow_file_fallback:
                    raise KeyStoreError(
                        f"The system keyring refused to store the {PROVIDER_LABELS.get(provider, provider)} key; "
                        "unlock your keyring and try again."
                    ) from None
        if not self.allow_file_fallback:
            raise KeyStoreError(
                "No system keyring is available (on Linux, install and unlock GNOME Keyring or KWallet). "
                f"You can allow a plain file fallback with `hybridcoder keys set {provider} --allow-file`, or set "
                f"{ENV_VARS.get(provider, 'the environment variable')} instead."
            )
        self._file_set(provider, value)
        return "file"

    def delete(self, provider: str) -> bool:
        removed = False
        try:
            if keyring_available():
                keyring.delete_password(SERVICE, provider)
                removed = True
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            log.warning("keyring delete failed for %s: %s", provider, type(exc).__name__)
        if self._file_get(provider) is not None:
            self._file_set(provider, None)
            removed = True
        return removed

    # -- proxy token -----------------------------------------------------------------
    def proxy_token(self, *, create: bool = True) -> str | None:
        """The proxy's local access token: HYBRIDCODER_TOKEN, else stored, else generated and stored.

        Raises :class:`TokenNotStorable` (with the fix) when a new token could not be kept.
        """
        env = os.environ.get(TOKEN_ENV, "").strip()
        if env:
            return env
        value = self._keyring_get(TOKEN_NAME) or self._file_get(TOKEN_NAME)
        if value or not create:
            return value
        token = "hc-" + secrets.token_urlsafe(24)
        try:
            self.set(TOKEN_NAME, token)
        except KeyStoreError as exc:
            if keyring_available():
                raise TokenNotStorable(exc.message) from None
            raise TokenNotStorable(
                "No system keyring is available to keep the proxy's access token, so your tools would stop "
                "working after every restart; run `hybridcoder setup --allow-file-keyring` to keep it in a "
                f"private file ({self.fallback_path}), or set {TOKEN_ENV}.") from None
        return token

    def token_location(self) -> str:
        """Where the proxy's token is kept, in words (for setup's summary and the settings page)."""
        if os.environ.get(TOKEN_ENV, "").strip():
            return f"the {TOKEN_ENV} environment variable"
        if self._keyring_get(TOKEN_NAME):
            return "the system keyring"
        if self._file_get(TOKEN_NAME):
            return f"the private file {self.fallback_path} (readable only by you)"
        return "nowhere yet"

    # -- backends --------------------------------------------------------------------
    def _keyring_get(self, name: str) -> str | None:
        if not keyring_available():
            return None
        try:
            return keyring.get_password(SERVICE, name)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed for %s: %s", name, type(exc).__name__)
            return None

    def _file_data(self) -> dict[str, str]:
        try:
            data = json.loads(self.fallback_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, OSError):
            return {}
        return {k: v for k, v in data.get("keys", {}).items() if isinstance(v, str)}

    def _file_get(self, name: str) -> str | None:
        if not self.fallback_path.exists():
            return None
        return self._file_data().get(name)

    def _file_set(self, name: str, value: str | None) -> None:
        data = self._file_data()
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
        payload = {
            "WARNING": "Plain-text key storage, used because no system keyring was available "
                       "and you allowed it. Delete this file to remove the keys.",
            "keys": data,
        }
        atomic_write_text(self.fallback_path, json.dumps(payload, indent=2) + "\n", mode=0o600)
