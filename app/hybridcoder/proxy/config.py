"""Everything one proxy run needs, built once from Settings and the KeyStore.

:class:`ProxyConfig` holds the access token, the bind address, limits, the routing
knobs and the backends (the local one, the Ollama used for the native /api surface,
and every cloud provider that has a key). It is plain data: tests build one
pointing at emulators, ``ProxyServer`` and ``hybridcoder serve`` build it with
:meth:`ProxyConfig.from_settings`.

Keys are read from the KeyStore here and handed to the backends; they are never
stored on the config itself, logged or put into messages (only masked, to say
which key a cloud rejected).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hybridcoder.keys import ENV_VARS, PROVIDER_LABELS, KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.proxy.backends.base import Backend
from hybridcoder.proxy.backends.ollama import OllamaBackend
from hybridcoder.proxy.backends.timeouts import BackendTimeouts
from hybridcoder.proxy.catalog import CloudChoice
from hybridcoder.settings import Settings

#: Settings' cloud provider names → the KeyStore provider holding its key.
KEY_PROVIDER = {"anthropic": "anthropic", "openai": "openai", "ollama-cloud": "ollama"}
DEFAULT_LOCAL_CONTEXT = 16384


def _never_exhausted() -> bool:
    return False


@dataclass
class ProxyConfig:
    """One proxy run's configuration (see module docstring)."""

    token: str
    local: Backend
    #: The Ollama server behind /api/* (the local backend itself when it is Ollama).
    ollama: OllamaBackend | None
    host: str = "127.0.0.1"
    port: int = 0
    max_body_bytes: int = 16 * 1024 * 1024
    #: Seconds a client connection may take to complete a request's headers (connections.py).
    header_timeout_s: float = 10.0
    #: Local model names: chat (hybrid-local and local routing), FIM, embeddings.
    chat_model: str = ""
    autocomplete_model: str = ""
    embed_model: str = ""
    local_context: int = DEFAULT_LOCAL_CONTEXT
    #: Usable cloud providers (a key is present), by provider name; ``cloud_provider`` is hybrid-cloud's.
    clouds: dict[str, CloudChoice] = field(default_factory=dict)
    cloud_provider: str = "anthropic"
    #: "Which key" for each cloud provider, for error messages: label, source and masked value.
    key_descriptions: dict[str, str] = field(default_factory=dict)
    mode: str = "auto"
    threshold: float = 0.5
    redact_secrets: bool = True
    retry_window_s: float = 120.0
    retry_min_gap_s: float = 1.0
    learning: bool = True
    store_prompts: bool = False
    #: "local" (go local-only when the budget is used up) or "ask" (refuse cloud with 402).
    on_budget_exhausted: str = "local"
    #: The one place the proxy asks about the budget; called per request, must take microseconds.
    budget_exhausted: Callable[[], bool] = _never_exhausted
    ledger_path: Path | None = None

    @property
    def cloud(self) -> CloudChoice | None:
        """The provider ``hybrid-cloud`` and cloud routing use, when it has a key."""
        return self.clouds.get(self.cloud_provider)

    @classmethod
    def from_settings(cls, settings: Settings, keys: KeyStore | None = None, *, host: str | None = None,
                      port: int | None = None, ollama_url: str | None = None,
                      mode: str | None = None) -> ProxyConfig:
        """Build from the user's settings; command-line overrides win."""
        keys = keys or KeyStore(allow_file_fallback=settings.keys.allow_file_fallback)
        token = keys.proxy_token(create=True) or ""
        timeouts = BackendTimeouts.from_settings(settings.proxy)
        local_context = settings.models.chat_context or DEFAULT_LOCAL_CONTEXT
        ollama = OllamaBackend(ollama_url or settings.ollama.url, num_ctx=settings.models.chat_context or None,
                               fim_num_ctx=settings.models.autocomplete_context or None, timeouts=timeouts)
        local: Backend = ollama
        if settings.local.kind == "openai" and settings.local.openai_url:
            local = _openai_compatible_local(settings.local.openai_url, timeouts)
        clouds, descriptions = _cloud_backends(settings, keys, timeouts, ollama_url)
        return cls(
            token=token,
            local=local,
            ollama=ollama,
            host=host or settings.proxy.host,
            port=settings.proxy.port if port is None else port,
            max_body_bytes=settings.proxy.max_body_bytes,
            header_timeout_s=settings.proxy.header_timeout_s,
            chat_model=settings.models.chat,
            autocomplete_model=settings.models.autocomplete,
            embed_model=settings.models.embed,
            local_context=local_context,
            clouds=clouds,
            cloud_provider=settings.cloud.provider,
            key_descriptions=descriptions,
            mode=mode or settings.routing.mode,
            threshold=settings.routing.threshold,
            redact_secrets=settings.routing.redact_secrets,
            retry_window_s=settings.proxy.retry_window_s,
            retry_min_gap_s=settings.proxy.retry_min_gap_s,
            learning=settings.routing.learning,
            store_prompts=settings.ledger.store_prompts,
            on_budget_exhausted=settings.budget.on_exhausted,
            ledger_path=app_paths().ledger_file,
        )


def describe_key(keys: KeyStore, provider: str) -> str:
    """``the Anthropic key sk-ant-...abcd (from the keyring)`` — says which key, never the key."""
    key_provider = KEY_PROVIDER.get(provider, provider)
    status = keys.status(key_provider)
    label = PROVIDER_LABELS.get(key_provider, provider)
    if not status.present:
        return f"no {label} key is set ({ENV_VARS.get(key_provider, '')} or `hybridcoder keys set {key_provider}`)"
    return f"the {label} key {status.masked} (from the {status.source})"


def _openai_compatible_local(url: str, timeouts: BackendTimeouts) -> Backend:
    from hybridcoder.proxy.backends.openai_compat import OpenAICompatibleBackend

    return OpenAICompatibleBackend(url, timeouts=timeouts)


def _cloud_backends(settings: Settings, keys: KeyStore, timeouts: BackendTimeouts,
                    ollama_url: str | None) -> tuple[dict[str, CloudChoice], dict[str, str]]:
    """A backend for every cloud provider that can be used now (its key is present)."""
    clouds: dict[str, CloudChoice] = {}
    descriptions: dict[str, str] = {}
    cloud = settings.cloud
    for provider in ("anthropic", "openai", "ollama-cloud"):
        descriptions[provider] = describe_key(keys, provider)
    anthropic_key = keys.get("anthropic")
    if anthropic_key:
        from hybridcoder.proxy.backends.anthropic import AnthropicBackend

        clouds["anthropic"] = CloudChoice("anthropic", AnthropicBackend(
            api_key=anthropic_key, base_url=cloud.anthropic_url(), timeouts=timeouts), cloud.anthropic_model)
    openai_key = keys.get("openai")
    if openai_key:
        from hybridcoder.proxy.backends.openai_compat import OpenAICompatibleBackend

        clouds["openai"] = CloudChoice("openai", OpenAICompatibleBackend(
            cloud.openai_url(), api_key=openai_key, timeouts=timeouts, route="cloud", provider="openai"),
            cloud.openai_model)
    ollama_key = keys.get("ollama")
    direct = bool(cloud.ollama_cloud_url)
    # Through the local Ollama (after `ollama signin`) no key is needed, but we only
    # count on it when the user picked Ollama Cloud as the provider.
    if (direct and ollama_key) or (not direct and cloud.provider == "ollama-cloud"):
        from hybridcoder.proxy.backends.ollama_cloud import OllamaCloudBackend

        base = cloud.ollama_cloud_url or ollama_url or settings.ollama.url
        clouds["ollama-cloud"] = CloudChoice("ollama-cloud", OllamaCloudBackend(
            base, api_key=ollama_key if direct else None, timeouts=timeouts), cloud.ollama_cloud_model)
    return clouds, descriptions
