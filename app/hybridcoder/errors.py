"""Errors a person can act on.

Every failure that reaches a user is a :class:`HybridCoderError` carrying one
sentence that says what happened and what to do. The CLI prints that sentence and
exits 1; the GUI shows it with the details behind an expander. Lower layers raise
subclasses; nothing above them ever shows a traceback.

    HybridCoderError
    ├── SettingsError            settings file unreadable or unwritable
    ├── KeyStoreError            keyring missing / refused
    ├── ProxyStartError          the proxy could not listen (port taken, bad address)
    ├── OllamaError              (hybridcoder.ollama) not installed, not running, unknown tag, ...
    ├── ConfigWriteError         (hybridcoder.clients) a client config cannot be parsed or written
    └── SetupError               (hybridcoder.setup_flow) a setup step failed
"""

from __future__ import annotations


class HybridCoderError(Exception):
    """Base class: ``str(error)`` is the one sentence shown to the user."""

    def __init__(self, message: str, *, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class SettingsError(HybridCoderError):
    """The settings file could not be read or written."""


class KeyStoreError(HybridCoderError):
    """The OS keyring is missing or refused the operation."""


class ProxyStartError(HybridCoderError):
    """The proxy could not start (port in use, bad address).

    Defined here rather than in ``proxy/server.py`` (which re-exports it) so that code that only
    needs to catch it, such as the desktop app's service, does not import the proxy stack.
    """
