"""The figures the dashboard and ``hybridcoder stats`` show, computed by one function.

:func:`compute_figures` reads the ledger's roll-ups (never the raw rows, so a month of a
busy ledger takes milliseconds) and prices them:

- cloud spend: every cloud request priced from its recorded usage, cache reads and writes
  and the higher tier included; models without a price are counted apart as "price
  unknown", flat-plan usage (Ollama Cloud) apart as "plan usage";
- money saved: every locally answered request priced on the configured cloud model, as a
  list-price figure (the whole prompt at the input rate) and a cache-adjusted estimate
  (see :data:`SAVINGS_ASSUMPTION`);
- breakdowns by route, kind, client and model with shares by requests and by tokens;
  latency p50/p95 per route and kind; fallbacks and escalations with their causes; series
  per hour and per day.

Periods start at local midnight (breakdowns and latency come from per-day roll-ups); the
hourly series covers the hours still in the retention window. Never writes to the ledger
beyond bringing its schema up to date.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hybridcoder.analytics.periods import Period, resolve_period
from hybridcoder.analytics.prices import PER_MILLION, ModelPrice, PriceTable
from hybridcoder.ledger.migrations import MIGRATIONS, migrate
from hybridcoder.ledger.rollups import (
    CACHEABLE_KINDS,
    NOT_COMPARABLE_KINDS,
    bucket_value,
)
from hybridcoder.ledger.store import connect
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

#: Share of a conversation prompt (``CACHEABLE_KINDS``) assumed to be cache reads on the cloud; the
#: rest is billed as plain input, with no cache-write premium.
CACHE_READ_SHARE = 0.8

LIST_LABEL = "Saved at list price (every prompt token at the cloud model's input price)"
CACHE_LABEL = "Saved, cache-adjusted estimate"
SAVINGS_ASSUMPTION = (
    f"Cache-adjusted: for chat, edit, agent and other requests {CACHE_READ_SHARE:.0%} of the prompt is "
    "assumed to be read from the cloud's prompt cache (conversations resend their history) and the rest "
    "billed as input; autocomplete prompts change on every keystroke, so they are not discounted. "
    "Token counts are the local model's; embeddings are not counted."
)
#: Fallback causes that mean "the local answer was not good enough" rather than "something failed".
ESCALATION_CAUSES = frozenset({"client_retry", "invalid_tool_call", "manual_cloud", "escalated",
                               "quality_escalation", "local_refused"})


def reference_model(settings: Settings) -> tuple[str, str]:
    """The configured cloud model and its provider: what local requests are priced against."""
    provider = settings.cloud.provider
    if provider == "openai":
        return settings.cloud.openai_model, "openai"
    if provider == "ollama-cloud":
        return settings.cloud.ollama_cloud_model, "ollama-cloud"
    return settings.cloud.anthropic_model, "anthropic"


def is_escalation(cause: str) -> bool:
    return cause in ESCALATION_CAUSES or cause.startswith("escalat")


# -- result types ----------------------------------------------------------------------------
@dataclass
class GroupFigures:
    """One row of a breakdown (a route, kind, client or model)."""

    name: str
    requests: int = 0
    tokens: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    request_share: float = 0.0
    token_share: float = 0.0
    spend_usd: float = 0.0
    saved_list_usd: float = 0.0
    saved_cache_adjusted_usd: float = 0.0
    errors: int = 0


@dataclass
class LatencyFigures:
    route: str
    kind: str
    count: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    total_p50_ms: float | None
    total_p95_ms: float | None


@dataclass
class SeriesPoint:
    start: datetime
    local_requests: int = 0
    cloud_requests: int = 0
    local_tokens: int = 0
    cloud_tokens: int = 0
    spend_usd: float = 0.0
    saved_list_usd: float = 0.0
    saved_cache_adjusted_usd: float = 0.0


@dataclass
class Spend:
    usd: float = 0.0
    input_usd: float = 0.0
    output_usd: float = 0.0
    cache_write_usd: float = 0.0
    cache_read_usd: float = 0.0
    priced_requests: int = 0
    #: Cloud requests on models without a price: flagged, never counted as $0.
    unpriced_requests: int = 0
    unpriced_tokens: int = 0
    unpriced_models: list[str] = field(default_factory=list)
    #: Flat-plan usage (Ollama Cloud): requests and tokens, no dollar figure.
    plan_requests: int = 0
    plan_tokens: int = 0
    plan_models: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.unpriced_requests == 0


@dataclass
class Savings:
    reference_model: str
    reference_provider: str
    #: None when the reference model has no per-token price (unknown, or a flat plan).
    list_price_usd: float | None = None
    cache_adjusted_usd: float | None = None
    counted_requests: int = 0
    excluded_requests: int = 0
    reference_source: str = ""
    reference_date: str = ""
    note: str = ""
    list_label: str = LIST_LABEL
    cache_label: str = CACHE_LABEL
    assumption: str = SAVINGS_ASSUMPTION


@dataclass
class CauseCounts:
    count: int = 0
    by_cause: dict[str, int] = field(default_factory=dict)
    #: "local→cloud" / "cloud→local" → count
    by_direction: dict[str, int] = field(default_factory=dict)


@dataclass
class Figures:
    period: Period
    generated_at: datetime
    requests: int
    tokens: int
    errors: int
    estimated_requests: int
    spend: Spend
    savings: Savings
    breakdown: dict[str, list[GroupFigures]]
    latency: list[LatencyFigures]
    fallbacks: CauseCounts
    escalations: CauseCounts
    hourly: list[SeriesPoint]
    daily: list[SeriesPoint]
    warnings: list[str] = field(default_factory=list)

    def route(self, name: str) -> GroupFigures:
        """The breakdown row of a route ("local"/"cloud"), zeros when absent."""
        return next((g for g in self.breakdown["route"] if g.name == name), GroupFigures(name=name))

    def as_json(self) -> dict[str, Any]:
        def point(p: SeriesPoint) -> dict[str, Any]:
            out = asdict(p)
            out["start"] = p.start.isoformat(timespec="minutes")
            return _rounded(out)

        spend = asdict(self.spend)
        spend["complete"] = self.spend.complete
        return {
            "period": {"label": self.period.label, "since": self.period.since.isoformat(timespec="minutes"),
                       "until": self.period.until.isoformat(timespec="minutes")},
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "totals": {"requests": self.requests, "tokens": self.tokens, "errors": self.errors,
                       "estimated_token_requests": self.estimated_requests},
            "shares": {
                "requests": {g.name: round(g.request_share, 4) for g in self.breakdown["route"]},
                "tokens": {g.name: round(g.token_share, 4) for g in self.breakdown["route"]},
            },
            "spend": _rounded(spend),
            "savings": _rounded(asdict(self.savings)),
            "breakdown": {dim: [_rounded(asdict(g)) for g in rows] for dim, rows in self.breakdown.items()},
            "latency": [_rounded(asdict(item)) for item in self.latency],
            "fallbacks": asdict(self.fallbacks),
            "escalations": asdict(self.escalations),
            "series": {"hourly": [point(p) for p in self.hourly], "daily": [point(p) for p in self.daily]},
            "warnings": list(self.warnings),
        }

    def as_rows(self) -> list[tuple[str, str, str, Any]]:
        """The same figures as flat (section, group, metric, value) rows, for CSV."""
        rows: list[tuple[str, str, str, Any]] = []
        data = self.as_json()
        for section in ("period", "totals", "spend", "savings"):
            for metric, value in data[section].items():
                rows.append((section, "", metric, _cell(value)))
        for metric, shares in data["shares"].items():
            for name, value in shares.items():
                rows.append(("shares", name, metric, value))
        for dim, groups in data["breakdown"].items():
            for group in groups:
                for metric, value in group.items():
                    if metric != "name":
                        rows.append((f"by_{dim}", group["name"], metric, value))
        for item in data["latency"]:
            for metric in ("count", "ttft_p50_ms", "ttft_p95_ms", "total_p50_ms", "total_p95_ms"):
                rows.append(("latency", f"{item['route']}/{item['kind']}", metric, _cell(item[metric])))
        for section in ("fallbacks", "escalations"):
            rows.append((section, "", "count", data[section]["count"]))
            for cause, count in data[section]["by_cause"].items():
                rows.append((section, cause, "count", count))
        for series in ("hourly", "daily"):
            for p in data["series"][series]:
                for metric, value in p.items():
                    if metric != "start":
                        rows.append((f"series_{series}", p["start"], metric, value))
        rows.extend(("warnings", "", "warning", w) for w in self.warnings)
        return rows


def _rounded(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in data.items()}


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else value


# -- computing -------------------------------------------------------------------------------
_GROUPS_SQL = """
    SELECT route, kind, client, provider, model, first_choice, fallback_cause, band, SUM(requests),
           SUM(errors), SUM(estimated), SUM(prompt_tokens), SUM(completion_tokens), SUM(cache_read_tokens),
           SUM(cache_write_tokens)
    FROM usage_daily WHERE start >= :ds AND start < :until
    GROUP BY route, kind, client, provider, model, first_choice, fallback_cause, band"""
_DAILY_SQL = """
    SELECT start, route, kind, provider, model, band, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens),
           SUM(cache_read_tokens), SUM(cache_write_tokens)
    FROM usage_daily WHERE start >= :ds AND start < :until
    GROUP BY start, route, kind, provider, model, band"""
_HOURLY_SQL = """
    SELECT start, route, provider, model, band, requests, prompt_tokens, completion_tokens, cache_read_tokens,
           cache_write_tokens, comparable_prompt_tokens, comparable_completion_tokens, cacheable_prompt_tokens
    FROM usage_hourly WHERE start >= :ds AND start < :until"""
_LATENCY_SQL = """
    SELECT route, kind, metric, bucket, SUM(count) FROM latency_daily WHERE day >= :ds AND day < :until
    GROUP BY route, kind, metric, bucket"""

_SpendRates = tuple[float, float, float, float]  # input, output, cache write, cache read (USD per token)


class _Pricer:
    """Prices token sums for spend and savings; rates per (provider, model, band) looked up once."""

    def __init__(self, table: PriceTable, ref_model: str, ref_provider: str) -> None:
        self.table = table
        self.reference: ModelPrice | None = table.lookup(ref_model, ref_provider)
        self._spend: dict[tuple[str, str, int], _SpendRates | str] = {}
        self._ref: dict[int, tuple[float, float, float] | None] = {}

    def spend_rates(self, provider: str, model: str, band: int) -> _SpendRates | str:
        """Per-token rates, or "plan" / "unknown"."""
        key = (provider, model, band)
        found = self._spend.get(key)
        if found is None:
            price = self.table.lookup(model, provider)
            if price is None:
                found = "unknown"
            elif price.billing == "plan":
                found = "plan"
            else:
                r, _ = price.rates_for(0, band)
                found = (r.input / PER_MILLION, r.output / PER_MILLION, r.cache_write / PER_MILLION,
                         r.cache_read / PER_MILLION)
            self._spend[key] = found
        return found

    def reference_rates(self, band: int) -> tuple[float, float, float] | None:
        """(input, output, cache read) per token on the reference model, None if it has no token price."""
        if band not in self._ref:
            ref = self.reference
            if ref is None or ref.billing == "plan":
                self._ref[band] = None
            else:
                r, _ = ref.rates_for(0, band)
                self._ref[band] = (r.input / PER_MILLION, r.output / PER_MILLION, r.cache_read / PER_MILLION)
        return self._ref[band]

    def saved(self, band: int, prompt: int, completion: int, cacheable: int) -> tuple[float, float] | None:
        """(list price, cache-adjusted) of these tokens on the reference model."""
        rates = self.reference_rates(band)
        if rates is None:
            return None
        r_in, r_out, r_read = rates
        listed = prompt * r_in + completion * r_out
        read = cacheable * CACHE_READ_SHARE
        return listed, listed - read * (r_in - r_read)


def _spend_parts(rates: _SpendRates, prompt: int, completion: int, cache_read: int,
                 cache_write: int) -> tuple[float, float, float, float]:
    uncached = max(0, prompt - cache_read - cache_write)
    return uncached * rates[0], completion * rates[1], cache_write * rates[2], cache_read * rates[3]


def compute_figures(ledger_path: Path, settings: Settings, since: datetime | Period | str | None = "7d",
                    until: datetime | str | None = None, *, prices: PriceTable | None = None,
                    reference: tuple[str, str] | None = None,
                    now: Callable[[], datetime] | None = None) -> Figures:
    """All dashboard figures for a period; never raises for a missing, locked or damaged ledger.

    ``since``/``until`` take datetimes (naive = local time), a :class:`Period`, or the words of
    :func:`~hybridcoder.analytics.periods.resolve_period` ("today", "7d", "30d", "2026-11-01");
    the start is moved back to local midnight. ``reference`` overrides the (model, provider)
    local requests are priced against.
    """
    clock = now or datetime.now
    period = _as_period(since, until, clock())
    table = prices or PriceTable.load(settings)
    ref_model, ref_provider = reference or reference_model(settings)
    if not ref_provider:
        found = table.lookup(ref_model)
        ref_provider = found.provider if found is not None else ""
    pricer = _Pricer(table, ref_model, ref_provider)
    warnings = [*table.warnings, *([settings.load_warning] if settings.load_warning else [])]
    rows: dict[str, list[Any]] = {"groups": [], "daily": [], "hourly": [], "latency": []}
    params = {"ds": period.since_ts, "until": period.until_ts}
    if Path(ledger_path).exists():
        try:
            with contextlib.closing(_reader(Path(ledger_path))) as conn:
                for name, sql in (("groups", _GROUPS_SQL), ("daily", _DAILY_SQL), ("hourly", _HOURLY_SQL),
                                  ("latency", _LATENCY_SQL)):
                    rows[name] = conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            log.warning("figures: ledger unreadable (%s)", exc)
            warnings.append(f"The usage database could not be read ({exc}); figures are empty.")
            rows = {name: [] for name in rows}
    figures = _aggregate(period, clock(), rows["groups"], pricer, ref_model, ref_provider, warnings)
    figures.latency = _latency(rows["latency"])
    figures.daily = _daily_series(rows["daily"], pricer)
    figures.hourly = _hourly_series(rows["hourly"], pricer)
    return figures


def _as_period(since: datetime | Period | str | None, until: datetime | str | None, now: datetime) -> Period:
    if isinstance(since, Period):
        period = since
    elif isinstance(since, datetime) or isinstance(until, datetime):
        start = since if isinstance(since, datetime) else resolve_period(since, None, now=now).since
        stop = until if isinstance(until, datetime) else (
            resolve_period("today", until, now=now).until if until else now)
        start = start.astimezone().replace(tzinfo=None) if start.tzinfo else start
        stop = stop.astimezone().replace(tzinfo=None) if stop.tzinfo else stop
        period = Period(since=start, until=stop, label="custom")
    else:
        period = resolve_period(since, until, now=now)
    midnight = datetime(period.since.year, period.since.month, period.since.day)
    return Period(since=midnight, until=period.until, label=period.label)


def _reader(path: Path) -> sqlite3.Connection:
    conn = connect(path, timeout=2.0)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version < len(MIGRATIONS):
        migrate(conn)
    return conn


def _aggregate(period: Period, generated: datetime, groups: Iterable[tuple[Any, ...]], pricer: _Pricer,
               ref_model: str, ref_provider: str, warnings: list[str]) -> Figures:
    dims: dict[str, dict[str, GroupFigures]] = {"route": {}, "kind": {}, "client": {}, "model": {}}
    spend = Spend()
    ref = pricer.reference
    savings = Savings(reference_model=ref_model, reference_provider=ref_provider,
                      reference_source=ref.source if ref else "", reference_date=ref.date if ref else "")
    saved_list = saved_cached = 0.0
    fallbacks, escalations = CauseCounts(), CauseCounts()
    unpriced: dict[str, int] = {}
    plan_models: set[str] = set()
    requests = tokens = errors = estimated = 0
    for (route, kind, client, provider, model, first_choice, cause, band, n, n_err, n_est, prompt, completion,
         cache_read, cache_write) in groups:
        row_tokens = prompt + completion
        requests += n
        tokens += row_tokens
        errors += n_err
        estimated += n_est
        row_spend = row_list = row_cached = 0.0
        if route == "cloud":
            rates = pricer.spend_rates(provider, model, band)
            if isinstance(rates, tuple):
                parts = _spend_parts(rates, prompt, completion, cache_read, cache_write)
                row_spend = sum(parts)
                spend.input_usd += parts[0]
                spend.output_usd += parts[1]
                spend.cache_write_usd += parts[2]
                spend.cache_read_usd += parts[3]
                spend.priced_requests += n
            elif rates == "plan":
                spend.plan_requests += n
                spend.plan_tokens += row_tokens
                plan_models.add(model)
            else:
                spend.unpriced_requests += n
                spend.unpriced_tokens += row_tokens
                unpriced[model] = unpriced.get(model, 0) + n
        else:
            saved = None if kind in NOT_COMPARABLE_KINDS else pricer.saved(
                band, prompt, completion, prompt if kind in CACHEABLE_KINDS else 0)
            if saved is None:
                savings.excluded_requests += n
            else:
                row_list, row_cached = saved
                saved_list += row_list
                saved_cached += row_cached
                savings.counted_requests += n
        spend.usd += row_spend
        for dim, name in (("route", route), ("kind", kind), ("client", client), ("model", model or "(none)")):
            g = dims[dim].get(name)
            if g is None:
                g = dims[dim][name] = GroupFigures(name=name)
            g.requests += n
            g.tokens += row_tokens
            g.prompt_tokens += prompt
            g.completion_tokens += completion
            g.errors += n_err
            g.spend_usd += row_spend
            g.saved_list_usd += row_list
            g.saved_cache_adjusted_usd += row_cached
        if cause:
            target = escalations if is_escalation(cause) else fallbacks
            target.count += n
            target.by_cause[cause] = target.by_cause.get(cause, 0) + n
            direction = f"{first_choice}→{route}"
            target.by_direction[direction] = target.by_direction.get(direction, 0) + n
    if ref is None:
        savings.note = f"No price is known for {ref_model}; add one in settings to see money saved."
    elif ref.billing == "plan":
        savings.note = f"{ref_model} is billed by plan, not per token, so savings are shown as usage only."
    else:
        savings.list_price_usd = saved_list
        savings.cache_adjusted_usd = saved_cached
    spend.unpriced_models = sorted(unpriced)
    spend.plan_models = sorted(plan_models)
    for model, n in sorted(unpriced.items()):
        warnings.append(f"Price unknown for {model} ({n} requests): not counted in cloud spend; "
                        f"add its price under [prices] in settings.")
    breakdown: dict[str, list[GroupFigures]] = {}
    for dim, table in dims.items():
        ordered = sorted(table.values(), key=lambda g: (-g.requests, g.name))
        for g in ordered:
            g.request_share = g.requests / requests if requests else 0.0
            g.token_share = g.tokens / tokens if tokens else 0.0
        breakdown[dim] = ordered
    return Figures(period=period, generated_at=generated, requests=requests, tokens=tokens, errors=errors,
                   estimated_requests=estimated, spend=spend, savings=savings, breakdown=breakdown,
                   latency=[], fallbacks=fallbacks, escalations=escalations, hourly=[], daily=[],
                   warnings=warnings)


def percentile(histogram: dict[int, int], q: float) -> float | None:
    """Nearest-rank percentile from a latency histogram (bucket → count)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(max(histogram))


def _latency(rows: Iterable[tuple[Any, ...]]) -> list[LatencyFigures]:
    hists: dict[tuple[str, str], dict[str, dict[int, int]]] = {}
    for route, kind, metric, bucket, count in rows:
        for key in ((route, kind), (route, "all")):
            hist = hists.setdefault(key, {"ttft": {}, "total": {}}).setdefault(metric, {})
            hist[bucket] = hist.get(bucket, 0) + count
    out = []
    for (route, kind), h in sorted(hists.items(), key=lambda item: (item[0][0], item[0][1] == "all", item[0][1])):
        count = max(sum(h["ttft"].values()), sum(h["total"].values()))
        out.append(LatencyFigures(
            route=route, kind=kind, count=count,
            ttft_p50_ms=percentile(h["ttft"], 0.5), ttft_p95_ms=percentile(h["ttft"], 0.95),
            total_p50_ms=percentile(h["total"], 0.5), total_p95_ms=percentile(h["total"], 0.95),
        ))
    return out


def _add_to_point(p: SeriesPoint, pricer: _Pricer, route: str, provider: str, model: str, band: int, n: int,
                  prompt: int, completion: int, cache_read: int, cache_write: int, comparable_prompt: int,
                  comparable_completion: int, cacheable: int) -> None:
    if route == "cloud":
        p.cloud_requests += n
        p.cloud_tokens += prompt + completion
        rates = pricer.spend_rates(provider, model, band)
        if isinstance(rates, tuple):
            p.spend_usd += sum(_spend_parts(rates, prompt, completion, cache_read, cache_write))
    else:
        p.local_requests += n
        p.local_tokens += prompt + completion
        saved = pricer.saved(band, comparable_prompt, comparable_completion, cacheable)
        if saved is not None:
            p.saved_list_usd += saved[0]
            p.saved_cache_adjusted_usd += saved[1]


def _daily_series(rows: Iterable[tuple[Any, ...]], pricer: _Pricer) -> list[SeriesPoint]:
    points: dict[int, SeriesPoint] = {}
    for start, route, kind, provider, model, band, n, prompt, completion, cache_read, cache_write in rows:
        p = points.get(start)
        if p is None:
            p = points[start] = SeriesPoint(start=datetime.fromtimestamp(start))
        comparable = kind not in NOT_COMPARABLE_KINDS
        _add_to_point(p, pricer, route, provider, model, band, n, prompt, completion, cache_read, cache_write,
                      prompt if comparable else 0, completion if comparable else 0,
                      prompt if kind in CACHEABLE_KINDS else 0)
    return [points[k] for k in sorted(points)]


def _hourly_series(rows: Iterable[tuple[Any, ...]], pricer: _Pricer) -> list[SeriesPoint]:
    points: dict[int, SeriesPoint] = {}
    for start, route, provider, model, band, *sums in rows:
        p = points.get(start)
        if p is None:
            p = points[start] = SeriesPoint(start=datetime.fromtimestamp(start))
        _add_to_point(p, pricer, route, provider, model, band, *sums)
    return [points[k] for k in sorted(points)]
