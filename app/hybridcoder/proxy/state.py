"""What every endpoint of one running proxy shares: config, router, catalog, ledger, retry memory.

One :class:`ProxyState` is created per app. It prebuilds what the hot path would
otherwise build per request (the two routing contexts, the virtual model list) and
offers the few calls the endpoints need: the routing context, the local model for
each job, and recording a finished request.

Never logs prompt text; never blocks the event loop (learning, which may write a
file, runs in a worker thread).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from hybridcoder.ledger.store import UsageLedger
from hybridcoder.proxy.catalog import ModelCatalog
from hybridcoder.proxy.config import ProxyConfig
from hybridcoder.proxy.cooldown import CloudCooldown
from hybridcoder.proxy.errors import BadRequest, UpstreamUnreachable
from hybridcoder.proxy.live import BackendHealth, RecentLog
from hybridcoder.proxy.local_models import (
    EMBED_HINTS,
    pick_autocomplete_model,
    pick_chat_model,
    pick_embed_model,
)
from hybridcoder.proxy.recording import RequestTrace, last_user_text
from hybridcoder.proxy.retry import RetryTracker
from hybridcoder.routing.decision import RoutingContext, RoutingDecision
from hybridcoder.routing.router import Router
from hybridcoder.routing.sessions import TaskMemory

log = logging.getLogger(__name__)

__all__ = ["EMBED_HINTS", "ProxyState"]


class ProxyState:
    """Shared by the endpoints of one app; see the module docstring."""

    def __init__(self, config: ProxyConfig, *, router: Router | None = None,
                 ledger: UsageLedger | None = None) -> None:
        self.config = config
        if router is None:
            router = Router(learner=_learner() if config.learning else None)
        self.router = router
        self.ledger = ledger
        self.catalog = ModelCatalog(config.local, config.clouds)
        self.retries = RetryTracker(config.retry_window_s, min_gap_s=config.retry_min_gap_s)
        #: Agent tasks that escalated to the cloud stay there (routing/sessions.py).
        self.tasks = TaskMemory()
        #: Cloud providers that asked for time (429 Retry-After) and are left alone until then.
        self.cooldown = CloudCooldown()
        #: (installed models, tools?) → the chat model picked for them (local_models.py).
        self._picks: dict[tuple[frozenset[str], bool], str] = {}
        self._contexts = self._build_contexts()
        #: Live control (proxy/control.py): requests get 503 while paused; the next routable
        #: chat request goes to the cloud when ``next_to_cloud`` is set (then it is cleared).
        self.paused = False
        self.next_to_cloud = False
        #: The last requests (memory only) and how the backends are doing, for the app.
        self.recent = RecentLog()
        self.health = BackendHealth()
        #: Set by whoever runs the app: the event loop serving it, the user's Settings, the
        #: budget tracker (analytics/budget.py) and the in-process ProxyControl.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.settings: Any = None
        self.budget: Any = None
        self.control: Any = None
        self._background: set[asyncio.Future[Any]] = set()
        self._finished: list[tuple[RequestTrace, dict[str, Any] | None, float]] = []
        self._flush_handle: asyncio.Handle | None = None

    # -- routing ----------------------------------------------------------------------------
    def _build_contexts(self) -> dict[bool, RoutingContext]:
        config = self.config
        cloud_available = config.cloud is not None
        return {
            exhausted: RoutingContext(mode=config.mode, cloud_available=cloud_available,
                                      budget_exhausted=exhausted, local_context=config.local_context,
                                      threshold=config.threshold)
            for exhausted in (False, True)
        }

    def rebuild_contexts(self) -> None:
        """After ``config.mode`` or ``config.threshold`` changed: the next request routes by the new ones."""
        self._contexts = self._build_contexts()  # one assignment: a request sees the old or the new set

    def budget_exhausted(self) -> bool:
        try:
            return bool(self.config.budget_exhausted())
        except Exception:  # a broken budget probe must not break proxying
            log.exception("budget check failed")
            return False

    def context(self) -> RoutingContext:
        return self._contexts[self.budget_exhausted()]

    def learn(self, decision: RoutingDecision | None, cause: str) -> None:
        """Tell the router a local answer was not good enough; off the event loop (it saves a file).

        Nothing is learned while no cloud is configured or routing is "local only": with
        nowhere else to send the request, an escalation taught nothing the user could
        use, and the learned state would flip routing the day a key is added.
        """
        if decision is None or not decision.features:
            return
        if self.config.cloud is None or self.config.mode == "local":
            return
        features = dict(decision.features)
        future = asyncio.get_running_loop().run_in_executor(None, self.router.learn_from, features, cause)
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    def kept_local(self, decision: RoutingDecision | None) -> None:
        """A local answer went out whole: evidence against a learned escalation of its kind (if any)."""
        learner = self.router.learner
        if learner is None or not learner.has_learned or decision is None or not decision.features:
            return
        future = asyncio.get_running_loop().run_in_executor(None, learner.observe_success, dict(decision.features))
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    # -- local models -----------------------------------------------------------------------
    async def chat_model(self, *, tools: bool = False) -> str:
        """The local chat model: from settings, else the installed one the catalog's roles suit best.

        ``tools``: the request carries tools, so a tool-capable (``agent``) model comes first
        (local_models.py). A FIM base model is never the first choice for chat.
        """
        if self.config.chat_model:
            return self.config.chat_model
        installed = await self.catalog.installed()
        key = (installed, tools)
        name = self._picks.get(key)
        if name is None:
            name = pick_chat_model(installed, tools=tools)
            if name is not None:
                self._picks = {key: name, **{k: v for k, v in self._picks.items() if k[0] is installed}}
        if name is None:
            raise UpstreamUnreachable(
                "No local chat model is set up; run `hybridcoder setup` or `ollama pull qwen2.5-coder:7b`.",
                cause="local_model_missing")
        return name

    async def local_alternative(self, refused: str, *, tools: bool) -> str | None:
        """Another installed chat model to try after ``refused`` turned a request down (e.g. no tools)."""
        return pick_chat_model(await self.catalog.installed(), tools=tools, exclude=(refused,))

    async def autocomplete_model(self) -> str:
        if self.config.autocomplete_model:
            return self.config.autocomplete_model
        return pick_autocomplete_model(await self.catalog.installed()) or await self.chat_model()

    async def embed_model(self) -> str:
        if self.config.embed_model:
            return self.config.embed_model
        name = pick_embed_model(await self.catalog.installed())
        if name is not None:
            return name
        raise BadRequest("No local embedding model is set up; pull one (e.g. `ollama pull nomic-embed-text`) "
                         "or name it in 'model'.", param="model", code="no_embedding_model")

    # -- recording --------------------------------------------------------------------------
    def record(self, trace: RequestTrace, body: dict[str, Any] | None) -> None:
        """Note a finished request; its ledger row is built and queued right after, off its path.

        The row (with the decision's reasons and sentence, which are only worked out
        now) is built in the next turn of the event loop, after the response has gone
        out: the request that was just answered never waits for it, and rows are built
        one at a time rather than in bursts that would stall the requests in flight.
        The ledger's writer thread collects queued rows on its own schedule. ``aclose``
        (and :meth:`flush_records`) hand over whatever is left, so a clean stop loses nothing.
        """
        self._finished.append((trace, body, time.perf_counter()))
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush_records)

    def flush_records(self) -> None:
        """Build the noted requests' rows and queue them in the ledger now."""
        self._flush_handle = None
        finished, self._finished = self._finished, []
        ledger = self.ledger
        for trace, body, end in finished:
            try:
                if self.config.store_prompts and body is not None:
                    trace.prompt_text = last_user_text(body)
                row = trace.record(body, end)
                if ledger is not None:
                    ledger.record(row)
                self.recent.add(row, trace.answer, body)
                self.health.observe(row)
            except Exception:  # recording must never break proxying
                log.exception("could not record a request")

    async def aclose(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self.flush_records()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        learner = self.router.learner
        if learner is not None and learner.avoided_round_trips:
            # The avoided round trips are counted in memory on the request path; keep them for `routing status`.
            await asyncio.get_running_loop().run_in_executor(None, learner.save)
        backends = [self.config.local, *(c.backend for c in self.config.clouds.values())]
        if self.config.ollama is not None:
            backends.append(self.config.ollama)
        seen: set[int] = set()
        for backend in backends:
            if id(backend) in seen:
                continue
            seen.add(id(backend))
            try:
                await backend.aclose()
            except Exception:
                log.exception("closing a backend failed")


def _learner() -> Any:
    from hybridcoder.routing.learning import Learner

    return Learner()
