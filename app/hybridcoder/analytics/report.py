"""What the figures look like: plain dataclasses, with ``as_json()`` and ``as_rows()`` (CSV).

The dashboard reads the attributes, ``hybridcoder stats --json`` prints ``as_json()`` and
``--csv`` prints ``as_rows()``, so every surface shows the same numbers. Computing them is
``figures.py``'s job; this module never reads the ledger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from hybridcoder.analytics.periods import Period

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
