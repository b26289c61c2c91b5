"""Cloud prices: the shipped table in ``resources/prices.toml``, then an optional LiteLLM-format file
(``litellm_prices.json`` in the config folder), then the user's ``[prices]`` in settings.

:func:`cost` prices one request's usage, tiers and cache included. Usage follows the
ledger's convention (OpenAI's): ``prompt_tokens`` is the WHOLE prompt, cache reads and
cache writes included; the uncached part is ``prompt - cache_read - cache_write``.

Never prices a model it does not know at $0: an unknown model gives ``None`` and callers
flag it "price unknown". Flat-plan providers (Ollama Cloud) give a :class:`Cost` with
``billing == "plan"`` and no dollar figure.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from hybridcoder.ledger.rollups import band_is_above
from hybridcoder.paths import app_paths
from hybridcoder.resource_files import ResourceError, resource_path
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

Billing = Literal["per_token", "plan"]
PER_MILLION = 1_000_000.0
#: A LiteLLM-format price file the user may drop into the config folder.
LITELLM_FILE = "litellm_prices.json"
PRICES_FILE = "prices.toml"
_DATE_SUFFIX = re.compile(r"-(\d{8}|latest)$")


class TokenUsage(Protocol):
    """Anything with the ledger's four token counts (a RequestRecord, the proxy's Usage)."""

    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...


@dataclass(frozen=True)
class Rates:
    """USD per million tokens for each kind of token."""

    input: float
    output: float
    cache_write: float
    cache_read: float
    cache_write_1h: float | None = None


@dataclass(frozen=True)
class ModelPrice:
    model: str
    provider: str
    rates: Rates
    source: str
    date: str
    #: Prompt tokens above which ``above`` applies to every token of the request.
    tier_threshold: int | None = None
    above: Rates | None = None
    billing: Billing = "per_token"
    note: str = ""

    def rates_for(self, prompt_tokens: int, band: int | None = None) -> tuple[Rates, str]:
        """The rates that apply to a request with this many prompt tokens, and the tier's name.

        ``band`` (a ledger prompt band) decides instead when the counts are sums of many requests.
        """
        if self.tier_threshold is None or self.above is None:
            return self.rates, "standard"
        above = band_is_above(band, self.tier_threshold) if band is not None else prompt_tokens > self.tier_threshold
        if above:
            return self.above, f"above_{self.tier_threshold // 1000}k"
        return self.rates, "standard"


@dataclass(frozen=True)
class Cost:
    """What one request (or a sum of requests in one tier) cost, in USD."""

    model: str
    billing: Billing
    tier: str
    input_usd: float = 0.0
    output_usd: float = 0.0
    cache_write_usd: float = 0.0
    cache_read_usd: float = 0.0
    source: str = ""

    @property
    def usd(self) -> float:
        return self.input_usd + self.output_usd + self.cache_write_usd + self.cache_read_usd


def price_tokens(price: ModelPrice, prompt_tokens: float, completion_tokens: float, cache_read_tokens: float,
                 cache_write_tokens: float, *, band: int | None = None) -> Cost:
    """Price token counts of one request, or sums of requests that share a ledger prompt ``band``."""
    if price.billing == "plan":
        return Cost(model=price.model, billing="plan", tier="plan", source=price.source)
    rates, tier = price.rates_for(int(prompt_tokens), band)
    uncached = max(0, prompt_tokens - cache_read_tokens - cache_write_tokens)
    return Cost(
        model=price.model,
        billing="per_token",
        tier=tier,
        input_usd=uncached * rates.input / PER_MILLION,
        output_usd=completion_tokens * rates.output / PER_MILLION,
        cache_write_usd=cache_write_tokens * rates.cache_write / PER_MILLION,
        cache_read_usd=cache_read_tokens * rates.cache_read / PER_MILLION,
        source=price.source,
    )


@dataclass(frozen=True)
class PricePlan:
    name: str
    provider: str
    patterns: tuple[str, ...]
    note: str
    source: str
    date: str


class PriceTable:
    """Prices by model id; ``lookup`` understands aliases, dated ids and ``provider/`` prefixes."""

    def __init__(self, prices: Mapping[str, ModelPrice], plans: list[PricePlan] | None = None,
                 aliases: Mapping[str, str] | None = None, warnings: list[str] | None = None) -> None:
        self._prices = {k.lower(): v for k, v in prices.items()}
        self._aliases = {k.lower(): v.lower() for k, v in (aliases or {}).items()}
        self.plans = list(plans or [])
        self.warnings = list(warnings or [])
        self._cache: dict[tuple[str, str], ModelPrice | None] = {}

    # -- building ------------------------------------------------------------------------
    @classmethod
    def load(cls, settings: Settings | None = None, path: Path | None = None,
             litellm_file: Path | None = None) -> PriceTable:
        """The shipped table (or ``path``), then a LiteLLM-format price file, then ``settings.prices``.

        The LiteLLM file defaults to ``litellm_prices.json`` in the config folder, if the user put
        one there (LiteLLM's ``model_prices_and_context_window.json`` works as it is).
        """
        table = _shipped(path or resource_path(PRICES_FILE))
        litellm_file = litellm_file or app_paths().config_dir / LITELLM_FILE
        if litellm_file.is_file():
            table = table.with_litellm(litellm_file)
        if settings is not None and settings.prices:
            table = table.with_overrides(settings.prices)
        return table

    def with_litellm(self, path: Path) -> PriceTable:
        """Add rows from a LiteLLM-format JSON file (USD per token; ``*_above_<N>k_tokens`` tiers)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            message = f"The price file {path.name} could not be read ({exc}); it was ignored."
            log.warning(message)
            return PriceTable(self._prices, self.plans, self._aliases, [*self.warnings, message])
        rows: dict[str, dict[str, Any]] = {}
        for model, entry in data.items():
            if isinstance(entry, dict):
                row = _from_litellm(entry, source=f"{path.name} (LiteLLM format)")
                if row is not None:
                    rows[model] = row
        return self.with_overrides(rows)

    @classmethod
    def from_toml(cls, text: str, origin: str = "prices.toml") -> PriceTable:
        data = tomllib.loads(text)
        prices: dict[str, ModelPrice] = {}
        aliases: dict[str, str] = {}
        warnings: list[str] = []
        for model, row in (data.get("models") or {}).items():
            try:
                prices[model] = _price_from_row(model, row, default_source=origin)
            except (KeyError, TypeError, ValueError) as exc:
                warnings.append(f"price row {model!r} in {origin} ignored ({exc})")
                continue
            for alias in row.get("aliases", []):
                aliases[str(alias)] = model
        plans = [
            PricePlan(name=name, provider=str(row.get("provider", name)),
                      patterns=tuple(str(p) for p in row.get("match", [])), note=str(row.get("note", "")),
                      source=str(row.get("source", origin)), date=str(row.get("date", "")))
            for name, row in (data.get("plans") or {}).items()
        ]
        return cls(prices, plans, aliases, warnings)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> PriceTable:
        """Merge user rows: known keys replace shipped values, new models need input and output."""
        prices = dict(self._prices)
        warnings = list(self.warnings)
        for model, row in overrides.items():
            key = model.lower()
            existing = prices.get(self._aliases.get(key, key))
            try:
                if existing is not None:
                    prices[existing.model.lower()] = _merge(existing, row)
                else:
                    prices[key] = _price_from_row(model, {"source": "your settings", "date": "", **row},
                                                  default_source="your settings")
            except (KeyError, TypeError, ValueError) as exc:
                warnings.append(f"price override for {model!r} in settings ignored ({exc})")
                log.warning(warnings[-1])
        return PriceTable(prices, self.plans, self._aliases, warnings)

    # -- reading -------------------------------------------------------------------------
    def lookup(self, model: str, provider: str = "") -> ModelPrice | None:
        """The price for a model id as it appears in requests; ``None`` when unknown."""
        key = (model, provider)
        if key in self._cache:
            return self._cache[key]
        found = self._find(model, provider)
        if len(self._cache) < 4096:
            self._cache[key] = found
        return found

    def _find(self, model: str, provider: str) -> ModelPrice | None:
        name = model.strip().lower()
        for plan in self.plans:
            if provider == plan.provider or any(fnmatch.fnmatchcase(name, p) for p in plan.patterns):
                return ModelPrice(model=model, provider=plan.provider, rates=Rates(0.0, 0.0, 0.0, 0.0),
                                  source=plan.source, date=plan.date, billing="plan", note=plan.note)
        candidates = [name]
        if "/" in name:
            candidates.append(name.rsplit("/", 1)[1])
        candidates += [_DATE_SUFFIX.sub("", c) for c in candidates]
        for candidate in candidates:
            price = self._prices.get(self._aliases.get(candidate, candidate))
            if price is not None:
                return price
        return None

    def models(self) -> list[str]:
        return sorted(p.model for p in self._prices.values())

    def cost(self, model: str, usage: TokenUsage, provider: str = "") -> Cost | None:
        price = self.lookup(model, provider)
        if price is None:
            return None
        return price_tokens(price, usage.prompt_tokens, usage.completion_tokens, usage.cache_read_tokens,
                            usage.cache_write_tokens)


def cost(model: str, usage: TokenUsage, *, provider: str = "", table: PriceTable | None = None) -> Cost | None:
    """Price one request; ``None`` means "price unknown" (never $0).

    Without ``table`` the shipped prices are used; pass ``PriceTable.load(settings)`` to include
    the user's overrides.
    """
    return (table or PriceTable.load()).cost(model, usage, provider)


# -- helpers -------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _shipped_cached(path: str, mtime: float) -> PriceTable:
    return PriceTable.from_toml(Path(path).read_text(encoding="utf-8"), origin=Path(path).name)


def _shipped(path: Path) -> PriceTable:
    # The shipped table is part of the install: unreadable means a broken install, said loudly rather
    # than every cloud price quietly becoming "unknown".
    try:
        return _shipped_cached(str(path), path.stat().st_mtime)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ResourceError(
            f"The price table {path} could not be read ({exc}); reinstall Hybrid Coder or fix the file."
        ) from None


def _rates(row: Mapping[str, Any], fallback: Rates | None = None) -> Rates:
    def value(key: str, default: float | None) -> float:
        raw = row.get(key, default)
        if raw is None:
            raise KeyError(key)
        number = float(raw)
        if number < 0:
            raise ValueError(f"{key} is negative")
        return number

    input_rate = value("input", fallback.input if fallback else None)
    return Rates(
        input=input_rate,
        output=value("output", fallback.output if fallback else None),
        # Without a published write price, writes cost what plain input costs (OpenAI's rule).
        cache_write=value("cache_write", fallback.cache_write if fallback else input_rate),
        cache_read=value("cache_read", fallback.cache_read if fallback else input_rate),
        cache_write_1h=(float(row["cache_write_1h"]) if "cache_write_1h" in row
                        else (fallback.cache_write_1h if fallback else None)),
    )


_LITELLM_RATES = {"input_cost_per_token": "input", "output_cost_per_token": "output",
                  "cache_creation_input_token_cost": "cache_write",
                  "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
                  "cache_read_input_token_cost": "cache_read"}
_LITELLM_TIER = re.compile(r"^(?P<base>.+)_above_(?P<k>\d+)k_tokens$")


def _from_litellm(entry: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    """One LiteLLM entry as a row of our own (USD per million); None without input and output prices."""
    row: dict[str, Any] = {"source": source, "date": ""}
    for key, value in entry.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if key in _LITELLM_RATES:
            row[_LITELLM_RATES[key]] = round(value * PER_MILLION, 9)
            continue
        tier = _LITELLM_TIER.match(key)
        if tier and tier["base"] in _LITELLM_RATES:
            row["tier_threshold"] = int(tier["k"]) * 1000
            row["above_" + _LITELLM_RATES[tier["base"]]] = round(value * PER_MILLION, 9)
    if isinstance(entry.get("litellm_provider"), str):
        row["provider"] = entry["litellm_provider"]
    return row if "input" in row and "output" in row else None


def _above(row: Mapping[str, Any], existing: Rates | None, base: Rates) -> Rates | None:
    """Higher-tier rates from an ``[above]`` table or flat ``above_input`` keys (settings hold numbers only)."""
    above = existing
    nested = row.get("above")
    if isinstance(nested, Mapping):
        above = _rates(nested, existing)
    flat = {k.removeprefix("above_"): v for k, v in row.items() if k.startswith("above_")}
    if flat:
        above = _rates(flat, above or base)
    return above


def _price_from_row(model: str, row: Mapping[str, Any], default_source: str) -> ModelPrice:
    rates = _rates(row)
    threshold = row.get("tier_threshold")
    return ModelPrice(
        model=model,
        provider=str(row.get("provider", "")),
        rates=rates,
        source=str(row.get("source", default_source)),
        date=str(row.get("date", "")),
        tier_threshold=int(threshold) if threshold is not None else None,
        above=_above(row, None, rates),
    )


def _merge(existing: ModelPrice, row: Mapping[str, Any]) -> ModelPrice:
    threshold = row.get("tier_threshold", existing.tier_threshold)
    above = _above(row, existing.above, existing.rates)
    return replace(
        existing,
        rates=_rates(row, existing.rates),
        tier_threshold=int(threshold) if threshold is not None else None,
        above=above,
        source=f"{row.get('source', 'your settings')} (over {existing.source})",
        date=str(row.get("date", existing.date)),
    )
