"""What can go wrong with Ollama, each as one sentence a person can act on.

    OllamaError (HybridCoderError)
    ├── OllamaNotInstalled      no ollama binary / app on this machine
    ├── OllamaNotRunning        nothing answers at the URL (names the URL and port)
    │   └── OllamaNotResponding the server answered too slowly or hung up mid-stream
    ├── UnknownModel            the registry has no such model/tag (arrives in-stream under HTTP 200)
    │   ├── InvalidModelName    the name itself is malformed (HTTP 400 before streaming)
    │   └── ModelNotInstalled   show/delete/load of a model that is not pulled
    ├── DiskFull                the model store ran out of space during a pull
    ├── NetworkLost             the internet connection dropped during a pull
    ├── ModelTooLarge           loading failed for lack of memory
    ├── InstallFailed           the installer could not be downloaded, verified or run
    └── OllamaRequestFailed     any other error Ollama reported

:func:`translate_error` turns what the ``ollama`` client and httpx raise into these. This module
never lets a raw client exception, or a traceback, reach a user; the raw text goes to ``details``.
"""

from __future__ import annotations

import httpx
import ollama

from hybridcoder.errors import HybridCoderError


class OllamaError(HybridCoderError):
    """Base of every Ollama failure; ``str()`` is the sentence to show."""


class OllamaNotInstalled(OllamaError):
    def __init__(self, details: str | None = None) -> None:
        super().__init__(
            "Ollama is not installed — install it from the Hybrid Coder setup or from https://ollama.com/download.",
            details=details)


class OllamaNotRunning(OllamaError):
    """Nothing answers at the URL. Built with the URL so the user can spot a wrong port."""

    def __init__(self, url: str, message: str | None = None, *, details: str | None = None) -> None:
        self.url = url
        super().__init__(
            message or (f"Ollama isn't running at {url} — start it with `ollama serve` (or open the Ollama "
                        "app), or pass the right address with --ollama-url."),
            details=details)


class OllamaNotResponding(OllamaNotRunning):
    """The server was reached but stopped answering (hung, crashed, or busy loading)."""


class UnknownModel(OllamaError):
    def __init__(self, tag: str, message: str | None = None, *, details: str | None = None) -> None:
        self.tag = tag
        super().__init__(
            message or (f"There is no model called “{tag}” in the Ollama library — check the name and tag "
                        "(for example qwen2.5-coder:7b)."),
            details=details)


class InvalidModelName(UnknownModel):
    def __init__(self, tag: str, *, details: str | None = None) -> None:
        super().__init__(tag, f"“{tag}” is not a valid model name — use name:tag, for example qwen2.5-coder:7b.",
                         details=details)


class ModelNotInstalled(UnknownModel):
    def __init__(self, tag: str, *, details: str | None = None) -> None:
        super().__init__(tag, f"“{tag}” is not installed — pull it first with `hybridcoder models pull {tag}`.",
                         details=details)


class DiskFull(OllamaError):
    def __init__(self, details: str | None = None) -> None:
        super().__init__(
            "The disk is full, so the download stopped — free up space on the drive that holds Ollama's models "
            "(OLLAMA_MODELS) and pull again; it resumes where it stopped.",
            details=details)


class NetworkLost(OllamaError):
    def __init__(self, details: str | None = None) -> None:
        super().__init__(
            "The download stopped because the internet connection was lost — check your connection and pull "
            "again; it resumes where it stopped.",
            details=details)


class ModelTooLarge(OllamaError):
    def __init__(self, tag: str, details: str | None = None) -> None:
        self.tag = tag
        super().__init__(
            f"“{tag}” is too large for this machine's memory — pick a smaller model or a shorter context "
            "(`hybridcoder models recommend` shows what fits).",
            details=details)


class InstallFailed(OllamaError):
    """The message says which step failed; ``details`` holds the installer's own words."""


class OllamaRequestFailed(OllamaError):
    """Ollama reported an error we have no better sentence for; its own text is in the message."""


_NETWORK_MARKERS = ("max retries exceeded", "connection reset", "no such host", "dial tcp", "i/o timeout",
                    "tls handshake", "network is unreachable", "connection refused", "unexpected eof",
                    "temporary failure in name resolution")
_MEMORY_MARKERS = ("requires more system memory", "out of memory", "cudamalloc failed", "insufficient memory",
                   "not enough memory", "unable to allocate")


def classify_message(text: str, *, tag: str = "", url: str = "") -> OllamaError:
    """Map an error text from Ollama (an ``{"error"}`` body or line) to the clear error."""
    low = text.lower()
    if "file does not exist" in low or "manifest unknown" in low:
        return UnknownModel(tag, details=text)
    if "invalid model name" in low:
        return InvalidModelName(tag, details=text)
    if "no space left on device" in low or "disk quota exceeded" in low:
        return DiskFull(details=text)
    if any(marker in low for marker in _MEMORY_MARKERS):
        return ModelTooLarge(tag, details=text)
    if any(marker in low for marker in _NETWORK_MARKERS):
        return NetworkLost(details=text)
    if "not found" in low and tag:
        return ModelNotInstalled(tag, details=text)
    first_line = " ".join(text.split())[:300]  # one line, however long the server's text is
    return OllamaRequestFailed(f"Ollama reported an error: {first_line.rstrip('.')}.", details=text)


def _looks_like_a_web_page(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith("<") and ("<html" in head or "<!doctype" in head or "<body" in head or "<h1" in head)


def translate_error(exc: BaseException, *, url: str, tag: str = "") -> OllamaError:
    """Turn what the ``ollama`` client / httpx raised into an :class:`OllamaError`."""
    if isinstance(exc, OllamaError):
        return exc
    if isinstance(exc, ollama.ResponseError):
        if _looks_like_a_web_page(exc.error):  # Ollama answers errors as JSON; a page means another server
            return OllamaRequestFailed(f"The server at {url} did not answer like Ollama (HTTP {exc.status_code}) "
                                       "— check the address (--ollama-url or OLLAMA_HOST).", details=exc.error)
        if exc.status_code == 404 and tag:
            return ModelNotInstalled(tag, details=exc.error)
        if exc.status_code == 400 and "invalid model name" in exc.error.lower():
            return InvalidModelName(tag, details=exc.error)
        return classify_message(exc.error, tag=tag, url=url)
    if isinstance(exc, httpx.TimeoutException):
        return OllamaNotResponding(
            url, f"Ollama at {url} did not answer in time — it may be busy loading a model; try again.",
            details=repr(exc))
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return OllamaNotRunning(url, details=str(exc))
    if isinstance(exc, httpx.TransportError):  # connection dropped mid-response
        return OllamaNotResponding(
            url, f"Ollama at {url} stopped answering in the middle of a reply — check that it is still running "
                 "and try again.",
            details=repr(exc))
    if isinstance(exc, ValueError):  # unparseable JSON / unexpected shape (pydantic errors are ValueErrors)
        return OllamaRequestFailed(f"The server at {url} did not answer like Ollama — check the address "
                                   "(--ollama-url or OLLAMA_HOST).", details=repr(exc))
    return OllamaRequestFailed(f"Talking to Ollama at {url} failed ({type(exc).__name__}).", details=repr(exc))
