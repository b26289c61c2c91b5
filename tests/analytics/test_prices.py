"""Prices: hand-computed costs for cache reads and writes, the higher tiers, unknown and plan-billed
models, aliases, and the user's overrides from settings.toml."""

from __future__ import annotations

import json

import pytest

from hybridcoder.analytics import PriceTable, cost
from hybridcoder.ledger import RequestRecord
from hybridcoder.paths import app_paths
from hybridcoder.proxy.backends.base import Usage
from hybridcoder.settings import Settings


def usage(prompt: int, completion: int, read: int = 0, write: int = 0) -> Usage:
    return Usage(prompt_tokens=prompt, completion_tokens=completion, cache_read_tokens=read,
                 cache_write_tokens=write)


def test_sonnet_with_cache_reads_and_writes() -> None:
    # 10,000 prompt tokens = 2,000 uncached + 2,000 written to cache + 6,000 read from cache.
    # 2,000 × $2 + 1,000 × $10 + 2,000 × $2.50 + 6,000 × $0.10 per million = $0.0196
    c = cost("claude-sonnet-5-5", usage(10_000, 1_000, read=6_000, write=2_000))
    assert c is not None and c.billing == "per_token" and c.tier == "standard"
    assert (c.input_usd, c.output_usd, c.cache_write_usd, c.cache_read_usd) == pytest.approx(
        (0.004, 0.01, 0.005, 0.0006))
    assert c.usd == pytest.approx(0.0196)


def test_haiku_above_100k_prices_the_whole_request_at_the_higher_band() -> None:
    # 120,000 prompt tokens (100,000 cache reads): every token at the >100K band, output included.
    # 20,000 × $0.50 + 100,000 × $0.05 + 2,000 × $2.50 per million = $0.02
    above = cost("claude-haiku-5-5", usage(120_000, 2_000, read=100_000))
    assert above is not None and above.tier == "above_100k"
    assert above.usd == pytest.approx(0.02)
    # Exactly 100,000 is not above: 100,000 × $0.10 + 1,000 × $0.50 per million = $0.0105
    edge = cost("claude-haiku-5-5", usage(100_000, 1_000))
    assert edge is not None and edge.tier == "standard"
    assert edge.usd == pytest.approx(0.0105)


def test_openai_long_context_tier_and_cached_input() -> None:
    # gpt-6-sol above 272K input: 100,000 × $4 + 200,000 cached × $0.40 + 1,000 × $15 per million = $0.495
    c = cost("gpt-6-sol", usage(300_000, 1_000, read=200_000))
    assert c is not None and c.tier == "above_272k"
    assert c.usd == pytest.approx(0.495)
    # Below the threshold: 50,000 × $2 + 50,000 × $0.20 + 1,000 × $10 per million = $0.12
    below = cost("gpt-6-sol", usage(100_000, 1_000, read=50_000))
    assert below is not None and below.usd == pytest.approx(0.12)


def test_unknown_model_is_flagged_not_free() -> None:
    assert cost("claude-mystery-9", usage(1_000, 100)) is None
    assert PriceTable.load().lookup("llama-99b") is None


def test_ollama_cloud_is_plan_usage_without_dollars() -> None:
    table = PriceTable.load()
    c = table.cost("qwen3-coder:480b-cloud", usage(5_000, 500))
    assert c is not None and c.billing == "plan" and c.usd == 0.0
    by_provider = table.lookup("gpt-oss:120b", provider="ollama-cloud")
    assert by_provider is not None and by_provider.billing == "plan"


def test_aliases_dated_ids_and_provider_prefixes() -> None:
    table = PriceTable.load()
    for name in ("claude-sonnet-4-5-20250929", "anthropic/claude-sonnet-5-5", "CLAUDE-SONNET-5-5",
                 "claude-mythos-5-2", "claude-opus-4-6"):
        assert table.lookup(name) is not None, name
    mythos = table.lookup("claude-mythos-5-2")
    assert mythos is not None and mythos.model == "claude-fable-5-2"


def test_every_shipped_row_has_a_source_and_a_date() -> None:
    table = PriceTable.load()
    assert not table.warnings
    assert len(table.models()) >= 25
    for model in table.models():
        price = table.lookup(model)
        assert price is not None and price.source and price.date, model
        assert price.rates.input > 0 and price.rates.output > 0, model


def test_overrides_from_the_settings_file() -> None:
    app_paths().settings_file.parent.mkdir(parents=True, exist_ok=True)
    app_paths().settings_file.write_text(
        '[prices."my-gateway-model"]\ninput = 1.0\noutput = 4.0\ncache_read = 0.5\n\n'
        '[prices."claude-haiku-5-5"]\ninput = 0.2\nabove_input = 0.9\n\n'
        '[prices."broken-row"]\noutput = 3.0\n',
        encoding="utf-8",
    )
    table = PriceTable.load(Settings.load())
    # New model: 1,000 × $1 + 1,000 × $4 + cache reads 2,000 × $0.50 per million (writes default to input).
    mine = table.cost("my-gateway-model", usage(3_000, 1_000, read=2_000))
    assert mine is not None and mine.usd == pytest.approx(0.001 + 0.004 + 0.001)
    # Override of a shipped row: only the given rates change.
    haiku = table.lookup("claude-haiku-5-5")
    assert haiku is not None and haiku.rates.input == 0.2 and haiku.rates.output == 0.5
    assert haiku.above is not None and haiku.above.input == 0.9 and haiku.above.output == 2.5
    assert "settings" in haiku.source
    # A row without an input price is reported, never priced at $0.
    assert table.lookup("broken-row") is None
    assert any("broken-row" in w for w in table.warnings)


def test_a_ledger_record_prices_like_the_proxy_usage() -> None:
    record = RequestRecord(kind="chat", route="cloud", model="claude-sonnet-5-5", prompt_tokens=10_000,
                           completion_tokens=1_000, cache_read_tokens=6_000, cache_write_tokens=2_000)
    by_record = cost(record.model, record)
    assert by_record is not None and by_record.usd == pytest.approx(0.0196)


def test_a_litellm_format_file_in_the_config_folder() -> None:
    folder = app_paths().config_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "litellm_prices.json").write_text(json.dumps({
        "sample_spec": {"input_cost_per_token": 0, "output_cost_per_token": 0},
        "my-llm-5": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                     "cache_read_input_token_cost": 3e-07, "input_cost_per_token_above_200k_tokens": 6e-06,
                     "output_cost_per_token_above_200k_tokens": 2.25e-05, "litellm_provider": "anthropic"},
        "claude-sonnet-5-5": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
        "embedding-only": {"input_cost_per_token": 1e-07},
    }), encoding="utf-8")
    table = PriceTable.load()
    mine = table.lookup("my-llm-5")
    assert mine is not None and (mine.rates.input, mine.rates.output, mine.rates.cache_read) == (3.0, 15.0, 0.3)
    assert mine.tier_threshold == 200_000 and mine.above is not None and mine.above.output == 22.5
    # 250,000 prompt tokens are above 200K: 250,000 × $6 + 1,000 × $22.50 per M = $1.5225
    c = table.cost("my-llm-5", usage(250_000, 1_000))
    assert c is not None and c.usd == pytest.approx(1.5225)
    sonnet = table.lookup("claude-sonnet-5-5")
    assert sonnet is not None and sonnet.rates.input == 2.5 and sonnet.rates.cache_read == 0.10
    assert table.lookup("embedding-only") is None
    (folder / "litellm_prices.json").write_text("[not json", encoding="utf-8")
    broken = PriceTable.load()
    assert any("litellm_prices.json" in w for w in broken.warnings)
    assert broken.lookup("claude-sonnet-5-5") is not None
