"""The sample ledger behind the screenshots: plausible, deterministic, written through the real ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

from hybridcoder.analytics import compute_figures
from hybridcoder.ledger.sample import build_sample_ledger, sample_records
from hybridcoder.paths import app_paths
from hybridcoder.settings import Settings

NOW = datetime(2026, 12, 4, 16, 0)


def test_sample_traffic_is_deterministic_and_never_in_the_future() -> None:
    first = list(sample_records(days=14, now=NOW))
    again = list(sample_records(days=14, now=NOW))
    assert [(r.ts, r.kind, r.route, r.prompt_tokens) for r in first] == [
        (r.ts, r.kind, r.route, r.prompt_tokens) for r in again]
    assert all(r.ts < NOW.timestamp() for r in first)
    assert min(r.ts for r in first) >= (NOW - timedelta(days=14)).timestamp()
    assert {r.kind for r in first} == {"autocomplete", "chat", "edit", "agent"}
    assert any(r.fallback_cause for r in first)


def test_sample_ledger_gives_figures_like_a_real_user() -> None:
    ledger = app_paths().ledger_file
    written = build_sample_ledger(ledger, days=14)
    figures = compute_figures(ledger, Settings(), "30d")
    assert figures.requests == written > 500
    local = figures.route("local")
    assert 0.6 < local.request_share < 0.95  # most requests stay local, the hard ones go to the cloud
    assert figures.spend.usd > 0 and (figures.savings.list_price_usd or 0) > 0
    assert {item.route for item in figures.latency} == {"local", "cloud"}
