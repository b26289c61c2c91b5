"""The figures the dashboard and ``hybridcoder stats`` show, computed by one function.

:func:`compute_figures` reads the ledger's roll-ups (never the raw rows, so a month of a
busy ledger takes milliseconds) and prices them:

- cloud spend: every cloud request priced from its recorded usage, cache reads and writes
  and the higher tier included; models without a price are counted apart as "price
  unknown", flat-plan usage (Ollama Cloud) apart as "plan usage";
- money saved: every locally answered request priced on the configured cloud model, as a
  list-price figure (the whole prompt at the input rate) and a cache-adjusted estimate
  (see ``report.SAVINGS_ASSUMPTION``);
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
from datetime import datetime
from pathlib import Path
from typing import Any

from hybridcoder.analytics.periods import Period, resolve_period
from hybridcoder.analytics.prices import PER_MILLION, ModelPrice, PriceTable
from hybridcoder.analytics.report import (
    CACHE_LABEL,
    CACHE_READ_SHARE,
    LIST_LABEL,
    SAVINGS_ASSUMPTION,
    CauseCounts,
    Figures,
    GroupFigures,
    LatencyFigures,
    Savings,
    SeriesPoint,
    Spend,
)
from hybridcoder.ledger.migrations import MIGRATIONS, migrate
from hybridcoder.ledger.rollups import (
    BANDS,
    CACHEABLE_KINDS,
    DIM_COLUMNS,
    NOT_COMPARABLE_KINDS,
    SERIES_COLUMNS,
    add_histogram,
    bucket_value,
)
from hybridcoder.ledger.store import connect
from hybridcoder.settings import Settings

__all__ = [
    "CACHE_LABEL",
    "CACHE_READ_SHARE",
    "LIST_LABEL",
    "SAVINGS_ASSUMPTION",
    "CauseCounts",
    "Figures",
    "GroupFigures",
    "LatencyFigures",
    "Savings",
    "SeriesPoint",
    "Spend",
    "compute_figures",
    "percentile",
    "reference_model",
]

log = logging.getLogger(__name__)

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


# -- computing -------------------------------------------------------------------------------
_GROUPS_SQL = """
    SELECT dim, band, SUM(requests), SUM(errors), SUM(estimated), SUM(prompt_tokens), SUM(completion_tokens),
           SUM(cache_read_tokens), SUM(cache_write_tokens)
    FROM usage_daily WHERE start >= :ds AND start < :until GROUP BY dim, band"""
# Series are priced inside SQLite: per-token rates for every (label set, band) go into a temporary
# table, and every figure is a linear sum of tokens times rates.
_PRICED_SUMS = """
    SUM(u.requests), SUM(u.prompt_tokens + u.completion_tokens),
    SUM(MAX(0, u.prompt_tokens - u.cache_read_tokens - u.cache_write_tokens) * r.s_in
        + u.completion_tokens * r.s_out + u.cache_write_tokens * r.s_cw + u.cache_read_tokens * r.s_cr)"""
_DAILY_SQL = f"""
    SELECT u.start, r.cloud, {_PRICED_SUMS},
           SUM(u.prompt_tokens * r.v_in + u.completion_tokens * r.v_out), SUM(u.prompt_tokens * r.v_cache)
    FROM usage_daily u JOIN temp.figure_rates r ON r.kind = 'd' AND r.id = u.dim AND r.band = u.band
    WHERE u.start >= :ds AND u.start < :until GROUP BY u.start, r.cloud"""
_HOURLY_SQL = f"""
    SELECT u.start, r.cloud, {_PRICED_SUMS},
           SUM(u.comparable_prompt_tokens * r.v_in + u.comparable_completion_tokens * r.v_out),
           SUM(u.cacheable_prompt_tokens * r.v_cache)
    FROM usage_hourly u JOIN temp.figure_rates r ON r.kind = 'h' AND r.id = u.skey AND r.band = u.band
    WHERE u.start >= :ds AND u.start < :until GROUP BY u.start, r.cloud"""
_LATENCY_SQL = "SELECT route, kind, metric, counts FROM latency_daily WHERE day >= :ds AND day < :until"
_RATES_TABLE = """
    CREATE TEMP TABLE IF NOT EXISTS figure_rates (
        kind TEXT, id INTEGER, band INTEGER, cloud INTEGER,
        s_in REAL, s_out REAL, s_cw REAL, s_cr REAL, v_in REAL, v_out REAL, v_cache REAL,
        PRIMARY KEY (kind, id, band))"""

_SpendRates = tuple[float, float, float, float]  # input, output, cache write, cache read (USD per token)
_NO_SPEND: _SpendRates = (0.0, 0.0, 0.0, 0.0)


class _Pricer:
    """Per-token rates for spend and savings, looked up once per (provider, model, band)."""

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
        """(input, output, cache-read discount) per token on the reference model; None without a token price.

        The discount is what :data:`CACHE_READ_SHARE` of a prompt token saves by being a cache read.
        """
        if band not in self._ref:
            ref = self.reference
            if ref is None or ref.billing == "plan":
                self._ref[band] = None
            else:
                r, _ = ref.rates_for(0, band)
                self._ref[band] = (r.input / PER_MILLION, r.output / PER_MILLION,
                                   CACHE_READ_SHARE * (r.input - r.cache_read) / PER_MILLION)
        return self._ref[band]

    def row(self, route: str, provider: str, model: str, band: int, comparable: bool,
            cacheable: bool) -> tuple[int, float, float, float, float, float, float, float]:
        """One ``figure_rates`` row: (cloud, s_in, s_out, s_cw, s_cr, v_in, v_out, v_cache)."""
        if route == "cloud":
            rates = self.spend_rates(provider, model, band)
            return (1, *(rates if isinstance(rates, tuple) else _NO_SPEND), 0.0, 0.0, 0.0)
        ref = self.reference_rates(band) if comparable else None
        if ref is None:
            return (0, *_NO_SPEND, 0.0, 0.0, 0.0)
        return (0, *_NO_SPEND, ref[0], ref[1], ref[2] if cacheable else 0.0)


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
    groups: list[tuple[Any, ...]] = []
    daily: list[tuple[Any, ...]] = []
    hourly: list[tuple[Any, ...]] = []
    latency: list[tuple[Any, ...]] = []
    params = {"ds": period.since_ts, "until": period.until_ts}
    if Path(ledger_path).exists():
        try:
            with contextlib.closing(_reader(Path(ledger_path))) as conn:
                dims = {row[0]: tuple(row[1:]) for row in conn.execute(
                    f"SELECT id, {', '.join(DIM_COLUMNS)} FROM usage_dims")}
                keys = {row[0]: tuple(row[1:]) for row in conn.execute(
                    f"SELECT id, {', '.join(SERIES_COLUMNS)} FROM series_keys")}
                groups = [(*dims[dim], band, *sums) for dim, band, *sums in conn.execute(_GROUPS_SQL, params)]
                _load_rates(conn, pricer, dims, keys)
                daily = conn.execute(_DAILY_SQL, params).fetchall()
                hourly = conn.execute(_HOURLY_SQL, params).fetchall()
                latency = conn.execute(_LATENCY_SQL, params).fetchall()
        except (sqlite3.Error, KeyError, ValueError, TypeError) as exc:
            log.warning("figures: ledger unreadable (%s)", exc)
            warnings.append(f"The usage database could not be read ({exc}); figures are empty.")
            groups, daily, hourly, latency = [], [], [], []
    figures = _aggregate(period, clock(), groups, pricer, ref_model, ref_provider, warnings)
    figures.latency = _latency(latency)
    figures.daily = _series(daily)
    figures.hourly = _series(hourly)
    return figures


def _load_rates(conn: sqlite3.Connection, pricer: _Pricer, dims: dict[int, tuple[Any, ...]],
                keys: dict[int, tuple[Any, ...]]) -> None:
    rows = []
    for dim_id, (route, kind, _client, provider, model, _first, _cause) in dims.items():
        for band in BANDS:
            rows.append(("d", dim_id, band, *pricer.row(route, provider, model, band,
                                                         kind not in NOT_COMPARABLE_KINDS, kind in CACHEABLE_KINDS)))
    for key_id, (route, provider, model) in keys.items():
        for band in BANDS:
            # Hourly sums already hold only comparable and cacheable tokens in their own columns.
            rows.append(("h", key_id, band, *pricer.row(route, provider, model, band, True, True)))
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(_RATES_TABLE)
    conn.execute("DELETE FROM temp.figure_rates")
    conn.executemany(f"INSERT INTO temp.figure_rates VALUES ({', '.join('?' * 11)})", rows)


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
            ref_rates = None if kind in NOT_COMPARABLE_KINDS else pricer.reference_rates(band)
            if ref_rates is None:
                savings.excluded_requests += n
            else:
                row_list = prompt * ref_rates[0] + completion * ref_rates[1]
                row_cached = row_list - (prompt * ref_rates[2] if kind in CACHEABLE_KINDS else 0.0)
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


def percentile(histogram: list[int], q: float) -> float | None:
    """Nearest-rank percentile from a dense latency histogram (index = bucket)."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for bucket, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(len(histogram) - 1)


def _latency(rows: Iterable[tuple[Any, ...]]) -> list[LatencyFigures]:
    hists: dict[tuple[str, str], dict[str, list[int]]] = {}
    for route, kind, metric, counts in rows:
        for key in ((route, kind), (route, "all")):
            add_histogram(hists.setdefault(key, {"ttft": [], "total": []}).setdefault(metric, []), counts)
    out = []
    for (route, kind), h in sorted(hists.items(), key=lambda item: (item[0][0], item[0][1] == "all", item[0][1])):
        count = max(sum(h["ttft"]), sum(h["total"]))
        out.append(LatencyFigures(
            route=route, kind=kind, count=count,
            ttft_p50_ms=percentile(h["ttft"], 0.5), ttft_p95_ms=percentile(h["ttft"], 0.95),
            total_p50_ms=percentile(h["total"], 0.5), total_p95_ms=percentile(h["total"], 0.95),
        ))
    return out


def _series(rows: Iterable[tuple[Any, ...]]) -> list[SeriesPoint]:
    """Points from priced (start, cloud, requests, tokens, spend, saved list, cache discount) rows."""
    points: dict[int, SeriesPoint] = {}
    for start, cloud, n, tokens, spent, listed, discount in rows:
        p = points.get(start)
        if p is None:
            p = points[start] = SeriesPoint(start=datetime.fromtimestamp(start))
        if cloud:
            p.cloud_requests += n
            p.cloud_tokens += tokens
            p.spend_usd += spent or 0.0
        else:
            p.local_requests += n
            p.local_tokens += tokens
            p.saved_list_usd += listed or 0.0
            p.saved_cache_adjusted_usd += (listed or 0.0) - (discount or 0.0)
    return [points[k] for k in sorted(points)]

