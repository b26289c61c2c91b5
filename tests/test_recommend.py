"""Model recommendation: the pair per VRAM tier (models.md §4) and the headroom rule.

The pair is checked against an independent re-computation of the fit formula from the
catalog's raw numbers, so a bug in ``fit_bytes`` cannot hide a pair that does not fit.

Where our pair differs from models.md §4 it is always the autocomplete model, and always
smaller: that table's totals count the chat model alone, and its autocomplete choices at
4, 12, 16 and 24 GB would break "chat + autocomplete <= 0.9 x VRAM".
"""

from __future__ import annotations

import json

import pytest

from hybridcoder.catalog import CatalogModel, load_catalog
from hybridcoder.hardware.profile import GpuInfo, HardwareProfile
from hybridcoder.recommend import fit_bytes, recommend_models

GIB = 1024**3
MIB = 1024**2

#: models.md §4 chat / edit column per tier.
TABLE_CHAT = {
    4: {"qwen2.5-coder:3b"},
    6: {"qwen2.5-coder:3b", "qwen2.5-coder:7b"},
    8: {"qwen2.5-coder:7b"},
    12: {"qwen2.5-coder:7b-instruct-q8_0", "qwen2.5-coder:14b"},
    16: {"qwen2.5-coder:14b", "deepseek-coder-v2:16b"},
    24: {"qwen3-coder:30b", "qwen2.5-coder:32b"},
    48: {"qwen2.5-coder:32b-instruct-q8_0", "qwen3-coder:30b-a3b-q8_0"},
}

#: (VRAM GB or None for CPU-only) → (chat, chat context, autocomplete)
EXPECTED = {
    None: ("qwen2.5-coder:1.5b", 8192, "qwen2.5-coder:0.5b-base"),
    4: ("qwen2.5-coder:3b", 8192, "qwen2.5-coder:0.5b-base"),         # table: 1.5b-base (pair 4.1 > 3.6)
    6: ("qwen2.5-coder:3b", 16384, "qwen2.5-coder:1.5b-base-q8_0"),   # as the table
    8: ("qwen2.5-coder:7b", 8192, "qwen2.5-coder:1.5b-base"),         # as the table
    12: ("qwen2.5-coder:7b-instruct-q8_0", 8192, "qwen2.5-coder:1.5b-base-q8_0"),  # table: 3b-base
    16: ("qwen2.5-coder:14b", 16384, "qwen2.5-coder:3b-base"),        # table: 7b-base
    24: ("qwen3-coder:30b", 8192, "qwen2.5-coder:3b-base"),           # table: 7b-base
    48: ("qwen2.5-coder:32b-instruct-q8_0", 16384, "qwen2.5-coder:7b-base"),  # as the table
}


def independent_fit(model: CatalogModel, context: int) -> int:
    """models.md §4: manifest bytes + 2 x layers x kv_heads x head_dim x ctx x 2 (f16) + 0.5 GiB."""
    ctx = min(context, model.native_context)
    return model.download_bytes + 2 * model.layers * model.kv_heads * model.head_dim * ctx * 2 + 512 * MIB


def machine(vram_gb: float | None, ram_gb: float = 16) -> HardwareProfile:
    if vram_gb is None:
        return HardwareProfile.described(ram_gb=ram_gb, gpu="none")
    return HardwareProfile.described(vram_gb=vram_gb, ram_gb=ram_gb, gpu="nvidia")


@pytest.mark.parametrize("vram_gb", list(EXPECTED), ids=lambda v: "cpu" if v is None else f"{v}GB")
def test_recommended_pair_per_tier_fits_what_it_was_chosen_for(vram_gb: int | None) -> None:
    rec = recommend_models(machine(vram_gb))
    chat_tag, chat_ctx, ac_tag = EXPECTED[vram_gb]
    assert rec.chat is not None and rec.autocomplete is not None
    assert (rec.chat.tag, rec.chat.context, rec.autocomplete.tag) == (chat_tag, chat_ctx, ac_tag)
    assert rec.autocomplete.context == 4096
    assert rec.autocomplete.model.is_base and rec.autocomplete.model.has_role("autocomplete")
    assert rec.autocomplete.model.params_b < rec.chat.model.params_b
    pair = independent_fit(rec.chat.model, rec.chat.context) + independent_fit(
        rec.autocomplete.model, rec.autocomplete.context)
    assert rec.pair_bytes == pair
    if vram_gb is None:
        assert rec.budget.on_cpu
        budget = int(16 * GIB * 0.65)
        assert pair <= 0.9 * budget
        assert any("CPU" in w and "slower" in w for w in rec.warnings)
    else:
        assert rec.budget.kind == "vram" and rec.fits
        assert pair <= 0.9 * vram_gb * GIB
        assert rec.chat.tag in TABLE_CHAT[vram_gb]


def test_cpu_only_chat_is_the_table_choice_on_any_amount_of_ram() -> None:
    for ram in (8, 16, 64):
        rec = recommend_models(machine(None, ram_gb=ram))
        assert rec.chat is not None and rec.chat.tag == "qwen2.5-coder:1.5b"
        assert rec.chat.model.quant == "q4_K_M" and rec.chat.context == 8192


def test_reasons_read_like_a_person_wrote_them() -> None:
    rec = recommend_models(machine(8))
    text = " ".join(rec.reasons)
    assert "7B Q4 with 8K context" in text and "fits fully in 8 GB of VRAM" in text
    assert "qwen2.5-coder:7b-instruct-q8_0" in text  # the stronger model that did not fit, and why
    assert "90%" in rec.reasons[0]


def test_a_stronger_gpu_never_gets_a_weaker_chat_model() -> None:
    order = load_catalog().policy.chat_preference
    previous = len(order)
    for half_gb in range(6, 2 * 96):
        rec = recommend_models(machine(half_gb / 2, ram_gb=128))
        assert rec.chat is not None and rec.fits
        assert rec.pair_bytes <= 0.9 * (half_gb / 2) * GIB
        rank = order.index(rec.chat.tag)
        assert rank <= previous, f"{half_gb / 2} GB chose {rec.chat.tag}"
        previous = rank


def test_a_real_8_gb_card_reporting_a_little_less_still_gets_the_7b() -> None:
    gpu = GpuInfo("nvidia", "NVIDIA GeForce RTX 4060", 8188 * MIB, free_bytes=7900 * MIB, source="nvml")
    profile = HardwareProfile("Linux", "x86_64", 8, 16, 32 * GIB, 24 * GIB, gpus=(gpu,))
    rec = recommend_models(profile)
    assert rec.chat is not None and rec.chat.tag == "qwen2.5-coder:7b"
    assert not any("free right now" in w for w in rec.warnings)


def test_busy_gpu_gets_a_warning() -> None:
    gpu = GpuInfo("nvidia", "NVIDIA GeForce RTX 3070", 8 * GIB, free_bytes=3 * GIB, source="nvml")
    profile = HardwareProfile("Linux", "x86_64", 8, 16, 32 * GIB, 24 * GIB, gpus=(gpu,))
    assert any("free right now" in w for w in recommend_models(profile).warnings)


def test_small_gpu_falls_back_to_cpu_with_the_reason() -> None:
    rec = recommend_models(machine(2))
    assert rec.budget.on_cpu and "too little" in rec.budget.cpu_reason
    assert rec.chat is not None and rec.chat.tag == "qwen2.5-coder:1.5b"


def test_apple_unified_memory() -> None:
    rec = recommend_models(HardwareProfile.described(ram_gb=16, gpu="apple"))
    assert rec.budget.kind == "unified" and rec.fits
    assert rec.chat is not None and "unified memory" in rec.chat.reason
    assert rec.pair_bytes <= 0.9 * 16 * GIB * 0.74


def test_tiny_machines() -> None:
    alone = recommend_models(machine(None, ram_gb=3))
    assert alone.chat is not None and alone.autocomplete is None and alone.fits
    assert any("separate autocomplete" in w for w in alone.warnings)
    nothing = recommend_models(machine(None, ram_gb=1))
    assert nothing.chat is None and not nothing.fits
    assert any("cloud" in w for w in nothing.warnings)
    assert nothing.summary().startswith("No local model fits")


def test_non_production_licences_are_flagged_and_can_be_excluded() -> None:
    rec = recommend_models(machine(4))
    assert rec.chat is not None and rec.chat.model.non_production
    [warning] = [w for w in rec.warnings if "licence" in w]
    assert "for work, use qwen2.5-coder:1.5b instead" in warning
    safe = recommend_models(machine(4), allow_non_production=False)
    for choice in (safe.chat, safe.autocomplete, *safe.alternatives):
        assert choice is not None and not choice.model.non_production
    assert not any("licence" in w for w in safe.warnings)


def test_prefer_a_tag_or_a_family() -> None:
    rec = recommend_models(machine(16), prefer="deepseek-coder-v2:16b")
    assert rec.chat is not None and rec.chat.tag == "deepseek-coder-v2:16b"
    rec = recommend_models(machine(16), prefer="starcoder2")
    assert rec.autocomplete is not None and rec.autocomplete.model.family == "starcoder2"
    too_big = recommend_models(machine(8), prefer="qwen2.5-coder:32b")
    assert too_big.chat is not None and too_big.chat.tag == "qwen2.5-coder:7b"
    assert any("does not fit" in r for r in too_big.reasons)
    unknown = recommend_models(machine(8), prefer="gpt-local:1b")
    assert any("not in the model catalog" in w for w in unknown.warnings)


def test_alternatives_also_fit() -> None:
    rec = recommend_models(machine(24))
    tags = {a.tag for a in rec.alternatives}
    assert {"qwen2.5-coder:32b", "devstral:24b"} <= tags  # models.md §4: 32b @4K, devstral for agents
    for alt in rec.alternatives:
        partner = alt.paired_with
        other = rec.autocomplete if alt.role != "autocomplete" else rec.chat
        assert other is not None
        partner_bytes = other.memory_bytes
        if alt.role != "autocomplete" and partner and partner != other.tag:
            model = load_catalog()[partner]
            partner_bytes = fit_bytes(model, 4096)
        assert alt.memory_bytes + partner_bytes <= rec.budget.limit_bytes, alt.tag
    thirty_two = next(a for a in rec.alternatives if a.tag == "qwen2.5-coder:32b")
    assert thirty_two.context == 4096 and "4K context only" in thirty_two.reason


def test_json_is_complete_and_serialisable() -> None:
    data = json.loads(json.dumps(recommend_models(machine(12)).as_json()))
    assert data["chat"]["tag"] == "qwen2.5-coder:7b-instruct-q8_0"
    assert data["autocomplete"]["context"] == 4096
    assert data["pair_bytes"] <= data["budget"]["limit_bytes"] and data["fits"]
    assert data["budget"]["kind"] == "vram" and data["headroom_rule"].startswith("chat + autocomplete <= 0.9")
    assert data["reasons"] and data["alternatives"] and data["described_machine"]


def test_fit_bytes_formula() -> None:
    seven = load_catalog()["qwen2.5-coder:7b"]
    assert fit_bytes(seven, 8192) == 4_680_000_000 + 448 * MIB + 512 * MIB
