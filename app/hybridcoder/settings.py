"""User settings: one human-readable TOML file, written atomically.

Typed sections (dataclasses) with defaults. Loading keeps the parsed TOML document
so keys this version does not know (from a newer version, or added by hand) and the
user's comments survive a save. A file that cannot be parsed is moved aside with a
warning and defaults are used: a broken settings file never stops the app.

Never store a key here: cloud keys and the proxy token live in the keyring (keys.py).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.toml_document import TOMLDocument

from hybridcoder.atomic import atomic_write_text
from hybridcoder.errors import SettingsError
from hybridcoder.paths import app_paths

log = logging.getLogger(__name__)

DEFAULT_PROXY_PORT = 11480


#: Settings that take one of a few words; anything else in the file is ignored (and reported).
CHOICES: dict[str, tuple[str, ...]] = {
    "local.kind": ("ollama", "openai"),
    "cloud.provider": ("anthropic", "openai", "ollama-cloud"),
    "routing.mode": ("auto", "local", "cloud"),
    "budget.on_exhausted": ("local", "ask"),
}


@dataclass
class OllamaSettings:
    url: str = "http://127.0.0.1:11434"
    #: Official installers; overridable so tests (and mirrors) can point elsewhere.
    install_url_linux: str = "https://ollama.com/install.sh"
    install_url_macos: str = "https://ollama.com/download/Ollama-darwin.zip"
    install_url_windows: str = "https://ollama.com/download/OllamaSetup.exe"
    #: Optional published SHA-256 for the installer at the URL above ("" = none published).
    install_sha256: str = ""
    start_timeout_s: float = 30.0


@dataclass
class ModelSettings:
    chat: str = ""
    autocomplete: str = ""
    embed: str = ""
    #: Context length configured for the chat model (num_ctx); 0 = from the recommendation.
    chat_context: int = 0
    autocomplete_context: int = 4096


@dataclass
class LocalBackendSettings:
    #: "ollama" (native API) or "openai" (any OpenAI-compatible server: LM Studio, llama.cpp, vLLM).
    kind: str = "ollama"
    #: URL of an OpenAI-compatible local server when kind == "openai" (e.g. http://gpu-box:8000/v1).
    openai_url: str = ""


@dataclass
class CloudSettings:
    #: "anthropic", "openai" or "ollama-cloud"; which provider "hybrid-cloud" means.
    provider: str = "anthropic"
    anthropic_model: str = "claude-sonnet-5-5"
    openai_model: str = "gpt-5.2"
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com"
    ollama_cloud_model: str = "qwen3-coder:480b-cloud"
    #: "" = through the local Ollama after `ollama signin`; else e.g. https://ollama.com
    ollama_cloud_url: str = ""

    def anthropic_url(self) -> str:
        """The Anthropic API root: settings when they name one, else ``ANTHROPIC_BASE_URL`` as the SDK reads it."""
        return _url_or_env(self.anthropic_base_url, "https://api.anthropic.com", "ANTHROPIC_BASE_URL")

    def openai_url(self) -> str:
        """The OpenAI API root: settings when they name one, else ``OPENAI_BASE_URL`` as the SDK reads it."""
        return _url_or_env(self.openai_base_url, "https://api.openai.com/v1", "OPENAI_BASE_URL")


def _url_or_env(configured: str, default: str, variable: str) -> str:
    """Settings win when they differ from the default; otherwise the standard variable, if set."""
    if configured and configured.rstrip("/") != default:
        return configured
    return os.environ.get(variable, "").strip() or configured or default


@dataclass
class ProxySettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PROXY_PORT
    max_body_bytes: int = 16 * 1024 * 1024
    connect_timeout_s: float = 5.0
    #: Time to first token: generous for a cold model load, but bounded.
    first_token_timeout_s: float = 120.0
    idle_timeout_s: float = 60.0
    #: A client connection must complete a request's headers within this (slow or silent
    #: connections are closed, not kept for ever); the body then has 60 s (proxy/asgi.py).
    header_timeout_s: float = 10.0
    #: A repeated conversation within this window counts as the client's "regenerate".
    retry_window_s: float = 120.0
    #: ...but only when it comes back at least this long after the answer finished (a person reading it).
    retry_min_gap_s: float = 1.0


@dataclass
class RoutingSettings:
    #: "auto", "local" or "cloud".
    mode: str = "auto"
    #: 0..1; higher keeps more requests local (the settings slider).
    threshold: float = 0.5
    redact_secrets: bool = True
    learning: bool = True


@dataclass
class BudgetSettings:
    daily_usd: float = 0.0  # 0 = no cap
    monthly_usd: float = 0.0
    #: "local" (switch to local-only) or "ask" (ask before spending more).
    on_exhausted: str = "local"
    warn_fraction: float = 0.8


@dataclass
class LedgerSettings:
    retention_days: int = 90
    store_prompts: bool = False


@dataclass
class KeySettings:
    #: Set only with the user's explicit consent when no OS keyring exists.
    allow_file_fallback: bool = False


@dataclass
class Settings:
    """All settings; ``Settings.load()`` / ``settings.save()``."""

    ollama: OllamaSettings = field(default_factory=OllamaSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    local: LocalBackendSettings = field(default_factory=LocalBackendSettings)
    cloud: CloudSettings = field(default_factory=CloudSettings)
    proxy: ProxySettings = field(default_factory=ProxySettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    budget: BudgetSettings = field(default_factory=BudgetSettings)
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    keys: KeySettings = field(default_factory=KeySettings)
    #: Extra prices per model id, {model: {input, output, cache_write, cache_read}} USD/MTok.
    prices: dict[str, dict[str, float]] = field(default_factory=dict)

    # The parsed document, kept so unknown keys and comments survive a save.
    _document: TOMLDocument | None = field(default=None, repr=False, compare=False)
    _path: Path | None = field(default=None, repr=False, compare=False)
    #: Set when the file on disk was broken and moved aside during load.
    load_warning: str | None = field(default=None, repr=False, compare=False)
    #: ``section.key`` of values in the file that had the wrong type, so the default was used.
    ignored_values: list[str] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read settings; a missing file gives defaults, a broken one is moved aside."""
        path = path or app_paths().settings_file
        settings = cls()
        settings._path = path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return settings
        except OSError as exc:
            settings.load_warning = f"Could not read settings at {path} ({exc.strerror}); using defaults."
            log.warning(settings.load_warning)
            return settings
        try:
            document = tomlkit.parse(raw.decode("utf-8"))
        except (TOMLKitError, UnicodeDecodeError) as exc:
            aside = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                path.replace(aside)
            except OSError as move_exc:
                settings.load_warning = (f"Settings file {path} is not valid TOML ({exc}) and could not be moved "
                                         f"aside ({move_exc.strerror}); defaults are used until you fix it.")
            else:
                settings.load_warning = (
                    f"Settings file was not valid TOML ({exc}); it was moved to {aside} and defaults are used."
                )
            log.warning(settings.load_warning)
            return settings
        settings._document = document
        settings._apply(document.unwrap())
        return settings

    def _apply(self, data: dict[str, Any]) -> None:
        for section_field in dataclasses.fields(self):
            name = section_field.name
            if name.startswith("_") or name in ("load_warning", "ignored_values") or name not in data:
                continue
            value = data[name]
            current = getattr(self, name)
            if dataclasses.is_dataclass(current) and isinstance(value, dict):
                for sub in dataclasses.fields(current):
                    if sub.name in value:
                        default = getattr(current, sub.name)
                        coerced = _coerce(default, value[sub.name])
                        allowed = CHOICES.get(f"{name}.{sub.name}")
                        if allowed is not None and coerced not in allowed:
                            coerced = default
                        if coerced is default and value[sub.name] != default:
                            self.ignored_values.append(f"{name}.{sub.name}")
                        setattr(current, sub.name, coerced)
            elif dataclasses.is_dataclass(current):
                self.ignored_values.append(name)  # e.g. `ollama = 5` where a [section] belongs
            elif name == "prices" and isinstance(value, dict):
                self.prices = {
                    str(k): {str(pk): float(pv) for pk, pv in v.items() if isinstance(pv, int | float)}
                    for k, v in value.items() if isinstance(v, dict)
                }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for section_field in dataclasses.fields(self):
            name = section_field.name
            if name.startswith("_") or name in ("load_warning", "ignored_values"):
                continue
            value = getattr(self, name)
            is_section = dataclasses.is_dataclass(value) and not isinstance(value, type)
            out[name] = dataclasses.asdict(value) if is_section else value
        return out

    def save(self, path: Path | None = None) -> Path:
        """Write atomically, merging into the loaded document (unknown keys kept)."""
        path = path or self._path or app_paths().settings_file
        document = self._document if self._document is not None else tomlkit.document()
        for name, values in self.to_dict().items():
            if name == "prices" and not values and "prices" not in document:
                continue
            table = document.get(name)
            if not isinstance(table, dict):
                table = tomlkit.table()
                document[name] = table
            for key, value in values.items():
                if table.get(key) != value:
                    table[key] = value
        try:
            atomic_write_text(path, tomlkit.dumps(document))
        except OSError as exc:
            raise SettingsError(f"Could not save settings to {path} ({exc.strerror}).") from exc
        self._document = document
        self._path = path
        return path


def _coerce(default: Any, value: Any) -> Any:
    """Keep the declared type; a wrong type in the file falls back to the default."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else default
    if isinstance(default, int):
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    if isinstance(default, float):
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    if isinstance(default, str):
        return value if isinstance(value, str) else default
    return value
