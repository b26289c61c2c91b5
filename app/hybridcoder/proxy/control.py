"""Live control of the running proxy: mode, one request to the cloud, pause, models, threshold, budgets.

The tray, the settings page and the CLI change the proxy while it serves, without a
restart. Everything lives on the running :class:`~hybridcoder.proxy.state.ProxyState`,
so a change takes effect for the very next request:

- :class:`ProxyControl` works in-process (the desktop app). Its methods are cheap and
  thread-safe: they set a few attributes that the event-loop thread reads (each a
  single assignment, so a request sees the old value or the new one, never half),
  and hand settings writes to a background thread. Only :meth:`ProxyControl.reset_learning`
  (one small file) and :meth:`ProxyControl.ask_cloud_instead` (a cloud request,
  blocking: call it from a worker) do real work.
- ``/hybrid/control`` (control_endpoint.py) is the same API over HTTP, behind the
  proxy's security gate (token, Host, Origin): ``GET`` for the status, ``POST
  {"action": ..., ...}`` for a change. :class:`RemoteControl` (remote_control.py,
  re-exported here) is its client for the CLI; :func:`connect_running` finds a running proxy.

Failures are :class:`ControlError` (one sentence; a wrong value is also a ``ValueError``);
the status and request types live in control_api.py and are re-exported here.

Never logs prompt or answer text, keys or the access token; request bodies and answers
stay in memory (proxy/live.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
from pathlib import Path
from typing import Any

from hybridcoder.analytics.recent import reason_text
from hybridcoder.errors import HybridCoderError
from hybridcoder.ledger.records import RequestRecord
from hybridcoder.proxy.control_api import (
    CONTROL_PATH,
    MODES,
    PAUSED_MESSAGE,
    PREVIEW_CHARS,
    PROBE_INTERVAL_S,
    CloudComparison,
    ControlError,
    ControlStatus,
    InvalidControlValue,
    RecentRequest,
)
from hybridcoder.proxy.errors import UpstreamError
from hybridcoder.proxy.live import RECENT_LIMIT, RecentEntry
from hybridcoder.proxy.recording import estimate_tokens_of_chars, new_record_id
from hybridcoder.proxy.redact import redact_body
from hybridcoder.proxy.remote_control import RemoteControl, connect_running, proxy_url, running_proxy_version
from hybridcoder.proxy.state import ProxyState
from hybridcoder.routing.decision import RoutingDecision
from hybridcoder.routing.override import strip_override
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "CONTROL_PATH", "MODES", "PAUSED_MESSAGE", "PROBE_INTERVAL_S", "CloudComparison", "ControlError", "ControlStatus",
    "InvalidControlValue", "ProxyControl", "RecentRequest", "RemoteControl", "connect_running", "probe_local",
    "proxy_url", "running_proxy_version", "watch_backends",
]

# --- in-process control ---------------------------------------------------------------------------

class ProxyControl:
    """Live control of one running proxy (see the module docstring).

    ``persist``: also write each change (mode, threshold, models, budgets) to the
    settings file, on a background thread, so it survives a restart. The control
    endpoint uses ``persist=False``: the CLI writes the file itself.
    """

    def __init__(self, state: ProxyState, *, url: str = "", port: int = 0, persist: bool = False) -> None:
        self.state = state
        self.url = url
        self.port = port
        self.persist = persist
        self._writer = _SettingsWriter()
        self._prices: Any = None
        self._budget_lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------
    def status(self) -> ControlStatus:
        state = self.state
        config = state.config
        running = self._running()
        cloud_available = config.cloud is not None
        local_state = state.health.local
        cloud_state = state.health.cloud if cloud_available else "unconfigured"
        health, reason = _health(self, running, local_state, cloud_state)
        daily, monthly = self._caps()
        learner = state.router.learner
        learning = learner.stats() if learner is not None else {
            "enabled": False, "examples": 0, "buckets": 0, "avoided_round_trips": 0}
        return ControlStatus(
            running=running, paused=state.paused, mode=config.mode, next_to_cloud=state.next_to_cloud,
            chat_model=config.chat_model or None, autocomplete_model=config.autocomplete_model or None,
            threshold=float(config.threshold), daily_budget_usd=daily, monthly_budget_usd=monthly,
            cloud_available=cloud_available, local_state=local_state, cloud_state=cloud_state,
            health=health, health_reason=reason, learning=learning, url=self.url, port=self.port,
        )

    def recent_requests(self, limit: int = RECENT_LIMIT) -> list[RecentRequest]:
        """The last requests, newest first; in memory only (gone when the proxy stops)."""
        cloud_available = self.state.config.cloud is not None
        return [self._recent(entry, cloud_available) for entry in self.state.recent.newest(limit)]

    # -- changing ----------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise InvalidControlValue(f"Unknown routing mode {mode!r}; use auto, local or cloud.")
        self.state.config.mode = mode
        self.state.rebuild_contexts()
        self._remember({"routing.mode": mode})

    def send_next_to_cloud(self) -> None:
        """The next chat request for ``hybrid-auto`` goes to the cloud (once), as if it began with @cloud."""
        if self.state.config.cloud is None:
            raise ControlError("No cloud provider is set up, so there is no cloud to send to; "
                               "add a cloud key in Settings first.")
        self.state.next_to_cloud = True

    def pause(self) -> None:
        """Requests get a 503 ("Hybrid Coder is paused…") in their client's format until :meth:`resume`."""
        self.state.paused = True

    def resume(self) -> None:
        self.state.paused = False

    def reset_learning(self) -> None:
        """Forget what routing learned, in the running proxy and in its saved file (writes one small file)."""
        from hybridcoder.routing.learning import Learner

        learner = self.state.router.learner
        if learner is None:  # learning is off in this proxy: the file is still what a restart would load
            learner = Learner(autosave=False)
        learner.reset()
        check = Learner(learner.path, autosave=False)
        if check.stats()["examples"]:
            raise ControlError(f"The running proxy forgot what it learned, but the reset could not be saved to "
                               f"{learner.path}; check that folder's permissions.")

    def set_models(self, *, chat: str | None = None, autocomplete: str | None = None) -> None:
        """Use these local models from the next request on (None: unchanged; "": automatic choice)."""
        changes: dict[str, Any] = {}
        config = self.state.config
        if chat is not None:
            config.chat_model = _model_name(chat, "chat")
            changes["models.chat"] = config.chat_model
        if autocomplete is not None:
            config.autocomplete_model = _model_name(autocomplete, "autocomplete")
            changes["models.autocomplete"] = config.autocomplete_model
        self._remember(changes)

    def set_threshold(self, value: float) -> None:
        """0..1 like settings' ``routing.threshold``: higher keeps more requests local."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise InvalidControlValue(f"The routing threshold must be a number from 0 to 1, not {value!r}.")
        self.state.config.threshold = float(value)
        self.state.rebuild_contexts()
        self._remember({"routing.threshold": float(value)})

    def set_budget(self, *, daily_usd: float | None = None, monthly_usd: float | None = None) -> None:
        """New daily and/or monthly cloud caps in USD (0 = no cap); counted from the next request on."""
        for name, value in (("daily", daily_usd), ("monthly", monthly_usd)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                      or not math.isfinite(value) or value < 0):
                raise InvalidControlValue(f"The {name} budget must be a number of dollars (0 = no cap), "
                                          f"not {value!r}.")
        settings = self._settings()
        changes: dict[str, Any] = {}
        if daily_usd is not None:
            settings.budget.daily_usd = float(daily_usd)
            changes["budget.daily_usd"] = float(daily_usd)
        if monthly_usd is not None:
            settings.budget.monthly_usd = float(monthly_usd)
            changes["budget.monthly_usd"] = float(monthly_usd)
        self._watch_budget(settings)
        self._remember(changes)

    def apply_settings(self, settings: Settings) -> None:
        """Take everything that can change live from ``settings`` (the settings page saved them already)."""
        state = self.state
        config = state.config
        state.settings = settings
        if settings.routing.mode in MODES:
            config.mode = settings.routing.mode
        if 0.0 <= settings.routing.threshold <= 1.0:
            config.threshold = settings.routing.threshold
        config.chat_model = settings.models.chat
        config.autocomplete_model = settings.models.autocomplete
        config.embed_model = settings.models.embed
        config.redact_secrets = settings.routing.redact_secrets
        config.store_prompts = settings.ledger.store_prompts
        config.on_budget_exhausted = settings.budget.on_exhausted
        state.retries.window_s = settings.proxy.retry_window_s
        state.retries.min_gap_s = settings.proxy.retry_min_gap_s
        learner = state.router.learner
        if learner is not None:
            learner.enabled = settings.routing.learning
        elif settings.routing.learning:
            from hybridcoder.routing.learning import Learner

            state.router.learner = Learner()
        state.rebuild_contexts()
        self._prices = None  # price overrides may have changed
        self._watch_budget(settings)

    # -- asking the cloud instead --------------------------------------------------------------
    def ask_cloud_instead(self, request_id: str, timeout: float = 120.0) -> CloudComparison:
        """Send a recent local chat request to the cloud; both answers side by side. BLOCKING: use a worker."""
        loop = self.state.loop
        if loop is None or not self._running():
            raise ControlError("The proxy is not running; start it and send the request again.")
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # the usual case: a worker thread without a loop
            current = None
        if current is loop:
            raise RuntimeError("ask_cloud_instead blocks; await ask_cloud_instead_async on the proxy's loop")
        future = asyncio.run_coroutine_threadsafe(self.ask_cloud_instead_async(request_id), loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ControlError(f"The cloud did not answer within {timeout:.0f} s; try again later.") from None

    async def ask_cloud_instead_async(self, request_id: str) -> CloudComparison:
        state = self.state
        config = state.config
        entry = state.recent.find(request_id)
        if entry is None:
            raise ControlError("That request is no longer in memory (the proxy keeps its last chat requests "
                               "only while it runs); send it again from your editor.")
        if not entry.askable or entry.body is None:
            raise ControlError("Only a chat request the local model answered can be sent to the cloud again.")
        cloud = config.cloud
        if cloud is None:
            raise ControlError("No cloud provider is set up; add a cloud key in Settings to compare answers.")
        if state.budget_exhausted():
            raise ControlError("The cloud budget is used up; raise it in Settings to ask the cloud.")
        body, _ = strip_override(entry.body)
        redactions = 0
        if config.redact_secrets:
            body, redactions = redact_body(body)
        started = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        try:
            stream = await cloud.backend.chat(body, cloud.model)
            try:
                async for chunk in stream:
                    choices = chunk.get("choices")
                    delta = choices[0].get("delta") if choices else None
                    content = delta.get("content") if delta else None
                    if content:
                        if first is None:
                            first = time.perf_counter()
                        parts.append(content)
            finally:
                await stream.aclose()
        except UpstreamError as exc:
            raise ControlError(f"The cloud could not answer: {exc.message}") from None
        end = time.perf_counter()
        answer = "".join(parts)
        self._record_cloud_answer(entry, cloud.provider, cloud.model, stream.usage, answer,
                                  (first or end) - started, end - started, redactions)
        return CloudComparison(request_id=request_id, local_answer=entry.answer_text(), cloud_answer=answer,
                               cloud_model=cloud.model, cloud_latency_ms=(end - started) * 1000.0)

    def _record_cloud_answer(self, entry: RecentEntry, provider: str, model: str, usage: Any, answer: str,
                             ttft_s: float, total_s: float, redactions: int) -> None:
        """The cloud answer costs money: it gets its own ledger row, and routing learns from it."""
        state = self.state
        local = entry.record
        reported = usage is not None and (usage.prompt_tokens or usage.completion_tokens)
        row = RequestRecord(
            id=new_record_id(), kind=local.kind, route="cloud", model=model, client=local.client,
            endpoint=local.endpoint, provider=provider, requested_model=local.requested_model,
            first_choice="local", reasons=["ask_cloud_instead"], score=local.score, fallback_cause="manual_cloud",
            prompt_tokens=usage.prompt_tokens if reported else local.prompt_tokens,
            completion_tokens=usage.completion_tokens if reported else estimate_tokens_of_chars(len(answer)),
            cache_read_tokens=usage.cache_read_tokens if reported else 0,
            cache_write_tokens=usage.cache_write_tokens if reported else 0,
            tokens_estimated=not reported, ttft_ms=ttft_s * 1000.0, total_ms=total_s * 1000.0,
            redactions=redactions, features=dict(local.features),
        )
        if state.ledger is not None:
            state.ledger.record(row)
        state.recent.add(row, answer, None)
        state.health.note_cloud(True)
        if local.features:
            state.learn(RoutingDecision(route="local", kind=local.kind,  # type: ignore[arg-type]
                                        score=local.score or 0.0, reasons=[], features=dict(local.features)),
                        "manual_cloud")

    # -- the app's probe -----------------------------------------------------------------------
    def start_probing(self, interval: float = PROBE_INTERVAL_S) -> None:
        """Ask the local server every ``interval`` seconds whether it is up (for the tray icon)."""
        loop = self.state.loop
        if loop is not None and self._running():
            asyncio.run_coroutine_threadsafe(watch_backends(self.state, interval), loop)

    def close(self, timeout: float = 5.0) -> None:
        """Finish pending settings writes."""
        self._writer.wait(timeout)

    def wait_saved(self, timeout: float = 5.0) -> bool:
        """Wait until the settings changes made so far are written (tests, the CLI)."""
        return self._writer.wait(timeout)

    # -- helpers -------------------------------------------------------------------------------
    def _running(self) -> bool:
        loop = self.state.loop
        return loop is not None and loop.is_running() and not loop.is_closed()

    def _settings(self) -> Settings:
        if self.state.settings is None:
            self.state.settings = Settings()
        settings: Settings = self.state.settings
        return settings

    def _caps(self) -> tuple[float, float]:
        settings = self.state.settings
        if settings is None:
            return 0.0, 0.0
        return float(settings.budget.daily_usd), float(settings.budget.monthly_usd)

    def _remember(self, changes: dict[str, Any]) -> None:
        """Keep the in-memory settings in step; write them to the file when this control persists."""
        if not changes:
            return
        settings = self.state.settings
        if settings is not None:
            _apply_changes(settings, changes)
        if self.persist:
            self._writer.write(changes, getattr(settings, "_path", None))

    def _watch_budget(self, settings: Settings) -> None:
        """Caps changed: the tracker recounts; with a cap where there was none, start tracking."""
        state = self.state
        with self._budget_lock:
            tracker = state.budget
            if tracker is not None:
                tracker.update_settings(settings)
                return
            if not (settings.budget.daily_usd > 0 or settings.budget.monthly_usd > 0):
                return
            if state.config.ledger_path is None:
                return
            from hybridcoder.analytics.budget import BudgetTracker

            tracker = BudgetTracker(state.config.ledger_path, settings)
            if state.ledger is not None:
                tracker.attach(state.ledger)
            state.budget = tracker
            state.config.budget_exhausted = tracker.exhausted

    def _recent(self, entry: RecentEntry, cloud_available: bool) -> RecentRequest:
        record = entry.record
        cost: float | None = 0.0
        if record.route == "cloud":
            priced = self._price_table().cost(record.model, record, record.provider)
            cost = None if priced is None or getattr(priced, "billing", "") == "plan" else priced.usd
        latency = record.total_ms if record.total_ms is not None else record.ttft_ms
        preview = " ".join(entry.answer_text()[: PREVIEW_CHARS * 2].split())[:PREVIEW_CHARS]
        return RecentRequest(
            request_id=record.id, time=record.ts, client=record.client, kind=record.kind, route=record.route,
            model=record.model, reason=reason_text(record.reasons, record.fallback_cause), latency_ms=latency,
            tokens=record.prompt_tokens + record.completion_tokens, cost_usd=cost, answer_preview=preview,
            can_ask_cloud=entry.askable and cloud_available,
        )

    def _price_table(self) -> Any:
        if self._prices is None:
            from hybridcoder.analytics.prices import PriceTable

            self._prices = PriceTable.load(self.state.settings)
        return self._prices


def _model_name(value: Any, role: str) -> str:
    if not isinstance(value, str) or len(value) > 200 or any(c.isspace() for c in value):
        raise InvalidControlValue(f"The {role} model must be a model name such as qwen2.5-coder:7b, "
                                  f"not {str(value)[:60]!r}.")
    return value


def _health(control: ProxyControl, running: bool, local: str, cloud: str) -> tuple[str, str]:
    """(health, one sentence) for the tray icon, from what the proxy saw lately."""
    state = control.state
    config = state.config
    where = getattr(config.local, "base_url", "") or "its address"
    if not running:
        return "error", "The proxy is not running; your tools cannot reach Hybrid Coder."
    if state.paused:
        return "paused", "Hybrid Coder is paused: requests get an error until you resume it."
    if local == "down":
        if cloud in ("up", "unknown"):
            return "degraded", f"The local model server is not answering at {where}; requests go to the cloud."
        return "error", (f"The local model server is not answering at {where} and no cloud can take over; "
                         "start Ollama (`ollama serve`).")
    if cloud == "down":
        problem = state.health.cloud_problem.replace("_", " ")
        detail = f" ({problem})" if problem else ""
        return "degraded", f"The cloud is failing{detail}; requests stay on the local model."
    if state.budget_exhausted():
        return "degraded", "The cloud budget is used up; requests stay on the local model until it resets."
    if local == "unknown":
        return "ready", "Ready; no request has reached the local model yet."
    return "ready", "Ready: the local model answers" + (" and the cloud is available." if cloud != "unconfigured"
                                                          else "; no cloud is set up.")


def _apply_changes(settings: Settings, changes: dict[str, Any]) -> None:
    for dotted, value in changes.items():
        section, name = dotted.split(".")
        setattr(getattr(settings, section), name, value)


class _SettingsWriter:
    """Writes control changes to the settings file on a background thread, one write at a time.

    Each write loads the file fresh and changes only the keys the control changed, so
    a settings page holding its own Settings object is not overwritten with stale values.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._path: Path | None = None
        self._thread: threading.Thread | None = None

    def write(self, changes: dict[str, Any], path: Path | None) -> None:
        with self._lock:
            self._pending.update(changes)
            self._path = path
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hybridcoder-settings", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                changes, self._pending = self._pending, {}
                path = self._path
                if not changes:
                    self._thread = None
                    return
            try:
                settings = Settings.load(path)
                _apply_changes(settings, changes)
                settings.save()
            except HybridCoderError as exc:
                log.warning("could not save a live change to the settings: %s", exc.message)
            except Exception:
                log.exception("could not save a live change to the settings")

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                thread = self._thread
            if thread is None:
                return True
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False


async def probe_local(state: ProxyState, timeout: float = 2.0) -> None:
    """Ask the local server for its models (cached for a second); note whether it answered in time."""
    catalog = state.catalog
    try:
        async with asyncio.timeout(timeout):
            await catalog.installed(force=True)
    except TimeoutError:
        state.health.note_local(False)
        return
    state.health.note_local(catalog.local_reachable)


async def watch_backends(state: ProxyState, interval: float = PROBE_INTERVAL_S) -> None:
    """The app's periodic probe; ends when the proxy shuts down (its loop is gone)."""
    while state.loop is not None:
        try:
            await probe_local(state)
        except asyncio.CancelledError:
            raise
        except Exception:  # a probe must never take the proxy down
            log.debug("local probe failed", exc_info=True)
        await asyncio.sleep(interval)
