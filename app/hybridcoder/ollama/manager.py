"""Blocking Ollama management with progress callbacks: status, start, models, pull, load.

The GUI runs these calls on a worker thread and passes callbacks and a ``threading.Event`` to
cancel; the CLI runs them directly. Every call goes through the real ``ollama`` client with a
timeout, and every failure comes out as an :class:`~hybridcoder.ollama.errors.OllamaError`
with one clear sentence.

This module never writes the app's settings or state: a cancelled or failed pull leaves
nothing half-written on our side (Ollama keeps its partial blobs and resumes them itself).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import ollama

from hybridcoder.ollama import detect
from hybridcoder.ollama.errors import (
    OllamaError,
    OllamaNotInstalled,
    OllamaNotRunning,
    classify_message,
    translate_error,
)
from hybridcoder.ollama.pull_progress import PullProgress, PullTracker
from hybridcoder.paths import app_paths

log = logging.getLogger(__name__)

#: A pull can be silent for a long time while Ollama verifies a multi-GB blob.
PULL_READ_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class OllamaStatus:
    installed: bool
    binary: str | None
    running: bool
    version: str | None
    url: str
    #: One sentence when something answers at the URL that is not Ollama, or why it is unreachable.
    problem: str | None = None


@dataclass(frozen=True)
class InstalledModel:
    name: str
    size: int
    digest: str
    modified_at: datetime | None
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""


@dataclass(frozen=True)
class LoadedModel:
    name: str
    size: int
    size_vram: int
    context_length: int | None
    expires_at: datetime | None

    @property
    def fully_on_gpu(self) -> bool:
        """Ollama's own ground truth: all weights and cache in VRAM, none offloaded to the CPU."""
        return self.size > 0 and self.size_vram == self.size


@dataclass(frozen=True)
class ModelDetails:
    """What ``/api/show`` says about an installed model (capabilities and sizing numbers)."""

    name: str
    capabilities: tuple[str, ...]
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""
    context_length: int | None = None
    block_count: int | None = None
    head_count: int | None = None
    head_count_kv: int | None = None
    embedding_length: int | None = None
    parameter_count: int | None = None
    model_info: dict[str, Any] = field(default_factory=dict)

    @property
    def supports_fim(self) -> bool:
        return "insert" in self.capabilities


@dataclass(frozen=True)
class PullResult:
    tag: str
    #: True when Ollama reported success; False when cancelled.
    completed: bool
    cancelled: bool
    total_bytes: int
    #: Bytes that were already on disk from an interrupted pull (0 for a fresh pull).
    resumed_bytes: int
    seconds: float


ProgressCallback = Callable[[PullProgress], None]


class OllamaManager:
    """One Ollama server, addressed by URL (``None``: settings, then ``OLLAMA_HOST``, then the default)."""

    def __init__(self, url: str | None = None, *, timeout: float = 10.0) -> None:
        configured: str | None = None
        if url is None:
            from hybridcoder.settings import Settings

            configured = Settings.load().ollama.url
        self.url = detect.resolve_url(url, configured)
        try:
            parsed = httpx.URL(self.url)
        except (httpx.InvalidURL, ValueError, TypeError):
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host or " " in self.url:
            raise OllamaError(f"“{url or self.url}” is not a valid Ollama address — use one like "
                              "http://127.0.0.1:11434.")
        self.timeout = timeout
        #: The server process this manager started (``start()``), if any.
        self.started_process: subprocess.Popen[bytes] | None = None

    def _client(self, timeout: float | httpx.Timeout | None = None) -> ollama.Client:
        return ollama.Client(host=self.url, timeout=timeout if timeout is not None else self.timeout)

    @contextlib.contextmanager
    def _calling(self, tag: str = "") -> Iterator[ollama.Client]:
        client = self._client()
        try:
            yield client
        except (ollama.ResponseError, httpx.HTTPError, ConnectionError, ValueError) as exc:
            raise translate_error(exc, url=self.url, tag=tag) from None
        finally:
            client.close()  # type: ignore[no-untyped-call]

    # ---- state

    def status(self) -> OllamaStatus:
        binary = detect.find_binary() or detect.find_desktop_app()
        found = detect.probe(self.url, timeout=min(self.timeout, 3.0))
        problem = None
        if found.foreign:
            problem = f"Something other than Ollama answers at {self.url} — another program may hold that port."
        elif not found.reachable:
            problem = f"Nothing answers at {self.url}."
        return OllamaStatus(installed=binary is not None or found.is_ollama,
                            binary=str(binary) if binary else None,
                            running=found.is_ollama, version=found.version, url=self.url, problem=problem)

    def start(self, wait_s: float = 30.0, on_progress: Callable[[float, float], None] | None = None,
              cancel: threading.Event | None = None) -> OllamaStatus:
        """Start Ollama if it is installed but not answering, and wait until it answers.

        Does nothing when the port already answers (never a second server). On macOS and Windows
        the desktop app is preferred (it also manages updates); otherwise ``ollama serve`` runs
        detached with ``OLLAMA_HOST`` set to this manager's address and its output in our log dir.
        ``on_progress(elapsed_s, wait_s)`` is called while waiting.
        """
        found = detect.probe(self.url, timeout=2.0)
        if found.is_ollama:
            return self.status()
        if found.foreign:
            raise OllamaNotRunning(self.url, f"Another program is using {self.url}, so Ollama cannot start there "
                                             "— stop that program or point Hybrid Coder at another port.")
        if not detect.is_loopback(self.url):
            raise OllamaNotRunning(self.url, f"Ollama at {self.url} is on another machine — start it there, "
                                             "then try again.")
        command, log_file = self._launch_command()
        log.info("starting Ollama: %s", command)
        self.started_process = _spawn_detached(command, log_file, {"OLLAMA_HOST": detect.host_port(self.url)},
                                               self.url)
        started = time.monotonic()
        delay = 0.1
        while True:
            elapsed = time.monotonic() - started
            if on_progress is not None:
                on_progress(elapsed, wait_s)
            if detect.probe(self.url, timeout=1.0).is_ollama:
                return self.status()
            if cancel is not None and cancel.is_set():
                raise OllamaNotRunning(self.url, "Starting Ollama was cancelled.")
            exit_code = self.started_process.poll()
            if exit_code is not None and exit_code != 0:
                raise OllamaNotRunning(
                    self.url, f"Ollama exited right after starting (code {exit_code}) — see {log_file} for why, "
                              "or run `ollama serve` in a terminal.", details=_tail(log_file))
            if elapsed >= wait_s:
                raise OllamaNotRunning(
                    self.url, f"Ollama did not answer at {self.url} within {wait_s:.0f} s of starting — see "
                              f"{log_file}, or run `ollama serve` in a terminal to see why.",
                    details=_tail(log_file))
            time.sleep(min(delay, max(0.0, wait_s - elapsed)) or 0.01)
            delay = min(delay * 1.5, 1.0)

    def _launch_command(self) -> tuple[list[str], Path]:
        log_file = app_paths().log_dir / "ollama-serve.log"
        app = detect.find_desktop_app()
        default_port = detect.host_port(self.url) == detect.host_port(detect.DEFAULT_URL)
        # The desktop app always listens on the default port; use it only when that is where we look.
        if app is not None and default_port and sys.platform == "darwin":
            return ["open", "-j", "-a", str(app), "--args", "--fast-startup"], log_file
        if app is not None and default_port and sys.platform == "win32":
            return [str(app), "--hide", "--fast-startup"], log_file
        binary = detect.find_binary()
        if binary is None:
            raise OllamaNotInstalled()
        return [str(binary), "serve"], log_file

    # ---- models

    def list_models(self) -> list[InstalledModel]:
        with self._calling() as client:
            listed = client.list()
        out = []
        for m in listed.models:
            details = m.details
            out.append(InstalledModel(
                name=m.model or "", size=int(m.size or 0), digest=m.digest or "", modified_at=m.modified_at,
                family=(details.family or "") if details else "",
                parameter_size=(details.parameter_size or "") if details else "",
                quantization=(details.quantization_level or "") if details else ""))
        return out

    def loaded(self) -> list[LoadedModel]:
        """What is in memory now, per ``/api/ps``."""
        with self._calling() as client:
            running = client.ps()
        return [LoadedModel(name=m.model or m.name or "", size=int(m.size or 0), size_vram=int(m.size_vram or 0),
                            context_length=m.context_length, expires_at=m.expires_at)
                for m in running.models]

    def details(self, tag: str) -> ModelDetails:
        with self._calling(tag) as client:
            shown = client.show(tag)
        info: dict[str, Any] = dict(shown.modelinfo or {})
        arch = str(info.get("general.architecture", ""))

        def number(key: str) -> int | None:
            value = info.get(f"{arch}.{key}")
            return int(value) if isinstance(value, int | float) else None

        capabilities = tuple(shown.capabilities or ())
        if not capabilities:  # servers before capabilities existed: the template tells
            capabilities = ("completion", "insert") if "{{ .Suffix }}" in (shown.template or "") else ("completion",)
        det = shown.details
        count = info.get("general.parameter_count")
        return ModelDetails(
            name=tag, capabilities=capabilities,
            family=(det.family or "") if det else "", parameter_size=(det.parameter_size or "") if det else "",
            quantization=(det.quantization_level or "") if det else "",
            context_length=number("context_length"), block_count=number("block_count"),
            head_count=number("attention.head_count"), head_count_kv=number("attention.head_count_kv"),
            embedding_length=number("embedding_length"),
            parameter_count=int(count) if isinstance(count, int | float) else None, model_info=info)

    def capabilities(self, tag: str) -> tuple[str, ...]:
        return self.details(tag).capabilities

    def supports_fim(self, tag: str) -> bool:
        """True when the model's template has a suffix slot (Ollama's ``insert`` capability)."""
        return self.details(tag).supports_fim

    def delete(self, tag: str) -> None:
        with self._calling(tag) as client:
            client.delete(tag)

    def load(self, tag: str, keep_alive: str | float = "5m", num_ctx: int | None = None) -> LoadedModel | None:
        """Load ``tag`` into memory (an empty generate) and return its ``/api/ps`` entry."""
        options = {"num_ctx": num_ctx} if num_ctx else None
        with self._calling(tag) as client:
            client.generate(model=tag, prompt="", keep_alive=keep_alive, options=options)
        return next((m for m in self.loaded() if _same_model(m.name, tag)), None)

    def unload(self, tag: str) -> None:
        """Free the model's memory now (``keep_alive: 0``)."""
        with self._calling(tag) as client:
            client.generate(model=tag, prompt="", keep_alive=0)

    # ---- pull

    def pull(self, tag: str, on_progress: ProgressCallback | None = None,
             cancel: threading.Event | None = None, *, expected_total: int = 0) -> PullResult:
        """Download ``tag`` with one aggregated, forward-only progress; returns when done or cancelled.

        Cancelling (the Event, or Ctrl-C in the calling thread) closes the stream, which makes
        Ollama stop the download; the blobs it already has stay, so pulling again resumes.
        ``on_progress`` runs in the calling thread.
        """
        cancel = cancel or threading.Event()
        tracker = PullTracker(tag, expected_total=expected_total)
        started = time.monotonic()
        lines: queue.Queue[tuple[str, Any]] = queue.Queue()
        worker = threading.Thread(target=self._pull_worker, args=(tag, lines, cancel),
                                  name=f"ollama-pull-{tag}", daemon=True)
        worker.start()
        last: PullProgress | None = None
        try:
            while True:
                try:
                    kind, payload = lines.get(timeout=0.1)
                except queue.Empty:
                    if cancel.is_set():
                        break
                    continue
                if kind == "error":
                    raise payload
                if kind == "end":
                    break
                if cancel.is_set():
                    break
                last = tracker.update(payload.status or "", payload.digest, payload.completed, payload.total)
                if on_progress is not None:
                    on_progress(last)
        except BaseException:
            cancel.set()
            worker.join(timeout=2.0)
            raise
        if cancel.is_set():
            worker.join(timeout=2.0)
            log.info("pull of %s cancelled at %d bytes", tag, tracker.completed)
            return PullResult(tag, completed=False, cancelled=True, total_bytes=tracker.total,
                              resumed_bytes=tracker.resumed_bytes, seconds=time.monotonic() - started)
        done = last is not None and last.phase == "done"
        if not done:  # the stream ended without success or error: Ollama went away
            raise OllamaNotRunning(self.url, f"Ollama at {self.url} stopped answering during the download "
                                             "— check that it is running and pull again; it resumes.")
        return PullResult(tag, completed=True, cancelled=False, total_bytes=tracker.total,
                          resumed_bytes=tracker.resumed_bytes, seconds=time.monotonic() - started)

    def _pull_worker(self, tag: str, lines: queue.Queue[tuple[str, Any]], cancel: threading.Event) -> None:
        """Reads the NDJSON stream on its own thread so cancelling never waits for the next line."""
        client = self._client(httpx.Timeout(self.timeout, read=PULL_READ_TIMEOUT_S))
        stream: Generator[ollama.ProgressResponse, None, None] | None = None
        try:
            stream = cast("Generator[ollama.ProgressResponse, None, None]", client.pull(tag, stream=True))
            for part in stream:
                if cancel.is_set():
                    break
                lines.put(("progress", part))
            lines.put(("end", None))
        except ollama.ResponseError as exc:
            error = (classify_message(exc.error, tag=tag, url=self.url) if exc.status_code == -1
                     else translate_error(exc, url=self.url, tag=tag))
            lines.put(("error", error))
        except (httpx.HTTPError, ConnectionError) as exc:
            lines.put(("error", translate_error(exc, url=self.url, tag=tag)))
        except Exception as exc:  # never let the worker die silently
            log.exception("pull worker failed")
            lines.put(("error", OllamaError(f"Pulling {tag} failed unexpectedly ({type(exc).__name__}).")))
        finally:
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()  # closes the HTTP response: Ollama stops the download
            with contextlib.suppress(Exception):
                client.close()  # type: ignore[no-untyped-call]


def _same_model(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"

    return norm(a) == norm(b)


def _spawn_detached(command: list[str], log_file: Path, env_extra: dict[str, str],
                    url: str) -> subprocess.Popen[bytes]:
    """Start a process that outlives us, with its output appended to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **env_extra}
    kwargs: dict[str, Any] = {}
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    try:
        with open(log_file, "ab") as output:
            return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                    env=env, close_fds=True, **kwargs)
    except OSError as exc:
        raise OllamaNotRunning(url, f"Could not start Ollama ({exc.strerror}) — run `ollama serve` in a "
                                    "terminal to see why.") from None


def _tail(path: Path, lines: int = 5) -> str | None:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return None
