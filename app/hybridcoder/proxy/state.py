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
from hybridcoder.proxy.errors import BadRequest, UpstreamUnreachable
from hybridcoder.proxy.recording import RequestTrace, last_user_text
from hybridcoder.proxy.retry import RetryTracker
from hybridcoder.routing.decision import RoutingContext, RoutingDecision
from hybridcoder.routing.router import Router

log = logging.getLogger(__name__)

#: Substrings of model names that are embedding models (never picked as a chat model).
EMBED_HINTS = ("embed", "bge-", "minilm", "e5-")


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
        self.retries = RetryTracker(config.retry_window_s)
        cloud_available = config.cloud is not None
        self._contexts = {
            exhausted: RoutingContext(mode=config.mode, cloud_available=cloud_available,
                                      budget_exhausted=exhausted, local_context=config.local_context,
                                      threshold=config.threshold)
            for exhausted in (False, True)
        }
        self._background: set[asyncio.Future[Any]] = set()
        self._finished: list[tuple[RequestTrace, dict[str, Any] | None, float]] = []
        self._flush_handle: asyncio.Handle | None = None

    # -- routing ----------------------------------------------------------------------------
    def budget_exhausted(self) -> bool:
        try:
            return bool(self.config.budget_exhausted())
        except Exception:  # a broken budget probe must not break proxying
            log.exception("budget check failed")
            return False

    def context(self) -> RoutingContext:
        return self._contexts[self.budget_exhausted()]

    def learn(self, decision: RoutingDecision | None, cause: str) -> None:
        """Tell the router a local answer was not good enough; off the event loop (it saves a file)."""
        if decision is None or not decision.features:
            return
        features = dict(decision.features)
        future = asyncio.get_running_loop().run_in_executor(None, self.router.learn_from, features, cause)
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    # -- local models -----------------------------------------------------------------------
    async def chat_model(self) -> str:
        """The local chat model: from settings, else the first installed non-embedding model."""
        if self.config.chat_model:
            return self.config.chat_model
        for name in sorted(await self.catalog.installed()):
            if not any(hint in name for hint in EMBED_HINTS):
                return name
        raise UpstreamUnreachable(
            "No local chat model is set up; run `hybridcoder setup` or `ollama pull qwen2.5-coder:7b`.",
            cause="local_model_missing")

    async def autocomplete_model(self) -> str:
        return self.config.autocomplete_model or await self.chat_model()

    async def embed_model(self) -> str:
        if self.config.embed_model:
            return self.config.embed_model
        for name in sorted(await self.catalog.installed()):
            if any(hint in name for hint in EMBED_HINTS):
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
        if self.ledger is None:
            return
        self._finished.append((trace, body, time.perf_counter()))
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush_records)

    def flush_records(self) -> None:
        """Build the noted requests' rows and queue them in the ledger now."""
        self._flush_handle = None
        finished, self._finished = self._finished, []
        if self.ledger is None:
            return
        for trace, body, end in finished:
            try:
                if self.config.store_prompts and body is not None:
                    trace.prompt_text = last_user_text(body)
                self.ledger.record(trace.record(body, end))
            except Exception:  # recording must never break proxying
                log.exception("could not record a request")

    async def aclose(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self.flush_records()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
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
