"""Which model names the proxy answers to, and where each one goes.

Clients pick a model by name. The virtual names let the proxy decide:

- ``hybrid-auto``: the router decides per request;
- ``hybrid-local``: the local chat model;
- ``hybrid-cloud``: the configured cloud flagship.

None of them starts with "o" or "gpt": Continue sends such names to OpenAI's
Responses API or treats them as chat-only. A real local tag (``qwen2.5-coder:7b``) or
a cloud model id (``claude-sonnet-5-5``) goes straight to that model. Anything else
is a 404 that lists the valid names.

The installed local models come from the local backend and are cached for a few
seconds; an unknown name triggers one refresh (a model pulled a moment ago is found)
at most once a second.

Never logs; never touches the network except through the local backend's ``models()``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from hybridcoder.proxy.backends.base import Backend
from hybridcoder.proxy.errors import ModelNotFound, UpstreamError

AUTO, LOCAL, CLOUD = "hybrid-auto", "hybrid-local", "hybrid-cloud"
VIRTUAL_MODELS = (AUTO, LOCAL, CLOUD)
LOCAL_CACHE_S = 10.0
REFRESH_MIN_INTERVAL_S = 1.0

# A cloud model id by its shape: which provider serves it.
CLOUD_ID_PREFIXES: tuple[tuple[str, str], ...] = (
    ("claude-", "anthropic"),
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
)


@dataclass(frozen=True, slots=True)
class CloudChoice:
    """One usable cloud provider: its backend and default model."""

    provider: str
    backend: Backend
    model: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a model name means: ``auto`` (router decides), or a side with an optional exact model."""

    want: Literal["auto", "local", "cloud"]
    #: Exact model id, or "" for the side's default.
    model: str = ""
    #: Provider for a cloud model id, or "" for the selected provider.
    provider: str = ""
    #: True when the user named a real model (not a virtual one).
    explicit: bool = False


_AUTO = Resolution("auto")
_LOCAL = Resolution("local")
_CLOUD = Resolution("cloud")


class ModelCatalog:
    """Resolves model names; lists them for ``GET /v1/models``."""

    def __init__(self, local: Backend, clouds: dict[str, CloudChoice]) -> None:
        self.local = local
        self.clouds = clouds
        self._installed: frozenset[str] = frozenset()
        self._installed_at = -1e9
        self._refreshed_at = -1e9
        self._refresh_lock: asyncio.Lock | None = None
        #: False after the local backend could not be asked (then a tag-shaped name is trusted).
        self.local_reachable = True

    # -- local models --------------------------------------------------------------------
    async def installed(self, *, force: bool = False) -> frozenset[str]:
        now = time.monotonic()
        if not force and now - self._installed_at < LOCAL_CACHE_S:
            return self._installed
        if force and now - self._refreshed_at < REFRESH_MIN_INTERVAL_S:
            return self._installed
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if time.monotonic() - self._refreshed_at < REFRESH_MIN_INTERVAL_S:
                return self._installed
            self._refreshed_at = time.monotonic()
            try:
                names = await self.local.models()
            except (UpstreamError, NotImplementedError):
                self.local_reachable = False
                return self._installed  # local down: keep what we knew
            self.local_reachable = True
            self._installed = frozenset(names)
            self._installed_at = time.monotonic()
        return self._installed

    # -- cloud models --------------------------------------------------------------------
    def cloud_models(self) -> dict[str, str]:
        """Configured cloud model ids → provider."""
        return {choice.model: provider for provider, choice in self.clouds.items()}

    def cloud_provider_for(self, name: str) -> str | None:
        configured = self.cloud_models().get(name)
        if configured is not None:
            return configured
        if name.endswith("-cloud") and "ollama-cloud" in self.clouds:
            return "ollama-cloud"
        for prefix, provider in CLOUD_ID_PREFIXES:
            if name.startswith(prefix) and provider in self.clouds:
                return provider
        return None

    # -- resolution ----------------------------------------------------------------------
    async def resolve(self, name: str) -> Resolution:
        if name == AUTO:
            return _AUTO
        if name == LOCAL:
            return _LOCAL
        if name == CLOUD:
            return _CLOUD
        if name in await self.installed():
            return Resolution("local", model=name, explicit=True)
        provider = self.cloud_provider_for(name)
        if provider is not None:
            return Resolution("cloud", model=name, provider=provider, explicit=True)
        installed = await self.installed(force=True)
        if name in installed:
            return Resolution("local", model=name, explicit=True)
        if ":" not in name and f"{name}:latest" in installed:
            return Resolution("local", model=f"{name}:latest", explicit=True)
        if not self.local_reachable and ":" in name:
            # Ollama is down, so we cannot check; its own error will say what is wrong.
            return Resolution("local", model=name, explicit=True)
        raise ModelNotFound(
            f"The model '{name[:200]}' is not available here. Valid names: {', '.join(await self.names())}.",
            param="model", code="model_not_found")

    async def names(self) -> list[str]:
        """Every name a client may use, virtual ones first."""
        local = sorted(await self.installed())
        cloud = [m for m in self.cloud_models() if m not in local]
        return [*VIRTUAL_MODELS, *local, *cloud]
