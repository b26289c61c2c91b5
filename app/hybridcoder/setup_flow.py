"""The one-click setup, step by step: used by ``hybridcoder setup`` now and the GUI wizard later.

Steps (each a small object with ``name``, ``title``, ``is_done(ctx)`` and
``run(ctx, progress, cancel)``):

1. hardware  — scan the machine and choose the chat/autocomplete models (or the user's choice)
2. ollama    — make sure Ollama is installed (with consent) and running
3. models    — pull the chosen models, with byte progress
4. cloud_key — optionally store a cloud key, checked with a cheap real call first
5. token     — generate the proxy's access token
6. tools     — configure the detected coding tools (Continue, Cline, Aider)
7. proxy     — start the proxy
8. verify    — a real request through the proxy to the local model (and the cloud when a
               key exists), with latency
9. summary   — what was done, what to do next

Progress reaches the caller as :class:`SetupEvent` objects through one callback; the
caller decides how to show them (terminal bar, wizard page). State lives in
``app_paths().state_dir / "setup.json"``: a rerun skips what is done and picks up after
a failure. Every failure is a :class:`SetupError` whose message says what happened and
how to fix it.

This module never imports Qt, never prompts on its own (consent and keys come through
:class:`SetupCallbacks`) and never logs a key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from hybridcoder.atomic import atomic_write_text
from hybridcoder.errors import HybridCoderError
from hybridcoder.keys import PROVIDER_LABELS, KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

STATE_VERSION = 1


class Progress(Protocol):
    """How a step reports progress: a fraction (None = unknown), a label, and optional facts
    for a richer display (a :class:`~hybridcoder.ollama.PullProgress`, a test answer)."""

    def __call__(self, fraction: float | None, message: str, detail: Any = None, /) -> None: ...


class SetupError(HybridCoderError):
    """A setup step failed; ``message`` says what happened and what to do."""


class SetupCancelled(HybridCoderError):
    """The user cancelled; the state is kept so the next run resumes."""


@dataclass(frozen=True)
class SetupEvent:
    """One progress report. ``status``: started, progress, done, already done, skipped, failed, cancelled."""

    step: str
    status: str
    message: str
    fraction: float | None = None
    #: Extra facts for a display: a PullProgress while a model downloads (MB/s, time left),
    #: a :class:`VerifyAnswer` after a test request. None for most events.
    detail: Any = None


@dataclass
class SetupOptions:
    chat_model: str | None = None
    autocomplete_model: str | None = None
    ollama_url: str | None = None
    #: False skips the cloud key step (``--no-cloud``).
    cloud: bool = True
    tools: tuple[str, ...] = ("all",)
    #: Install the short small-model rule set in the tools (None = leave as it is).
    rules: bool | None = None
    #: No OS keyring: keep the token and keys in the private 0600 file without asking
    #: (``--allow-file-keyring``). Otherwise ``consent_file_keyring`` is asked once.
    allow_file_keyring: bool = False


def _no(_: str) -> bool:
    return False


def _no_key() -> str | None:
    return None


@dataclass
class SetupCallbacks:
    """How the flow asks the person. Defaults refuse everything (safe for unattended runs)."""

    #: Asked before downloading and running the Ollama installer; gets a one-line explanation.
    consent_install_ollama: Callable[[str], bool] = _no
    #: Returns a cloud key typed by the user, or None to continue without the cloud.
    ask_cloud_key: Callable[[], str | None] = _no_key
    #: Asked before storing the (already checked) key in the keyring.
    consent_store_key: Callable[[str], bool] = _no
    #: Asked once when there is no OS keyring: keep the token and keys in the private file instead?
    #: Gets the one-sentence explanation with the file's path (keys.private_file_offer).
    consent_file_keyring: Callable[[str], bool] = _no
    #: Starts the proxy when the caller owns one (the desktop app's ProxyService); None = the
    #: flow starts its own ProxyServer and hands it back in ``SetupResult.proxy``.
    start_proxy: Callable[[], None] | None = None


class SetupState:
    """The persisted progress: per step its status, when, and a fingerprint of its inputs."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or app_paths().state_dir / "setup.json"
        self.data: dict[str, Any] = {"version": STATE_VERSION, "steps": {}, "choices": {}}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION:
                self.data = {"version": STATE_VERSION, "steps": dict(loaded.get("steps", {})),
                             "choices": dict(loaded.get("choices", {}))}
        except (OSError, ValueError):
            pass  # no state yet, or unreadable: start over (every step re-checks the machine anyway)

    def step(self, name: str) -> dict[str, Any]:
        value = self.data["steps"].get(name)
        return value if isinstance(value, dict) else {}

    def done_with(self, name: str, fingerprint: str) -> bool:
        entry = self.step(name)
        return entry.get("status") == "done" and entry.get("fingerprint") == fingerprint

    def record(self, name: str, status: str, *, fingerprint: str = "", message: str = "",
               detail: dict[str, Any] | None = None) -> None:
        self.data["steps"][name] = {"status": status, "fingerprint": fingerprint, "message": message,
                                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                                    "detail": detail or {}}
        self.save()

    @property
    def choices(self) -> dict[str, Any]:
        return self.data["choices"]  # type: ignore[no-any-return]

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps(self.data, indent=2) + "\n")


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class SetupContext:
    """Everything the steps share during one run."""

    settings: Settings
    options: SetupOptions
    callbacks: SetupCallbacks
    state: SetupState
    keys: KeyStore
    #: The proxy this run started (the caller decides whether to keep it running).
    proxy: Any = None
    #: Facts for the summary (latencies, configured tools, notes).
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def ollama_url(self) -> str:
        return (self.options.ollama_url or self.settings.ollama.url).rstrip("/")

    @property
    def proxy_url(self) -> str:
        from hybridcoder.clients.configure import proxy_url_from_settings

        if self.proxy is not None and getattr(self.proxy, "url", None):
            return str(self.proxy.url).rstrip("/")
        return proxy_url_from_settings(self.settings)


class Step(Protocol):
    name: str
    title: str

    def is_done(self, ctx: SetupContext) -> bool: ...

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str: ...


def _check_cancel(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise SetupCancelled("Setup was cancelled; run it again to continue where it stopped.")


# ---------------------------------------------------------------------------------------------
# 1. hardware and model choice


class ChooseModels:
    name = "hardware"
    title = "Scan hardware and choose models"

    def _fingerprint(self, ctx: SetupContext) -> str:
        return fingerprint(ctx.options.chat_model, ctx.options.autocomplete_model)

    def is_done(self, ctx: SetupContext) -> bool:
        choices = ctx.state.choices
        return (ctx.state.done_with(self.name, self._fingerprint(ctx)) and bool(choices.get("chat"))
                and bool(choices.get("autocomplete")) and ctx.settings.models.chat == choices.get("chat")
                and ctx.settings.models.autocomplete == choices.get("autocomplete"))

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        from hybridcoder.hardware.scan import scan_hardware
        from hybridcoder.recommend import recommend_models

        progress(None, "Scanning GPU, memory and disk")
        profile = scan_hardware()
        _check_cancel(cancel)
        recommendation = recommend_models(profile)
        choices = [c for c in (recommendation.chat, recommendation.autocomplete, *recommendation.alternatives)
                   if c is not None]
        chat = ctx.options.chat_model or (recommendation.chat.tag if recommendation.chat else "")
        auto = ctx.options.autocomplete_model or (
            recommendation.autocomplete.tag if recommendation.autocomplete else "")
        shared_note = ""
        if chat and not auto:
            # Only one model fits: autocomplete shares the chat model (one model loaded, no second
            # copy in memory). Qwen coder instruct models fill in the middle too.
            auto = chat
            shared_note = " Only one model fits this machine, so autocomplete shares the chat model."
        if not chat:
            reason = " ".join(recommendation.warnings[:1])
            raise SetupError("No model fits this machine's memory — pick models with --chat-model and "
                             "--autocomplete-model." + (f" ({reason})" if reason else ""))

        def context(tag: str, role: str, fallback: int) -> int:
            # The recommender sized the context for the memory it found; a model of the user's own
            # choosing gets a common, safe window instead.
            match = next((c for c in choices if c.tag == tag and c.role == role), None)
            return match.context if match is not None else fallback

        models = ctx.settings.models
        models.chat, models.autocomplete = chat, auto
        models.chat_context = context(chat, "chat", 8192)
        models.autocomplete_context = context(auto, "autocomplete", 4096)
        ctx.settings.save()
        ctx.state.choices.update({"chat": chat, "autocomplete": auto, "chat_context": models.chat_context,
                                  "autocomplete_context": models.autocomplete_context})
        ctx.state.record(self.name, "done", fingerprint=self._fingerprint(ctx))
        return f"Chat model {chat} ({models.chat_context} tokens of context), autocomplete {auto}.{shared_note}"


# ---------------------------------------------------------------------------------------------
# 2. Ollama installed and running


class EnsureOllama:
    name = "ollama"
    title = "Make sure Ollama is installed and running"

    def is_done(self, ctx: SetupContext) -> bool:
        from hybridcoder.ollama import OllamaManager

        return OllamaManager(ctx.ollama_url).status().running

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        from hybridcoder.ollama import OllamaManager, detect

        manager = OllamaManager(ctx.ollama_url)
        status = manager.status()
        if status.running:
            ctx.state.record(self.name, "done", message=status.version or "")
            return f"Ollama {status.version} is running at {ctx.ollama_url}."
        if not detect.is_loopback(ctx.ollama_url):
            # A remote Ollama the user chose is not answering: installing one here would not help.
            raise SetupError(f"Ollama isn't answering at {ctx.ollama_url} (on another machine) — start it there, "
                             "or change the address under [ollama] url, then run setup again.")
        if not status.installed:
            _install_ollama(ctx, progress, cancel)
        _check_cancel(cancel)
        wait_s = ctx.settings.ollama.start_timeout_s
        status = manager.start(wait_s=wait_s, cancel=cancel,
                               on_progress=lambda elapsed, total: progress(
                                   min(1.0, elapsed / total) if total else None, "Starting Ollama"))
        ctx.state.record(self.name, "done", message=status.version or "")
        return f"Started Ollama {status.version} at {ctx.ollama_url}."


def _install_ollama(ctx: SetupContext, progress: Progress, cancel: threading.Event) -> None:
    from hybridcoder.ollama.install import DownloadProgress, install_ollama, plan_install

    plan = plan_install(ctx.settings)
    if not ctx.callbacks.consent_install_ollama(
            f"Ollama (the program that runs local models) is not installed. {plan.describe()} Install it now?"):
        raise SetupError("Ollama is not installed — allow the install, or install it from "
                         "https://ollama.com/download and run setup again.")

    def on_download(update: DownloadProgress) -> None:
        progress(update.fraction, "Downloading Ollama", update)

    result = install_ollama(True, settings=ctx.settings, on_progress=on_download, cancel=cancel)
    if result.cancelled:
        raise SetupCancelled("Installing Ollama was cancelled; run setup again to continue.")
    if not result.installed:
        raise SetupError(result.message)


# ---------------------------------------------------------------------------------------------
# 3. models


def _normalise(tag: str) -> str:
    return tag if ":" in tag else f"{tag}:latest"


def _installed_tags(ctx: SetupContext) -> set[str]:
    from hybridcoder.ollama import OllamaManager

    return {_normalise(m.name) for m in OllamaManager(ctx.ollama_url).list_models()}


def model_downloads(settings: Settings) -> list[tuple[str, bool]]:
    """(tag, already downloaded) for each model the models step pulls — for a progress display."""
    from hybridcoder.ollama import OllamaManager

    installed = {_normalise(m.name) for m in OllamaManager(settings.ollama.url).list_models()}
    tags = dict.fromkeys(t for t in (settings.models.chat, settings.models.autocomplete) if t)
    return [(tag, _normalise(tag) in installed) for tag in tags]


class PullModels:
    name = "models"
    title = "Download the chat and autocomplete models"

    def _wanted(self, ctx: SetupContext) -> list[str]:
        return [t for t in (ctx.settings.models.chat, ctx.settings.models.autocomplete) if t]

    def is_done(self, ctx: SetupContext) -> bool:
        installed = _installed_tags(ctx)
        done = all(_normalise(t) in installed for t in self._wanted(ctx))
        if done:
            _remember_embed_model(ctx, installed)
        return done

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        from hybridcoder.ollama import OllamaManager, PullProgress

        manager = OllamaManager(ctx.ollama_url)
        installed = _installed_tags(ctx)
        missing = [t for t in self._wanted(ctx) if _normalise(t) not in installed]
        for index, tag in enumerate(missing):
            _check_cancel(cancel)
            share = 1 / len(missing)

            def on_progress(update: PullProgress, *, _i: int = index, _share: float = share) -> None:
                progress((_i + update.fraction) * _share, f"Downloading {update.tag}", update)

            result = manager.pull(tag, on_progress, cancel)
            if result.cancelled:
                raise SetupCancelled("The download was cancelled; run setup again to resume it.")
        installed = _installed_tags(ctx)
        _remember_embed_model(ctx, installed)
        auto = ctx.settings.models.autocomplete
        if not manager.supports_fim(auto):
            ctx.facts.setdefault("notes", []).append(
                f"{auto} cannot fill in the middle; autocomplete works better with a -base coder model.")
        ctx.state.record(self.name, "done", detail={"pulled": missing})
        return ("Downloaded " + ", ".join(missing) + ".") if missing else "The models were already downloaded."


def _remember_embed_model(ctx: SetupContext, installed: set[str]) -> None:
    """Continue gets an embed entry only for an embedding model that is really installed."""
    current = ctx.settings.models.embed
    if current and _normalise(current) in installed:
        return
    embed = next((t for t in sorted(installed) if "embed" in t.split(":")[0]), "")
    if embed != current:
        ctx.settings.models.embed = embed
        ctx.settings.save()


# ---------------------------------------------------------------------------------------------
# 4. cloud key


def check_anthropic_key(key: str, base_url: str, *, timeout: float = 15.0) -> None:
    """A cheap real call (list one model; no tokens spent). Raises SetupError with the fix."""
    import anthropic

    client = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=0, timeout=timeout)
    try:
        client.models.list(limit=1)
    except anthropic.AuthenticationError as exc:
        raise SetupError("Anthropic refused the key (401) — copy the whole key from console.anthropic.com "
                         "and try again, or skip the cloud for now.") from exc
    except anthropic.PermissionDeniedError as exc:
        raise SetupError("Anthropic accepted the key but denied access (403) — check the key's workspace "
                         "and billing in console.anthropic.com.") from exc
    except anthropic.APIConnectionError as exc:
        raise SetupError(f"Could not reach Anthropic at {base_url} — check your internet connection "
                         "(or proxy settings) and try again.") from exc
    except anthropic.APIStatusError as exc:
        raise SetupError(f"Anthropic answered the key check with an error ({exc.status_code}) — try again in "
                         "a minute, or skip the cloud for now.") from exc
    finally:
        client.close()


#: Where Ollama Cloud answers directly (with a key from ollama.com/settings/keys).
OLLAMA_CLOUD_URL = "https://ollama.com"


def _key_name(provider: str) -> str:
    """The key store's name for a ``cloud.provider`` setting ("ollama-cloud" keeps its key as "ollama")."""
    return "ollama" if provider == "ollama-cloud" else provider


def check_openai_key(key: str, base_url: str, *, timeout: float = 15.0) -> None:
    """A cheap real call (list the models; no tokens spent). Raises SetupError with the fix."""
    import openai

    client = openai.OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=timeout)
    try:
        client.models.list()
    except openai.AuthenticationError as exc:
        raise SetupError("OpenAI refused the key (401) — copy the whole key from platform.openai.com and try "
                         "again, or skip the cloud for now.") from exc
    except openai.PermissionDeniedError as exc:
        raise SetupError("OpenAI accepted the key but denied access (403) — check the key's project and "
                         "billing on platform.openai.com.") from exc
    except openai.APIConnectionError as exc:
        raise SetupError(f"Could not reach OpenAI at {base_url} — check your internet connection "
                         "(or proxy settings) and try again.") from exc
    except openai.APIStatusError as exc:
        raise SetupError(f"OpenAI answered the key check with an error ({exc.status_code}) — try again in "
                         "a minute, or skip the cloud for now.") from exc
    finally:
        client.close()


def check_ollama_cloud_key(key: str, base_url: str, *, timeout: float = 15.0) -> None:
    """A cheap real call (``GET /api/tags`` lists what the key may use). Raises SetupError with the fix."""
    try:
        response = httpx.get(base_url.rstrip("/") + "/api/tags", headers={"Authorization": f"Bearer {key}"},
                             timeout=timeout)
    except httpx.HTTPError as exc:
        raise SetupError(f"Could not reach Ollama Cloud at {base_url} — check your internet connection "
                         "(or proxy settings) and try again.") from exc
    if response.status_code in (401, 403):
        raise SetupError(f"Ollama Cloud refused the key ({response.status_code}) — create a key at "
                         "ollama.com/settings/keys and try again, or skip the cloud for now.")
    if response.status_code != 200:
        raise SetupError(f"Ollama Cloud answered the key check with an error ({response.status_code}) — try "
                         "again in a minute, or skip the cloud for now.")


def check_cloud_key(provider: str, key: str, settings: Settings) -> None:
    """Check a key for ``provider`` ("anthropic", "openai" or "ollama-cloud") with a cheap real call."""
    cloud = settings.cloud
    if provider == "anthropic":
        check_anthropic_key(key, cloud.anthropic_url())
    elif provider == "openai":
        check_openai_key(key, cloud.openai_url())
    elif provider == "ollama-cloud":
        check_ollama_cloud_key(key, cloud.ollama_cloud_url or OLLAMA_CLOUD_URL)
    else:
        raise SetupError(f"Unknown cloud provider {provider!r} — choose Anthropic, OpenAI or Ollama Cloud.")


class StoreCloudKey:
    name = "cloud_key"
    title = "Store a cloud key (optional)"

    def __init__(self, *, replace: bool = False) -> None:
        #: True asks (and checks) even when a key is stored: the wizard's cloud page replaces it.
        self.replace = replace

    def is_done(self, ctx: SetupContext) -> bool:
        if not ctx.options.cloud:
            return True
        return not self.replace and bool(ctx.keys.get(_key_name(ctx.settings.cloud.provider)))

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        key = (ctx.callbacks.ask_cloud_key() or "").strip()
        # Read after asking: the person may have picked another provider while answering.
        provider = ctx.settings.cloud.provider
        name = _key_name(provider)
        label = PROVIDER_LABELS.get(name, provider)
        if not key:
            ctx.state.record(self.name, "skipped")
            return f"No cloud key: every request stays local (add one later with `hybridcoder keys set {name}`)."
        progress(None, f"Checking the {label} key")
        check_cloud_key(provider, key, ctx.settings)
        _check_cancel(cancel)
        if not ctx.callbacks.consent_store_key(f"The {label} key works. Store it in the system keyring?"):
            ctx.state.record(self.name, "skipped")
            return "The key works but was not stored; the cloud stays off until you store one."
        where = ctx.keys.set(name, key)
        if provider == "ollama-cloud" and not ctx.settings.cloud.ollama_cloud_url:
            ctx.settings.cloud.ollama_cloud_url = OLLAMA_CLOUD_URL  # a key means the direct service
            ctx.settings.save()
        ctx.state.record(self.name, "done", message=where)
        return f"The {label} key works and is stored in the " + (
            "system keyring." if where == "keyring" else "private key file you allowed.")


# ---------------------------------------------------------------------------------------------
# 5. token


class GenerateToken:
    name = "token"
    title = "Generate the proxy's access token"

    def is_done(self, ctx: SetupContext) -> bool:
        return bool(ctx.keys.proxy_token(create=False))

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        from hybridcoder.clients.configure import persistent_proxy_token

        persistent_proxy_token(ctx.keys)
        ctx.state.record(self.name, "done")
        return f"Generated the proxy's access token (kept in {ctx.keys.token_location()})."


# ---------------------------------------------------------------------------------------------
# 6. tools


def _configure(ctx: SetupContext, *, dry_run: bool) -> Any:
    from hybridcoder.clients.configure import client_models_from_settings, configure_tools

    return configure_tools(list(ctx.options.tools), proxy_url=ctx.proxy_url,
                           token=ctx.keys.proxy_token(create=True) or "",
                           models=client_models_from_settings(ctx.settings), dry_run=dry_run,
                           rules=ctx.options.rules)


def preview_tool_changes(settings: Settings, keys: KeyStore, tools: tuple[str, ...] = ("all",)) -> Any:
    """The configure dry run the tools step would apply: a ``ConfigureReport`` whose tools carry
    their diffs (token masked). Writes no tool file (the proxy token is created if there is none
    yet, as the tools step would); the wizard's "Show changes" shows it."""
    ctx = SetupContext(settings, SetupOptions(tools=tools), SetupCallbacks(), SetupState(), keys)
    return _configure(ctx, dry_run=True)


class ConfigureTools:
    name = "tools"
    title = "Configure the detected coding tools"

    def is_done(self, ctx: SetupContext) -> bool:
        if ctx.state.step(self.name).get("status") != "done":
            return False
        report = _configure(ctx, dry_run=True)
        return report.ok and not report.changed

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        report = _configure(ctx, dry_run=False)
        ctx.facts["configure"] = report
        if report.errors:
            first = report.errors[0]
            raise SetupError(first.message)
        done = [t.tool for t in report.tools if t.status in ("configured", "unchanged")]
        ctx.state.record(self.name, "done", detail={"configured": done, "skipped": report.skipped})
        if not done:
            return ("No coding tool was found (Continue, Cline or Aider); install one and run "
                    "`hybridcoder configure all`.")
        from hybridcoder.clients.configure import TOOL_LABELS

        return "Configured " + ", ".join(TOOL_LABELS.get(t, t) for t in done) + "."


# ---------------------------------------------------------------------------------------------
# 7. proxy, 8. verify


def proxy_answers(url: str, token: str) -> bool:
    try:
        response = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=2.0)
        return response.status_code == 200
    except httpx.HTTPError:
        return False


def _verify_fingerprint(ctx: SetupContext) -> str:
    return fingerprint(ctx.proxy_url, ctx.settings.models.chat,
                       bool(ctx.keys.get(_key_name(ctx.settings.cloud.provider))))


class StartProxy:
    name = "proxy"
    title = "Start the proxy"

    def is_done(self, ctx: SetupContext) -> bool:
        if proxy_answers(ctx.proxy_url, ctx.keys.proxy_token(create=False) or ""):
            return True
        # Nothing left in this setup needs it: it ran and was verified with these settings before.
        return ctx.state.done_with(self.name, _verify_fingerprint(ctx)) and \
            ctx.state.done_with("verify", _verify_fingerprint(ctx))

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        start_proxy(ctx)
        ctx.state.record(self.name, "done", fingerprint=_verify_fingerprint(ctx))
        return f"The proxy is running at {ctx.proxy_url}."


def start_proxy(ctx: SetupContext) -> None:
    token = ctx.keys.proxy_token(create=True) or ""
    if ctx.proxy is not None or proxy_answers(ctx.proxy_url, token):
        return
    if ctx.callbacks.start_proxy is not None:
        ctx.callbacks.start_proxy()
        return
    from hybridcoder.proxy.server import ProxyServer

    server = ProxyServer(ctx.settings)
    try:
        server.start()
    except HybridCoderError:
        raise
    except OSError as exc:
        raise SetupError(f"The proxy could not listen on {ctx.settings.proxy.host}:{ctx.settings.proxy.port} "
                         f"({exc.strerror}) — another program uses that port; change proxy.port in "
                         "the settings and run setup again.") from exc
    ctx.proxy = server


def timed_chat(url: str, token: str, model: str, *, timeout: float = 120.0) -> tuple[str, float]:
    """One real non-streaming chat request through the proxy; (reply text, seconds)."""
    started = time.perf_counter()
    try:
        response = httpx.post(
            f"{url}/v1/chat/completions", headers={"Authorization": f"Bearer {token}"}, timeout=timeout,
            json={"model": model, "stream": False, "max_tokens": 16,
                  "messages": [{"role": "user", "content": "Reply with the single word OK."}]})
    except httpx.HTTPError as exc:
        raise SetupError(f"The proxy at {url} did not answer ({type(exc).__name__}) — check "
                         "`hybridcoder doctor` and run setup again.") from exc
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        try:
            detail = str(response.json().get("error", {}).get("message", ""))
        except ValueError:
            detail = ""
        raise SetupError(f"The test request for {model} failed ({response.status_code}{': ' + detail if detail else ''}) "
                         "— fix that and run setup again.")
    try:
        text = str(response.json()["choices"][0]["message"].get("content") or "")
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise SetupError(f"The proxy's answer for {model} was not a chat completion — run setup again; "
                         "if it repeats, see the log file.") from exc
    return text, elapsed


@dataclass(frozen=True)
class VerifyAnswer:
    """What one test request through the proxy brought back (shown by the wizard's test page)."""

    route: str  # "local" or "cloud"
    text: str
    latency_ms: float


class Verify:
    name = "verify"
    title = "Check a real request through the proxy"

    def __init__(self, *, always: bool = False) -> None:
        #: True sends the test request even when it passed before (the wizard's "Try it" page).
        self.always = always

    def is_done(self, ctx: SetupContext) -> bool:
        return not self.always and ctx.state.done_with(self.name, _verify_fingerprint(ctx))

    def run(self, ctx: SetupContext, progress: Progress, cancel: threading.Event) -> str:
        from hybridcoder.proxy.catalog import CLOUD, LOCAL

        start_proxy(ctx)
        token = ctx.keys.proxy_token(create=True) or ""
        progress(None, "Asking the local model through the proxy")
        answer, local_s = timed_chat(ctx.proxy_url, token, LOCAL)
        detail: dict[str, Any] = {"local_ms": round(local_s * 1000)}
        message = f"Local model answered through the proxy in {local_s * 1000:.0f} ms"
        progress(None, "The local model answered", VerifyAnswer("local", answer, local_s * 1000))
        _check_cancel(cancel)
        if ctx.options.cloud and ctx.keys.get(_key_name(ctx.settings.cloud.provider)):
            progress(None, "Asking the cloud model through the proxy")
            answer, cloud_s = timed_chat(ctx.proxy_url, token, CLOUD)
            detail["cloud_ms"] = round(cloud_s * 1000)
            message += f"; cloud in {cloud_s * 1000:.0f} ms"
            progress(None, "The cloud model answered", VerifyAnswer("cloud", answer, cloud_s * 1000))
        ctx.facts["latency"] = detail
        ctx.state.record(self.name, "done", fingerprint=_verify_fingerprint(ctx), detail=detail)
        return message + "."


def default_steps() -> list[Step]:
    return [ChooseModels(), EnsureOllama(), PullModels(), StoreCloudKey(), GenerateToken(),
            ConfigureTools(), StartProxy(), Verify()]


# ---------------------------------------------------------------------------------------------
# runner and summary


@dataclass
class StepOutcome:
    name: str
    title: str
    #: "done", "already done", "skipped", "failed", "cancelled", "not run".
    status: str
    message: str


@dataclass
class SetupResult:
    steps: list[StepOutcome]
    summary: list[str]
    #: The proxy this run started, still running (the caller stops it or keeps it).
    proxy: Any = None

    @property
    def ok(self) -> bool:
        return all(s.status in ("done", "already done", "skipped") for s in self.steps)

    @property
    def everything_already_done(self) -> bool:
        return all(s.status == "already done" for s in self.steps)


class SetupFlow:
    """Runs the steps in order; stops at the first failure (the next run resumes there)."""

    def __init__(self, settings: Settings | None = None, options: SetupOptions | None = None,
                 callbacks: SetupCallbacks | None = None, on_event: Callable[[SetupEvent], None] | None = None,
                 steps: list[Step] | None = None, keys: KeyStore | None = None) -> None:
        self.settings = settings or Settings.load()
        self.options = options or SetupOptions()
        self.callbacks = callbacks or SetupCallbacks()
        self.on_event = on_event or (lambda event: None)
        self.steps = steps if steps is not None else default_steps()
        self.keys = keys or KeyStore(allow_file_fallback=self.settings.keys.allow_file_fallback)

    def _emit(self, step: str, status: str, message: str, fraction: float | None = None,
              detail: Any = None) -> None:
        try:
            self.on_event(SetupEvent(step, status, message, fraction, detail))
        except Exception:  # a broken progress display must not break the setup
            log.exception("setup progress callback failed")

    def run(self, cancel: threading.Event | None = None) -> SetupResult:
        cancel = cancel or threading.Event()
        ctx = SetupContext(self.settings, self.options, self.callbacks, SetupState(), self.keys)
        if self.options.ollama_url and self.settings.ollama.url != ctx.ollama_url:
            # Every later step (and the proxy) must talk to the Ollama the user named.
            self.settings.ollama.url = ctx.ollama_url
            self.settings.save()
        self._settle_key_storage(ctx)
        outcomes: list[StepOutcome] = []
        stopped = False
        for step in self.steps:
            if stopped:
                outcomes.append(StepOutcome(step.name, step.title, "not run", ""))
                continue
            outcomes.append(self._run_step(step, ctx, cancel))
            stopped = outcomes[-1].status in ("failed", "cancelled")
        summary = build_summary(ctx, outcomes)
        self._emit("summary", "done", "\n".join(summary), 1.0)
        return SetupResult(outcomes, summary, ctx.proxy)

    def _settle_key_storage(self, ctx: SetupContext) -> None:
        """No OS keyring: ask once (or take ``--allow-file-keyring``) whether to use the private file.

        The consent is saved in the settings, so a rerun, ``serve`` and the app keep
        using the same file and the same token; a refusal is not asked again in this
        run — the token step then says what to do.
        """
        from hybridcoder.keys import TOKEN_ENV, keyring_available, private_file_offer

        if self.settings.keys.allow_file_fallback or keyring_available() or os.environ.get(TOKEN_ENV, "").strip():
            return
        path = ctx.keys.fallback_path
        offer = private_file_offer(path)
        if not (self.options.allow_file_keyring or self.callbacks.consent_file_keyring(offer)):
            return
        self.settings.keys.allow_file_fallback = True
        self.settings.save()
        self.keys = ctx.keys = KeyStore(allow_file_fallback=True, fallback_path=path)
        self._emit("keys", "done", f"No system keyring: the access token and keys go to {path} (readable only "
                   f"by you); this choice is saved in {app_paths().settings_file}.", 1.0)

    def _run_step(self, step: Step, ctx: SetupContext, cancel: threading.Event) -> StepOutcome:
        try:
            if step.is_done(ctx):
                message = _already_message(step, ctx)
                if ctx.state.step(step.name).get("status") != "done":
                    ctx.state.record(step.name, "done", message="found already done")
                self._emit(step.name, "already done", message, 1.0)
                return StepOutcome(step.name, step.title, "already done", message)
            self._emit(step.name, "started", step.title, 0.0)
            _check_cancel(cancel)
            def progress(fraction: float | None, message: str, detail: Any = None, /) -> None:
                self._emit(step.name, "progress", message, fraction, detail)

            message = step.run(ctx, progress, cancel)
            status = "skipped" if ctx.state.step(step.name).get("status") == "skipped" else "done"
            self._emit(step.name, status, message, 1.0)
            return StepOutcome(step.name, step.title, status, message)
        except SetupCancelled as exc:
            self._emit(step.name, "cancelled", exc.message)
            return StepOutcome(step.name, step.title, "cancelled", exc.message)
        except HybridCoderError as exc:
            ctx.state.record(step.name, "failed", message=exc.message)
            self._emit(step.name, "failed", exc.message)
            return StepOutcome(step.name, step.title, "failed", exc.message)
        except Exception as exc:
            log.exception("setup step %s failed unexpectedly", step.name)
            message = (f"{step.title} failed unexpectedly ({type(exc).__name__}) — run setup again; "
                       "if it repeats, the details are in the log file.")
            ctx.state.record(step.name, "failed", message=message)
            self._emit(step.name, "failed", message)
            return StepOutcome(step.name, step.title, "failed", message)


def _already_message(step: Step, ctx: SetupContext) -> str:
    if step.name == "hardware":
        return f"Models already chosen: {ctx.settings.models.chat} and {ctx.settings.models.autocomplete}."
    if step.name == "cloud_key" and not ctx.options.cloud:
        return "Cloud skipped (--no-cloud)."
    return f"{step.title}: already done."


def build_summary(ctx: SetupContext, outcomes: list[StepOutcome]) -> list[str]:
    """What was done and what to do next, in plain sentences."""
    lines: list[str] = []
    failed = next((o for o in outcomes if o.status in ("failed", "cancelled")), None)
    if failed:
        lines.append(f"Setup stopped at “{failed.title}”: {failed.message}")
        lines.append("Run `hybridcoder setup` again to continue from there.")
        return lines
    if all(o.status == "already done" for o in outcomes):
        lines.append("Everything was already set up; nothing changed.")
    else:
        done = [o.title for o in outcomes if o.status == "done"]
        lines.append("Done: " + "; ".join(done) + "." if done else "Nothing needed to change.")
    latency = ctx.state.step("verify").get("detail", {})
    if latency.get("local_ms") is not None:
        lines.append(f"Local model via the proxy: {latency['local_ms']} ms"
                     + (f"; cloud: {latency['cloud_ms']} ms." if latency.get("cloud_ms") is not None else "."))
    report = ctx.facts.get("configure")
    for tool in getattr(report, "tools", []):  # e.g. "reload VS Code", "pick Hybrid Coder in Continue"
        lines += [note for note in tool.notes if note not in lines]
    lines += ctx.facts.get("notes", [])
    from hybridcoder.app_service import desktop_available

    if desktop_available():
        lines.append("Next: keep the proxy running by starting the desktop app with `hybridcoder`: it keeps the "
                     "proxy up for your tools as long as it runs, and its tray icon (or its window, where there is "
                     "no tray) opens the dashboard with routing and savings (`hybridcoder serve` runs the "
                     "proxy in a terminal instead).")
    else:
        lines.append("Next: keep the proxy running with `hybridcoder serve` (there is no display here for the "
                     "desktop app); `hybridcoder stats` shows routing and savings.")
    return lines
