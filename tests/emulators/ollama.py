"""An Ollama server emulator: a real HTTP server on 127.0.0.1 that speaks Ollama's wire protocol.

What it is for: the Ollama binary, a GPU and the model registry cannot run in tests, so this
server stands in for them. It speaks the protocol documented in shared/reference/ollama.md
exactly (NDJSON streams with chunked transfer encoding, in-stream ``{"error"}`` lines under
HTTP 200, omitempty fields, nanosecond durations, the OpenAI-compatible ``/v1`` endpoints and
their quirks), so production code cannot tell it from the real server.

Knobs (plain attributes, settable at any time from a test):

- ``models`` (installed, name → :class:`EmulatedModel`), ``registry`` (pullable models with layers)
- ``chunk_delay_s`` (latency per streamed chunk), ``first_token_delay_s``, ``load_delay_s``
- ``pull_steps`` / ``pull_tick_s`` / ``pull_bytes_per_s`` (how a pull progresses)
- ``vram_bytes`` (None = every loaded model fits on the GPU), ``memory_bytes`` (None = any model
  loads; else bigger models fail with Ollama's out-of-memory error)
- ``fail_next(kind, ...)`` queues a :class:`Fault`; ``script_reply(...)`` queues a :class:`ScriptedReply`
- records: ``requests`` (``RecordedRequest(method, path, body)``), ``request_headers``,
  ``cancelled`` (streams whose client went away, detected as a closed socket or a write error)

Replies are deterministic: chat answers ``"Echo: <last user message>"`` (``reply_text``), FIM
answers ``fim_reply``, split into word-sized chunks; ``num_predict``/``max_tokens`` cut it short with
``done_reason``/``finish_reason`` "length". Token counts are word counts (usage is predictable).

Faults (one-shot, first match wins; without ``path`` they hit the next generate/chat/embed/pull or
/v1 POST, never a health check): ``http_500``, ``status`` (any code), ``oom``, ``drop`` (cut the
connection after N chunks), ``in_stream_error``, ``disk_full`` / ``network_lost`` (pull), ``stall``.

Typical use::

    def test_something(ollama_emulator):
        ollama_emulator.chunk_delay_s = 0.01
        ollama_emulator.fail_next("drop", path="/v1/chat/completions", after_chunks=2)
        ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", {"path": "a.py"})])
        ...  # point the code under test at ollama_emulator.url (OLLAMA_HOST: ollama_emulator.host)
        assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled == 1)

``stop()`` then ``start()`` restarts it on the same port (an Ollama restart).

This module must never reach anything but 127.0.0.1, and never sleeps without watching for the
client going away (so cancellation tests stay fast).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from tests.emulators.http_base import Exchange, HTTPEmulator

VERSION = "0.32.15"
GIB = 1024**3

_NAME_RE = re.compile(
    r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/){0,2}[A-Za-z0-9][A-Za-z0-9._-]{0,79}(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,79})?$"
)
#: Endpoints a fault without an explicit ``path`` applies to (health checks never eat a fault).
_MODEL_ENDPOINTS = (
    "/api/generate", "/api/chat", "/api/embed", "/api/pull",
    "/v1/chat/completions", "/v1/completions", "/v1/embeddings",
)


def _digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def normalize_name(name: str) -> str:
    """``qwen2.5-coder`` → ``qwen2.5-coder:latest``; the default registry prefix is dropped."""
    for prefix in ("registry.ollama.ai/library/", "registry.ollama.ai/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


# --------------------------------------------------------------------------- data


class Layer(NamedTuple):
    media_type: str
    size: int
    digest: str


@dataclass
class EmulatedModel:
    """One model as Ollama knows it: tags entry, show details, and the layers a pull downloads."""

    name: str
    size: int
    capabilities: tuple[str, ...] = ("completion",)
    family: str = "qwen2"
    parameter_size: str = "7.6B"
    quantization_level: str = "Q4_K_M"
    context_length: int = 32768
    block_count: int = 28
    head_count: int = 28
    head_count_kv: int = 4
    embedding_length: int = 3584
    parameter_count: int = 7_615_616_512
    license: str = "Apache License 2.0"
    template: str | None = None
    layers: tuple[Layer, ...] = ()
    modified_at: str = "2026-08-01T12:00:00.000000000Z"

    def __post_init__(self) -> None:
        self.name = normalize_name(self.name)
        if self.template is None:
            self.template = (
                "{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>"
                "{{- else }}{{ .Prompt }}{{- end }}"
                if "insert" in self.capabilities
                else "{{ .System }}{{ .Prompt }}"
            )
        if not self.layers:
            small = {"application/vnd.ollama.image.template": len(self.template) + 1000,
                     "application/vnd.ollama.image.license": 11_343,
                     "application/vnd.ollama.image.params": 120}
            weights = max(1, self.size - sum(small.values()))
            self.layers = (
                Layer("application/vnd.ollama.image.model", weights, _digest(f"{self.name}/weights")),
                *(Layer(mt, n, _digest(f"{self.name}/{mt}")) for mt, n in small.items()),
            )
        self.size = sum(layer.size for layer in self.layers)

    @property
    def digest(self) -> str:
        return _digest("manifest:" + ",".join(layer.digest for layer in self.layers))[7:]

    @property
    def architecture(self) -> str:
        return self.family.replace("-", "_")

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }

    def kv_bytes(self, num_ctx: int) -> int:
        head_dim = self.embedding_length // max(1, self.head_count)
        return 2 * self.block_count * self.head_count_kv * head_dim * num_ctx * 2


def _qwen(name: str, size: int, caps: tuple[str, ...], psize: str, count: int, blocks: int,
          heads: int, kv: int, emb: int, quant: str = "Q4_K_M") -> EmulatedModel:
    return EmulatedModel(name=name, size=size, capabilities=caps, parameter_size=psize,
                         parameter_count=count, block_count=blocks, head_count=heads,
                         head_count_kv=kv, embedding_length=emb, quantization_level=quant)


def default_catalog() -> dict[str, EmulatedModel]:
    """The models the emulator's registry offers (sizes as the Ollama library lists them)."""
    chat = ("completion", "tools", "insert")
    base = ("completion", "insert")
    models = [
        _qwen("qwen2.5-coder:7b", 4_683_087_332, chat, "7.6B", 7_615_616_512, 28, 28, 4, 3584),
        _qwen("qwen2.5-coder:3b", 1_929_912_432, chat, "3.1B", 3_085_938_688, 36, 16, 2, 2048),
        _qwen("qwen2.5-coder:14b", 8_988_124_069, chat, "14.8B", 14_770_033_664, 48, 40, 8, 5120),
        _qwen("qwen2.5-coder:1.5b-base", 986_061_892, base, "1.5B", 1_543_714_304, 28, 12, 2, 1536),
        _qwen("qwen2.5-coder:0.5b-base", 397_821_319, base, "494M", 494_032_768, 24, 14, 2, 896),
        EmulatedModel(name="llama3.2:1b", size=1_321_098_329, capabilities=("completion", "tools"),
                      family="llama", parameter_size="1.2B", parameter_count=1_235_814_432,
                      block_count=16, head_count=32, head_count_kv=8, embedding_length=2048,
                      license="LLAMA 3.2 COMMUNITY LICENSE AGREEMENT", context_length=131072),
        EmulatedModel(name="nomic-embed-text:latest", size=274_302_450, capabilities=("embedding",),
                      family="nomic-bert", parameter_size="137M", parameter_count=136_727_040,
                      quantization_level="F16", block_count=12, head_count=12, head_count_kv=12,
                      embedding_length=768, context_length=2048),
    ]
    return {m.name: m for m in models}


DEFAULT_INSTALLED = ("qwen2.5-coder:7b", "qwen2.5-coder:1.5b-base", "nomic-embed-text:latest")


class RecordedRequest(NamedTuple):
    method: str
    path: str
    body: Any


@dataclass
class Fault:
    """A failure the emulator injects into the next matching request.

    kinds: ``http_500`` / ``status`` (an HTTP error before any byte of the body; ``status`` and
    ``message`` pick it), ``oom`` (500 with Ollama's out-of-memory text), ``drop`` (connection
    closed after ``after_chunks`` chunks, no error line), ``in_stream_error`` (an ``{"error"}``
    line after ``after_chunks`` chunks, under 200), ``disk_full`` and ``network_lost`` (pull only:
    the in-stream errors Ollama sends; bytes already fetched stay, so a new pull resumes),
    ``stall`` (go silent for ``delay_s`` after ``after_chunks`` chunks — 0 means before answering at
    all, a non-streamed reply stalls before its body — then carry on normally).
    """

    kind: str
    path: str | None = None
    after_chunks: int = 1
    status: int = 500
    message: str | None = None
    delay_s: float = 0.0

    def matches(self, path: str) -> bool:
        if self.path is None:
            return path in _MODEL_ENDPOINTS
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")


@dataclass
class ScriptedToolCall:
    """A tool call the model "makes". ``arguments`` as a str is sent verbatim (e.g. invalid JSON)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)


@dataclass
class ScriptedReply:
    """What the model answers to the next matching generate/chat/completion request."""

    content: str | None = None
    chunks: list[str] | None = None
    tool_calls: list[ScriptedToolCall] = field(default_factory=list)
    done_reason: str = "stop"
    path: str | None = None
    thinking: str | None = None

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return _split_words(self.content or "")

    def matches(self, path: str) -> bool:
        return self.path is None or path == self.path


def _split_words(text: str) -> list[str]:
    """Word-sized chunks that join back to ``text`` exactly."""
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


@dataclass
class _Loaded:
    model: EmulatedModel
    num_ctx: int
    expires_at: datetime | None  # None = forever

    @property
    def size(self) -> int:
        return self.model.size + self.model.kv_bytes(self.num_ctx)


def _parse_keep_alive(value: Any) -> float | None:
    """Seconds to keep a model loaded; None = forever; 0 = unload now. Default 5 minutes."""
    if value is None:
        return 300.0
    if isinstance(value, int | float):
        return None if value < 0 else float(value)
    text = str(value).strip()
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(ms|s|m|h)?", text)
    if not match:
        return 300.0
    number = float(match.group(1))
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]
    return None if number < 0 else number * scale


# --------------------------------------------------------------------------- the emulator


class OllamaEmulator(HTTPEmulator[RecordedRequest]):
    """A fake Ollama on 127.0.0.1:<ephemeral port>; use as a context manager or ``start()``/``stop()``.

    ``stop()`` then ``start()`` comes back on the same port, and ``port`` is still known after
    ``stop()`` (so tests can probe a dead Ollama).
    """

    name = "ollama-emulator"
    json_content_type = "application/json; charset=utf-8"
    keep_port = True

    def __init__(self, *, installed: Iterable[str] | None = DEFAULT_INSTALLED,
                 registry: dict[str, EmulatedModel] | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.version = VERSION
        self.registry: dict[str, EmulatedModel] = registry if registry is not None else default_catalog()
        self.models: dict[str, EmulatedModel] = {}
        #: bytes of each blob already on "disk" (what makes an interrupted pull resume)
        self.blobs: dict[str, int] = {}
        for name in installed or ():
            self.install(self.registry[normalize_name(name)])
        self.chunk_delay_s = 0.0
        self.first_token_delay_s = 0.0
        self.load_delay_s = 0.0
        self.pull_steps = 4
        self.pull_tick_s = 0.0
        self.pull_bytes_per_s: float | None = None
        self.vram_bytes: int | None = None
        self.memory_bytes: int | None = None
        self.default_num_ctx = 4096
        self.embedding_dim = 16
        self.fim_reply = "return a + b\n"
        self.reply_text: Callable[[str], str] = lambda text: f"Echo: {text}"
        self.faults: list[Fault] = []
        self.replies: list[ScriptedReply] = []
        self.request_headers: list[dict[str, str]] = []
        self.loaded: dict[str, _Loaded] = {}
        self._ids = 0

    @property
    def host(self) -> str:
        """The value for ``OLLAMA_HOST``."""
        return f"127.0.0.1:{self.port}"

    # ---- knobs with behaviour

    def install(self, model: EmulatedModel) -> None:
        """Make ``model`` installed (all its blobs present)."""
        with self._lock:
            self.models[model.name] = model
            self.registry.setdefault(model.name, model)
            for layer in model.layers:
                self.blobs[layer.digest] = layer.size

    def fail_next(self, kind: str, *, path: str | None = None, after_chunks: int = 1, status: int = 500,
                  message: str | None = None, delay_s: float = 0.0) -> Fault:
        fault = Fault(kind, path=path, after_chunks=after_chunks, status=status, message=message,
                      delay_s=delay_s)
        with self._lock:
            self.faults.append(fault)
        return fault

    def script_reply(self, content: str | None = None, *, chunks: list[str] | None = None,
                     tool_calls: list[ScriptedToolCall] | None = None, done_reason: str = "stop",
                     path: str | None = None, thinking: str | None = None) -> ScriptedReply:
        reply = ScriptedReply(content=content, chunks=chunks, tool_calls=list(tool_calls or []),
                              done_reason=done_reason, path=path, thinking=thinking)
        with self._lock:
            self.replies.append(reply)
        return reply

    # ---- dispatch

    def _record(self, ex: Exchange) -> RecordedRequest:
        self.request_headers.append(ex.headers)
        return RecordedRequest(ex.method, ex.path, ex.body)

    def handle(self, ex: Exchange) -> None:
        path, method, body = ex.path, ex.method, ex.body
        with self._lock:
            fault = next((f for f in self.faults if f.matches(path)), None)
            if fault is not None:
                self.faults.remove(fault)
        openai = path.startswith("/v1/")
        if fault is not None and fault.kind == "stall" and fault.after_chunks <= 0:
            ex.sleep(fault.delay_s)
            fault = None
        if fault is not None and fault.kind in ("http_500", "status", "oom"):
            message = fault.message or (
                "model requires more system memory (9.5 GiB) than is available (3.1 GiB)"
                if fault.kind == "oom" else "internal server error")
            self._error(ex, fault.status, message, openai)
            return
        if fault is not None and fault.kind == "drop" and fault.after_chunks <= 0:
            ex.drop()
        if ex.bad_json or (method == "POST" and ex.raw and not isinstance(body, dict)):
            self._error(ex, 400, "invalid character 'x' looking for beginning of value" if ex.bad_json
                        else "json: cannot unmarshal into Go value", openai)
            return
        self._route(ex, method, path, body if isinstance(body, dict) else {}, bool(ex.raw), fault)


    def _route(self, ex: Exchange, method: str, path: str, body: dict[str, Any], has_body: bool,
               fault: Fault | None) -> None:
        if method in ("GET", "HEAD") and path == "/":
            ex.respond(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif method in ("GET", "HEAD") and path == "/api/version":
            ex.json(200, {"version": self.version})
        elif method in ("GET", "HEAD") and path == "/api/tags":
            ex.json(200, self._tags())
        elif method == "GET" and path == "/api/ps":
            ex.json(200, self._ps())
        elif method == "POST" and path == "/api/show":
            self._show(ex, body)
        elif method == "POST" and path == "/api/pull":
            self._pull(ex, body, fault)
        elif method == "DELETE" and path == "/api/delete":
            self._delete(ex, body, has_body)
        elif method == "POST" and path == "/api/generate":
            self._generate(ex, body, fault)
        elif method == "POST" and path == "/api/chat":
            self._chat(ex, body, fault)
        elif method == "POST" and path == "/api/embed":
            self._embed(ex, body)
        elif method == "POST" and path == "/v1/chat/completions":
            self._v1_chat(ex, body, fault)
        elif method == "POST" and path == "/v1/completions":
            self._v1_completions(ex, body, fault)
        elif method == "POST" and path == "/v1/embeddings":
            self._v1_embeddings(ex, body)
        elif method == "GET" and path == "/v1/models":
            ex.json(200, {"object": "list", "data": [self._v1_model(m) for m in self.models.values()]})
        elif method == "GET" and path.startswith("/v1/models/"):
            model = self._find(path[len("/v1/models/"):])
            if model is None:
                self._error(ex, 404, f"model '{path[len('/v1/models/'):]}' not found", True)
            else:
                ex.json(200, self._v1_model(model))
        else:
            ex.respond(404, b"404 page not found", "text/plain")

    def _error(self, ex: Exchange, status: int, message: str, openai: bool) -> None:
        if not openai:
            ex.json(status, {"error": message})
            return
        kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
        ex.json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

    def _find(self, name: str) -> EmulatedModel | None:
        with self._lock:
            return self.models.get(normalize_name(name)) if name else None

    def _next_id(self) -> int:
        with self._lock:
            self._ids += 1
            return self._ids

    # ---- listing

    def _tags(self) -> dict[str, Any]:
        with self._lock:
            models = list(self.models.values())
        return {"models": [
            {"name": m.name, "model": m.name, "modified_at": m.modified_at, "size": m.size,
             "digest": m.digest, "details": m.details()}
            for m in models
        ]}

    def _ps(self) -> dict[str, Any]:
        now = datetime.now(UTC)
        with self._lock:
            for name, entry in list(self.loaded.items()):
                if entry.expires_at is not None and entry.expires_at <= now:
                    del self.loaded[name]
            budget = self.vram_bytes
            out = []
            for entry in self.loaded.values():
                on_gpu = entry.size if budget is None else max(0, min(entry.size, budget))
                if budget is not None:
                    budget -= on_gpu
                expires = entry.expires_at or datetime(2318, 1, 1, tzinfo=UTC)
                out.append({
                    "name": entry.model.name, "model": entry.model.name, "size": entry.size,
                    "digest": entry.model.digest, "details": entry.model.details(),
                    "expires_at": expires.isoformat().replace("+00:00", "Z"),
                    "size_vram": on_gpu, "context_length": entry.num_ctx,
                })
        return {"models": out}

    def _show(self, ex: Exchange, body: dict[str, Any]) -> None:
        name = str(body.get("model") or body.get("name") or "")
        model = self._find(name)
        if model is None:
            ex.json(404 if name else 400, {"error": f"model '{name}' not found" if name else "model is required"})
            return
        arch = model.architecture
        info = {
            "general.architecture": arch,
            "general.parameter_count": model.parameter_count,
            "general.file_type": 15,
            f"{arch}.block_count": model.block_count,
            f"{arch}.attention.head_count": model.head_count,
            f"{arch}.attention.head_count_kv": model.head_count_kv,
            f"{arch}.embedding_length": model.embedding_length,
            f"{arch}.context_length": model.context_length,
        }
        ex.json(200, {
            "license": model.license,
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {model.name}\nTEMPLATE \"\"\"{model.template}\"\"\"\n",
            "parameters": 'stop                           "<|endoftext|>"',
            "template": model.template,
            "details": model.details(),
            "model_info": info,
            "tensors": [],
            "capabilities": list(model.capabilities),
            "modified_at": model.modified_at,
        })

    def _v1_model(self, model: EmulatedModel) -> dict[str, Any]:
        created = int(datetime.fromisoformat(model.modified_at[:19] + "+00:00").timestamp())
        return {"id": model.name, "object": "model", "created": created, "owned_by": "library"}

    # ---- pull / delete

    def _pull(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        name = str(body.get("model") or body.get("name") or "")
        if not name or not _NAME_RE.match(name):
            ex.json(400, {"error": "invalid model name"})
            return
        name = normalize_name(name)
        if body.get("stream", True) is False:
            last: dict[str, Any] = {}
            for item in self._pull_lines(name, fault, time.sleep):
                last = item
                if "error" in item:
                    ex.json(500, item)
                    return
            ex.json(200, last)
            return
        ex.start_stream("application/x-ndjson")
        for index, item in enumerate(self._pull_lines(name, fault, ex.sleep)):
            if fault is not None and fault.kind == "drop" and index >= fault.after_chunks:
                ex.drop()
            if fault is not None and fault.kind == "stall" and index == fault.after_chunks:
                ex.sleep(fault.delay_s)
            ex.send(json.dumps(item).encode() + b"\n")
        ex.end_stream()

    def _pull_pace(self, layer: Layer) -> tuple[int, float]:
        """(bytes per progress line, seconds between lines) for one blob."""
        if self.pull_bytes_per_s:
            tick = self.pull_tick_s or 0.05
            return max(1, int(self.pull_bytes_per_s * tick)), tick
        if layer.size < 1024 * 1024:  # small blobs (template, licence, params) arrive in one go
            return layer.size, self.pull_tick_s
        return max(1, math.ceil(layer.size / max(1, self.pull_steps))), self.pull_tick_s

    def _pull_lines(self, name: str, fault: Fault | None,
                    sleep: Callable[[float], None]) -> Iterator[dict[str, Any]]:
        """The NDJSON lines of one pull; blob progress is saved as it goes (so a re-pull resumes)."""
        yield {"status": "pulling manifest"}
        if fault is not None and fault.kind == "network_lost" and fault.after_chunks <= 0:
            yield {"error": fault.message or (
                f'pull model manifest: Get "https://registry.ollama.ai/v2/library/{name.split(":")[0]}'
                f'/manifests/{name.split(":")[1]}": dial tcp: lookup registry.ollama.ai: no such host')}
            return
        with self._lock:
            model = self.registry.get(name)
        if model is None:
            yield {"error": "pull model manifest: file does not exist"}
            return
        sent = 0
        for layer in model.layers:
            status = f"pulling {layer.digest[7:19]}"
            done = self.blobs.get(layer.digest, 0)
            step, delay = self._pull_pace(layer)
            line: dict[str, Any] = {"status": status, "digest": layer.digest, "total": layer.size}
            if done:
                line["completed"] = done
            yield line
            while done < layer.size:
                if fault is not None and fault.kind in ("disk_full", "network_lost", "in_stream_error") \
                        and sent >= fault.after_chunks:
                    yield {"error": self._pull_error(fault, layer)}
                    return
                if delay:
                    sleep(delay)
                done = min(layer.size, done + step)
                with self._lock:
                    self.blobs[layer.digest] = done
                sent += 1
                yield {"status": status, "digest": layer.digest, "total": layer.size, "completed": done}
        yield {"status": "verifying sha256 digest"}
        yield {"status": "writing manifest"}
        with self._lock:
            previous = self.models.get(name)
            self.models[name] = model
            in_use = {layer.digest for m in self.models.values() for layer in m.layers}
            unused = [layer.digest for layer in (previous.layers if previous else ()) if layer.digest not in in_use]
            for digest in unused:
                self.blobs.pop(digest, None)
        if unused:  # an update replaced layers of the installed version
            yield {"status": "removing unused layers"}
        yield {"status": "success"}

    @staticmethod
    def _pull_error(fault: Fault, layer: Layer) -> str:
        if fault.message:
            return fault.message
        if fault.kind == "disk_full":
            return (f"write /usr/share/ollama/.ollama/models/blobs/sha256-{layer.digest[7:]}-partial-0: "
                    "no space left on device")
        if fault.kind == "network_lost":
            return ("max retries exceeded: Get \"https://dd20bb891979d25aebc8bec07b2b3bbc.r2.cloudflarestorage.com/"
                    f"ollama/docker/registry/v2/blobs/sha256/{layer.digest[7:9]}/{layer.digest[7:]}/data\": "
                    "read tcp 192.168.1.20:51234->104.18.8.90:443: read: connection reset by peer")
        return "an error was encountered while running the model"

    def _delete(self, ex: Exchange, body: dict[str, Any], has_body: bool) -> None:
        name = str(body.get("model") or body.get("name") or "")
        if not has_body or not name:
            ex.json(400, {"error": "missing request body" if not has_body else "model is required"})
            return
        if not _NAME_RE.match(name):
            ex.json(400, {"error": "invalid model name"})
            return
        with self._lock:
            model = self.models.pop(normalize_name(name), None)
            if model is None:
                ex.json(404, {"error": f"model '{name}' not found"})
                return
            self.loaded.pop(model.name, None)
            in_use = {layer.digest for m in self.models.values() for layer in m.layers}
            for layer in model.layers:
                if layer.digest not in in_use:
                    self.blobs.pop(layer.digest, None)
        ex.respond(200, b"", "text/plain")

    # ---- generation

    def _load(self, model: EmulatedModel, options: dict[str, Any], keep_alive: Any) -> tuple[int, str | None]:
        """Load ``model`` (or refresh its expiry). Returns (load_duration_ns, out-of-memory message)."""
        num_ctx = int(options.get("num_ctx") or self.default_num_ctx)
        num_ctx = min(num_ctx, model.context_length)
        with self._lock:
            current = self.loaded.get(model.name)
            needed = model.size + model.kv_bytes(num_ctx)
            if self.memory_bytes is not None and needed > self.memory_bytes:
                return 0, (f"model requires more system memory ({needed / GIB:.1f} GiB) than is available "
                           f"({self.memory_bytes / GIB:.1f} GiB)")
            reload = current is None or current.num_ctx != num_ctx
            seconds = _parse_keep_alive(keep_alive)
            expires = None if seconds is None else datetime.now(UTC) + timedelta(seconds=seconds)
            self.loaded[model.name] = _Loaded(model, num_ctx, expires)
        return (max(1, int(self.load_delay_s * 1e9)) if reload else 0), None

    def _unload(self, model: EmulatedModel) -> None:
        with self._lock:
            self.loaded.pop(model.name, None)

    def _take_reply(self, path: str) -> ScriptedReply | None:
        with self._lock:
            reply = next((r for r in self.replies if r.matches(path)), None)
            if reply is not None:
                self.replies.remove(reply)
            return reply

    def _model_or_error(self, ex: Exchange, body: dict[str, Any], openai: bool,
                        capability: str | None) -> EmulatedModel | None:
        name = str(body.get("model") or "")
        if not name:
            self._error(ex, 400, "model is required", openai)
            return None
        model = self._find(name)
        if model is None:
            self._error(ex, 404, f"model '{name}' not found", openai)
            return None
        if capability is not None and capability not in model.capabilities:
            verb = {"completion": "generate", "embedding": "embeddings"}.get(capability, capability)
            self._error(ex, 400, f'"{name}" does not support {verb}', openai)
            return None
        return model

    def _stream_pieces(self, ex: Exchange, pieces: list[Any], fault: Fault | None,
                       render: Callable[[Any], bytes], error_line: Callable[[str], bytes],
                       content_type: str, load_ns: int) -> None:
        """Write ``pieces`` as a stream with latency and injected faults."""
        ex.start_stream(content_type)
        for index, piece in enumerate(pieces):
            if fault is not None and index == fault.after_chunks:
                if fault.kind == "stall":
                    ex.sleep(fault.delay_s)
                else:
                    self._apply_stream_fault(ex, fault, error_line)
                    return
            ex.sleep(self._first_delay(load_ns) if index == 0 else self.chunk_delay_s)
            ex.send(render(piece))
        ex.end_stream()

    def _first_delay(self, load_ns: int, fault: Fault | None = None) -> float:
        """Time to first token: the model load (when it had to load) plus ``first_token_delay_s``.

        A non-streamed reply has no chunks to stall between, so a ``stall`` fault delays it here.
        """
        stall = fault.delay_s if fault is not None and fault.kind == "stall" else 0.0
        return self.first_token_delay_s + (self.load_delay_s if load_ns else 0.0) + stall

    def _apply_stream_fault(self, ex: Exchange, fault: Fault, error_line: Callable[[str], bytes]) -> None:
        if fault.kind == "drop":
            ex.drop()
        ex.send(error_line(fault.message or "an error was encountered while running the model: unexpected EOF"))
        ex.end_stream()

    def _metrics(self, prompt_tokens: int, eval_tokens: int, load_ns: int) -> dict[str, int]:
        prompt_ns = max(1, prompt_tokens) * 1_000_000
        eval_ns = max(1, eval_tokens) * 10_000_000
        return {"total_duration": load_ns + prompt_ns + eval_ns + 1_000_000, "load_duration": load_ns,
                "prompt_eval_count": prompt_tokens, "prompt_eval_duration": prompt_ns,
                "eval_count": eval_tokens, "eval_duration": eval_ns}

    @staticmethod
    def _count_tokens(text: str) -> int:
        return max(1, len(text.split()))

    def _limit(self, pieces: list[str], reply: ScriptedReply, limit: Any) -> tuple[list[str], str]:
        if isinstance(limit, int) and 0 < limit < len(pieces):
            return pieces[:limit], "length"
        return pieces, reply.done_reason

    def _generate(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        model = self._model_or_error(ex, body, False, None)
        if model is None:
            return
        prompt = str(body.get("prompt") or "")
        suffix = body.get("suffix")
        if not prompt and not suffix and _parse_keep_alive(body.get("keep_alive")) == 0:
            self._load_or_unload(ex, model, {}, 0, {"response": ""})  # unloading works for any model
            return
        if "completion" not in model.capabilities:
            ex.json(400, {"error": f'"{body["model"]}" does not support generate'})
            return
        if body.get("raw") and (body.get("template") or body.get("system") or body.get("context")):
            ex.json(400, {"error": "raw mode does not support template, system, or context"})
            return
        if suffix and "insert" not in model.capabilities:
            ex.json(400, {"error": f'"{body["model"]}" does not support insert'})
            return
        options = body.get("options") or {}
        keep_alive = body.get("keep_alive")
        if not prompt and not suffix:
            self._load_or_unload(ex, model, options, keep_alive, {"response": ""})
            return
        load_ns, oom = self._load(model, options, keep_alive)
        if oom:
            ex.json(500, {"error": oom})
            return
        reply = self._take_reply("/api/generate") or ScriptedReply(
            content=self.fim_reply if suffix else self.reply_text(prompt))
        pieces, done_reason = self._limit(reply.pieces(), reply, options.get("num_predict"))
        prompt_tokens = self._count_tokens(prompt + " " + str(suffix or ""))
        created = _now_iso()
        final: dict[str, Any] = {"model": model.name, "created_at": created, "response": "", "done": True,
                                 "done_reason": done_reason}
        if not body.get("raw"):
            final["context"] = list(range(1, prompt_tokens + len(pieces) + 1))
        final.update(self._metrics(prompt_tokens, len(pieces), load_ns))
        if _parse_keep_alive(keep_alive) == 0:
            self._unload(model)
        if body.get("stream", True) is False:
            ex.sleep(self._first_delay(load_ns, fault))
            ex.json(200, {**final, "response": "".join(pieces)})
            return
        items: list[dict[str, Any]] = [
            {"model": model.name, "created_at": created, "response": p, "done": False} for p in pieces
        ]
        self._stream_pieces(ex, [*items, final], fault, lambda o: json.dumps(o).encode() + b"\n",
                            lambda m: json.dumps({"error": m}).encode() + b"\n", "application/x-ndjson", load_ns)

    def _load_or_unload(self, ex: Exchange, model: EmulatedModel, options: dict[str, Any], keep_alive: Any,
                        extra: dict[str, Any]) -> None:
        if _parse_keep_alive(keep_alive) == 0:
            self._unload(model)
            reason = "unload"
        else:
            _, oom = self._load(model, options, keep_alive)
            if oom:
                ex.json(500, {"error": oom})
                return
            reason = "load"
        ex.json(200, {"model": model.name, "created_at": _now_iso(), **extra, "done": True,
                      "done_reason": reason})

    @staticmethod
    def _text_of(content: Any) -> str:
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        return ""

    def _chat_reply(self, path: str, messages: list[dict[str, Any]]) -> ScriptedReply:
        last_user = next((self._text_of(m.get("content")) for m in reversed(messages)
                          if isinstance(m, dict) and m.get("role") == "user"), "")
        return self._take_reply(path) or ScriptedReply(content=self.reply_text(last_user))

    def _prompt_tokens(self, messages: list[dict[str, Any]]) -> int:
        return sum(self._count_tokens(self._text_of(m.get("content"))) + 3
                   for m in messages if isinstance(m, dict))

    def _chat(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        model = self._model_or_error(ex, body, False, "completion")
        if model is None:
            return
        messages = body.get("messages") or []
        options = body.get("options") or {}
        keep_alive = body.get("keep_alive")
        if body.get("think") and "thinking" not in model.capabilities:
            ex.json(400, {"error": f'"{body["model"]}" does not support thinking'})
            return
        if body.get("tools") and "tools" not in model.capabilities:
            ex.json(400, {"error": f"registry.ollama.ai/library/{model.name} does not support tools"})
            return
        if not messages:
            self._load_or_unload(ex, model, options, keep_alive,
                                 {"message": {"role": "assistant", "content": ""}})
            return
        load_ns, oom = self._load(model, options, keep_alive)
        if oom:
            ex.json(500, {"error": oom})
            return
        reply = self._chat_reply("/api/chat", messages)
        pieces, done_reason = self._limit(reply.pieces(), reply, options.get("num_predict"))
        prompt_tokens = self._prompt_tokens(messages)
        created = _now_iso()
        calls = [{"function": {"index": i, "name": c.name, "arguments": c.arguments}}
                 for i, c in enumerate(reply.tool_calls)]
        eval_tokens = len(pieces) + sum(self._count_tokens(json.dumps(c.arguments)) for c in reply.tool_calls)
        final: dict[str, Any] = {"model": model.name, "created_at": created,
                                 "message": {"role": "assistant", "content": ""},
                                 "done": True, "done_reason": done_reason}
        final.update(self._metrics(prompt_tokens, eval_tokens, load_ns))
        if _parse_keep_alive(keep_alive) == 0:
            self._unload(model)
        if body.get("stream", True) is False:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if reply.thinking:
                message["thinking"] = reply.thinking
            if calls:
                message["tool_calls"] = calls
            ex.sleep(self._first_delay(load_ns, fault))
            ex.json(200, {**final, "message": message})
            return
        items: list[dict[str, Any]] = []
        if reply.thinking:
            items.append({"model": model.name, "created_at": created,
                          "message": {"role": "assistant", "content": "", "thinking": reply.thinking},
                          "done": False})
        items += [{"model": model.name, "created_at": created,
                   "message": {"role": "assistant", "content": p}, "done": False} for p in pieces]
        if calls:
            items.append({"model": model.name, "created_at": created,
                          "message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False})
        self._stream_pieces(ex, [*items, final], fault, lambda o: json.dumps(o).encode() + b"\n",
                            lambda m: json.dumps({"error": m}).encode() + b"\n", "application/x-ndjson", load_ns)

    def _vector(self, text: str) -> list[float]:
        seed = hashlib.sha256(text.encode()).digest()
        raw = [(seed[i % len(seed)] - 127.5) / 127.5 for i in range(self.embedding_dim)]
        norm = math.sqrt(sum(v * v for v in raw)) or 1.0
        return [round(v / norm, 6) for v in raw]

    def _embed_inputs(self, ex: Exchange, body: dict[str, Any], openai: bool) -> tuple[EmulatedModel, list[str]] | None:
        model = self._model_or_error(ex, body, openai, "embedding")
        if model is None:
            return None
        value = body.get("input")
        inputs = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        if inputs is None or not all(isinstance(v, str) for v in inputs):
            self._error(ex, 400, "invalid input type", openai)
            return None
        load = self._load(model, body.get("options") or {}, body.get("keep_alive"))
        if load[1]:
            self._error(ex, 500, load[1], openai)
            return None
        return model, [str(v) for v in inputs]

    def _embed(self, ex: Exchange, body: dict[str, Any]) -> None:
        found = self._embed_inputs(ex, body, False)
        if found is None:
            return
        model, inputs = found
        tokens = sum(self._count_tokens(t) for t in inputs)
        ex.json(200, {"model": model.name, "embeddings": [self._vector(t) for t in inputs],
                      "total_duration": 2_000_000, "load_duration": 1_000_000, "prompt_eval_count": tokens})

    # ---- OpenAI-compatible endpoints

    def _sse(self, payload: Any) -> bytes:
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    def _sse_error(self, message: str) -> bytes:
        return self._sse({"error": {"message": message, "type": "api_error", "param": None, "code": None}})

    def _v1_chat(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        model = self._model_or_error(ex, body, True, "completion")
        if model is None:
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(ex, 400, "[] is too short - 'messages'", True)
            return
        if body.get("tools") and "tools" not in model.capabilities:
            self._error(ex, 400, f"registry.ollama.ai/library/{model.name} does not support tools", True)
            return
        load_ns, oom = self._load(model, {}, None)  # /v1 ignores num_ctx and keep_alive
        if oom:
            self._error(ex, 500, oom, True)
            return
        reply = self._chat_reply("/v1/chat/completions", messages)
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        pieces, done_reason = self._limit(reply.pieces(), reply, limit)
        usage = {"prompt_tokens": self._prompt_tokens(messages), "completion_tokens": len(pieces)}
        usage["completion_tokens"] += sum(self._count_tokens(json.dumps(c.arguments)) for c in reply.tool_calls)
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        calls = [{"id": f"call_{self._next_id():08x}", "index": i, "type": "function",
                  "function": {"name": c.name,
                               "arguments": c.arguments if isinstance(c.arguments, str) else json.dumps(c.arguments)}}
                 for i, c in enumerate(reply.tool_calls)]
        finish = "tool_calls" if calls else done_reason
        ident = f"chatcmpl-{self._next_id()}"
        created = int(time.time())
        head = {"id": ident, "created": created, "model": model.name, "system_fingerprint": "fp_ollama"}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if reply.thinking:
                message["reasoning"] = reply.thinking
            if calls:
                message["tool_calls"] = calls
            ex.sleep(self._first_delay(load_ns, fault))
            ex.json(200, {**head, "object": "chat.completion",
                          "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                          "usage": usage})
            return
        chunk = {**head, "object": "chat.completion.chunk"}
        deltas: list[dict[str, Any]] = [{"content": p} for p in pieces]
        if calls:
            deltas.append({"tool_calls": calls})
        if not deltas:
            deltas.append({"content": ""})
        deltas[0] = {"role": "assistant", **deltas[0]}
        events: list[Any] = [{**chunk, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        events.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**chunk, "choices": [], "usage": usage})
        events.append("[DONE]")
        self._stream_pieces(ex, events, fault,
                            lambda e: b"data: [DONE]\n\n" if e == "[DONE]" else self._sse(e),
                            self._sse_error, "text/event-stream", load_ns)

    def _v1_completions(self, ex: Exchange, body: dict[str, Any], fault: Fault | None) -> None:
        model = self._model_or_error(ex, body, True, "completion")
        if model is None:
            return
        prompt = body.get("prompt")
        if not isinstance(prompt, str):
            self._error(ex, 400, "invalid type for 'prompt' field", True)
            return
        suffix = body.get("suffix")
        if suffix and "insert" not in model.capabilities:
            self._error(ex, 400, f'"{body["model"]}" does not support insert', True)
            return
        load_ns, oom = self._load(model, {}, None)
        if oom:
            self._error(ex, 500, oom, True)
            return
        reply = self._take_reply("/v1/completions") or ScriptedReply(
            content=self.fim_reply if suffix else self.reply_text(prompt))
        pieces, done_reason = self._limit(reply.pieces(), reply, body.get("max_tokens"))
        usage = {"prompt_tokens": self._count_tokens(prompt + " " + str(suffix or "")),
                 "completion_tokens": len(pieces)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        head = {"id": f"cmpl-{self._next_id()}", "object": "text_completion", "created": int(time.time()),
                "model": model.name, "system_fingerprint": "fp_ollama"}
        if not body.get("stream"):
            ex.sleep(self._first_delay(load_ns, fault))
            ex.json(200, {**head, "choices": [{"text": "".join(pieces), "index": 0,
                                              "finish_reason": done_reason}], "usage": usage})
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        zero = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        events: list[Any] = []
        for text, finish in [*((p, None) for p in pieces), ("", done_reason)]:
            event = {**head, "choices": [{"text": text, "index": 0, "finish_reason": finish}]}
            if include_usage:
                event["usage"] = zero
            events.append(event)
        if include_usage:
            events.append({**head, "choices": [], "usage": usage})
        events.append("[DONE]")
        self._stream_pieces(ex, events, fault,
                            lambda e: b"data: [DONE]\n\n" if e == "[DONE]" else self._sse(e),
                            self._sse_error, "text/event-stream", load_ns)

    def _v1_embeddings(self, ex: Exchange, body: dict[str, Any]) -> None:
        found = self._embed_inputs(ex, body, True)
        if found is None:
            return
        model, inputs = found
        tokens = sum(self._count_tokens(t) for t in inputs)
        def encode(vector: list[float]) -> list[float] | str:
            if body.get("encoding_format") == "base64":  # what the openai SDK asks for by default
                return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            return vector

        ex.json(200, {"object": "list", "model": model.name,
                      "data": [{"object": "embedding", "embedding": encode(self._vector(t)), "index": i}
                               for i, t in enumerate(inputs)],
                      "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
