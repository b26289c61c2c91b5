"""compute_figures: hand-computed spend and savings over mixed providers, shares, breakdowns, latency,
fallbacks and escalations, series and periods — read back from a real ledger."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hybridcoder.analytics import compute_figures
from hybridcoder.ledger import RequestRecord
from hybridcoder.settings import Settings
from tests.ledger.helpers import at, rec, write

NOW = datetime.now().replace(hour=15, minute=30, second=0, microsecond=0)


def clock() -> datetime:
    return NOW


def today(minutes: int = 0) -> float:
    return at(NOW - timedelta(minutes=minutes))


def mixed_day() -> list[RequestRecord]:
    """One day of traffic over every kind of pricing (costs worked out in the comments)."""
    return [
        # Anthropic Sonnet 5.5 with cache: 2,000×$2 + 1,000×$10 + 2,000×$2.50 + 6,000×$0.10 per M = $0.0196
        rec("cloud", kind="chat", prompt_tokens=10_000, completion_tokens=1_000, cache_read_tokens=6_000,
            cache_write_tokens=2_000, client="continue", ts=today(1)),
        # Haiku 5.5 above 100K: 20,000×$0.50 + 100,000×$0.05 + 2,000×$2.50 per M = $0.02
        rec("cloud", kind="agent", model="claude-haiku-5-5", prompt_tokens=120_000, completion_tokens=2_000,
            cache_read_tokens=100_000, client="cline", first_choice="local", fallback_cause="local_ttft_timeout",
            ts=today(2)),
        # OpenAI gpt-6-sol above 272K: 100,000×$4 + 200,000×$0.40 + 1,000×$15 per M = $0.495
        rec("cloud", kind="chat", model="gpt-6-sol", provider="openai", prompt_tokens=300_000,
            completion_tokens=1_000, cache_read_tokens=200_000, client="aider", first_choice="local",
            fallback_cause="client_retry", ts=today(3)),
        # Ollama Cloud: plan usage, no dollars.
        rec("cloud", kind="chat", model="qwen3-coder:480b-cloud", provider="ollama-cloud", prompt_tokens=5_000,
            completion_tokens=500, client="continue", ts=today(4)),
        # No price known: flagged, never $0.
        rec("cloud", kind="chat", model="claude-mystery-9", prompt_tokens=1_000, completion_tokens=100,
            client="continue", ts=today(5)),
        # Local chat priced on Sonnet 5.5: list 20,000×$2 + 600×$10 per M = $0.046;
        # cache-adjusted 4,000×$2 + 16,000×$0.10 + 600×$10 per M = $0.0156
        rec("local", kind="chat", prompt_tokens=20_000, completion_tokens=600, client="continue",
            ttft_ms=200.0, total_ms=2_000.0, ts=today(6)),
        # Local autocomplete: no cache discount; 1,000×$2 + 40×$10 per M = $0.0024 both ways
        rec("local", kind="autocomplete", model="qwen2.5-coder:1.5b-base", prompt_tokens=1_000,
            completion_tokens=40, client="continue", ttft_ms=80.0, total_ms=150.0, ts=today(7)),
        # Local embedding: not something a chat model would have answered; left out of savings.
        rec("local", kind="embed", model="nomic-embed-text", prompt_tokens=500, completion_tokens=0,
            client="continue", first_choice="cloud", fallback_cause="budget_exhausted", ts=today(8)),
    ]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "usage.sqlite3"
    write(path, *mixed_day())
    return path


def test_spend_and_savings_by_hand(ledger: Path) -> None:
    f = compute_figures(ledger, Settings(), "today", now=clock)
    assert f.requests == 8
    assert f.spend.usd == pytest.approx(0.0196 + 0.02 + 0.495)
    assert f.spend.cache_read_usd == pytest.approx(0.0006 + 0.005 + 0.08)
    assert f.spend.cache_write_usd == pytest.approx(0.005)
    assert f.spend.priced_requests == 3
    assert (f.spend.unpriced_requests, f.spend.unpriced_models) == (1, ["claude-mystery-9"])
    assert (f.spend.plan_requests, f.spend.plan_tokens, f.spend.plan_models) == (1, 5_500, ["qwen3-coder:480b-cloud"])
    assert not f.spend.complete
    assert any("claude-mystery-9" in w for w in f.warnings)
    s = f.savings
    assert (s.reference_model, s.reference_provider) == ("claude-sonnet-5-5", "anthropic")
    assert s.list_price_usd == pytest.approx(0.046 + 0.0024)
    assert s.cache_adjusted_usd == pytest.approx(0.0156 + 0.0024)
    assert (s.counted_requests, s.excluded_requests) == (2, 1)
    assert "list price" in s.list_label and "cache-adjusted" in s.cache_label and "80%" in s.assumption


def test_savings_on_a_tiered_reference_model(ledger: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.sqlite3"
    # 150,000 prompt tokens on Haiku 5.5 are above 100K: 150,000×$0.50 + 1,000×$2.50 per M = $0.0775;
    # cache-adjusted: 30,000×$0.50 + 120,000×$0.05 + 1,000×$2.50 per M = $0.0235
    write(path, rec("local", kind="agent", prompt_tokens=150_000, completion_tokens=1_000, ts=today()))
    f = compute_figures(path, Settings(), "today", reference=("claude-haiku-5-5", "anthropic"), now=clock)
    assert f.savings.list_price_usd == pytest.approx(0.0775)
    assert f.savings.cache_adjusted_usd == pytest.approx(0.0235)


def test_savings_follow_the_configured_cloud_provider(ledger: Path) -> None:
    settings = Settings()
    settings.cloud.provider = "openai"
    settings.cloud.openai_model = "gpt-5.2"
    f = compute_figures(ledger, settings, "today", now=clock)
    # gpt-5.2: chat 20,000×$1.75 + 600×$14 = $0.0434; autocomplete 1,000×$1.75 + 40×$14 = $0.00231
    assert f.savings.list_price_usd == pytest.approx(0.0434 + 0.00231)
    settings.cloud.provider = "ollama-cloud"
    plan = compute_figures(ledger, settings, "today", now=clock)
    assert plan.savings.list_price_usd is None and "plan" in plan.savings.note


def test_shares_breakdowns_and_causes(ledger: Path) -> None:
    f = compute_figures(ledger, Settings(), "today", now=clock)
    local, cloud = f.route("local"), f.route("cloud")
    assert (local.requests, cloud.requests) == (3, 5)
    assert local.request_share == pytest.approx(3 / 8)
    cloud_tokens = 11_000 + 122_000 + 301_000 + 5_500 + 1_100
    local_tokens = 20_600 + 1_040 + 500
    assert (cloud.tokens, local.tokens) == (cloud_tokens, local_tokens)
    assert cloud.token_share == pytest.approx(cloud_tokens / (cloud_tokens + local_tokens))
    clients = {g.name: g for g in f.breakdown["client"]}
    assert clients["aider"].spend_usd == pytest.approx(0.495)
    assert clients["continue"].requests == 6
    kinds = {g.name: g for g in f.breakdown["kind"]}
    assert kinds["chat"].saved_list_usd == pytest.approx(0.046)
    models = {g.name: g for g in f.breakdown["model"]}
    assert models["claude-haiku-5-5"].spend_usd == pytest.approx(0.02)
    assert f.fallbacks.by_cause == {"local_ttft_timeout": 1, "budget_exhausted": 1}
    assert f.fallbacks.by_direction == {"local→cloud": 1, "cloud→local": 1}
    assert (f.escalations.count, f.escalations.by_cause) == (1, {"client_retry": 1})


def test_series_add_up_to_the_totals(ledger: Path) -> None:
    f = compute_figures(ledger, Settings(), "today", now=clock)
    (day,) = f.daily
    assert day.start == datetime(NOW.year, NOW.month, NOW.day)
    assert (day.local_requests, day.cloud_requests) == (3, 5)
    assert day.spend_usd == pytest.approx(f.spend.usd)
    assert day.saved_list_usd == pytest.approx(0.0484)
    assert day.saved_cache_adjusted_usd == pytest.approx(0.018)
    assert sum(p.cloud_requests + p.local_requests for p in f.hourly) == 8
    assert sum(p.spend_usd for p in f.hourly) == pytest.approx(f.spend.usd)
    assert sum(p.saved_cache_adjusted_usd for p in f.hourly) == pytest.approx(0.018)
    assert all(p.start.minute == 0 for p in f.hourly)


def test_latency_percentiles(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    write(path, *[rec("local", ttft_ms=float(ms), total_ms=float(ms) * 10, ts=today())
                  for ms in range(10, 1_010, 10)])  # 10, 20, ..., 1000 ms
    f = compute_figures(path, Settings(), "today", now=clock)
    chat = next(item for item in f.latency if (item.route, item.kind) == ("local", "chat"))
    assert chat.count == 100
    assert chat.ttft_p50_ms == pytest.approx(500, rel=0.025)
    assert chat.ttft_p95_ms == pytest.approx(950, rel=0.025)
    assert chat.total_p95_ms == pytest.approx(9_500, rel=0.025)
    assert any(item.kind == "all" for item in f.latency)


def test_periods_select_the_right_days(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    write(path, rec("cloud", prompt_tokens=1_000_000, ts=at(NOW - timedelta(days=10))),
          rec("cloud", prompt_tokens=1_000_000, ts=at(NOW - timedelta(days=1))),
          rec("cloud", prompt_tokens=1_000_000, ts=today()))
    settings = Settings()
    counts = {word: compute_figures(path, settings, word, now=clock).requests
              for word in ("today", "yesterday", "7d", "30d")}
    assert counts == {"today": 1, "yesterday": 2, "7d": 2, "30d": 3}
    assert compute_figures(path, settings, "yesterday", "yesterday", now=clock).requests == 1
    day = (NOW - timedelta(days=10)).strftime("%Y-%m-%d")
    custom = compute_figures(path, settings, day, day, now=clock)
    assert custom.requests == 1 and custom.spend.usd == pytest.approx(2.0)  # 1M input tokens × $2


def test_json_and_rows_carry_the_same_figures(ledger: Path) -> None:
    f = compute_figures(ledger, Settings(), "today", now=clock)
    data = json.loads(json.dumps(f.as_json()))
    assert data["spend"]["usd"] == pytest.approx(0.5346)
    assert data["savings"]["cache_adjusted_usd"] == pytest.approx(0.018)
    assert data["shares"]["requests"] == {"cloud": 0.625, "local": 0.375}
    rows = {(section, group, metric): value for section, group, metric, value in f.as_rows()}
    assert rows[("spend", "", "usd")] == pytest.approx(0.5346)
    assert rows[("by_client", "aider", "spend_usd")] == pytest.approx(0.495)


def test_missing_or_damaged_ledger_gives_empty_figures(tmp_path: Path) -> None:
    empty = compute_figures(tmp_path / "none.sqlite3", Settings(), "30d", now=clock)
    assert empty.requests == 0 and empty.spend.usd == 0 and empty.savings.list_price_usd == 0
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 1000)
    damaged = compute_figures(broken, Settings(), "30d", now=clock)
    assert damaged.requests == 0 and any("could not be read" in w for w in damaged.warnings)
    assert broken.read_bytes() == b"garbage" * 1000  # reading never moves or rewrites a file
