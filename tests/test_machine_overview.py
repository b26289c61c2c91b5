"""The wizard's hardware page numbers, without Qt: facts, the memory bar, alternatives and misses."""

from __future__ import annotations

import dataclasses

from hybridcoder.hardware.profile import GIB, HardwareProfile
from hybridcoder.machine_overview import MAX_TOO_BIG, machine_overview
from hybridcoder.recommend import recommend_models


def test_an_8_gb_gpu_shows_the_recommended_pair_and_the_bar_adds_up() -> None:
    described = HardwareProfile.described(vram_gb=8, gpu="nvidia", ram_gb=32)
    profile = dataclasses.replace(described, disk_free_bytes=100 * GIB)
    overview = machine_overview(profile)
    recommendation = recommend_models(profile)
    assert recommendation.chat is not None and recommendation.autocomplete is not None
    assert [o.tag for o in overview.recommended] == [recommendation.chat.tag, recommendation.autocomplete.tag]
    assert (overview.facts.vram, overview.facts.disk_free) == ("8 GB", "100 GB")
    bar = overview.bar
    assert bar is not None
    assert sum(size for _, size in bar.parts()) == bar.usable_bytes == 8 * GIB
    assert bar.weights_bytes == recommendation.chat.model.download_bytes + recommendation.autocomplete.model.download_bytes
    assert bar.weights_bytes + bar.cache_bytes + bar.runtime_bytes == recommendation.pair_bytes
    assert bar.headroom_bytes >= bar.usable_bytes - bar.limit_bytes  # at least the 10 % kept back
    assert {o.tag for o in overview.alternatives} == {a.tag for a in recommendation.alternatives}


def test_models_that_do_not_fit_say_why() -> None:
    overview = machine_overview(HardwareProfile.described(vram_gb=8, gpu="nvidia", ram_gb=32))
    misses = overview.too_big
    assert 0 < len(misses) <= MAX_TOO_BIG and not any(o.fits for o in misses)
    by_tag = {o.tag: o for o in misses}
    assert "qwen2.5-coder:14b" in by_tag and "more than the 7.2 GB" in by_tag["qwen2.5-coder:14b"].reason
    assert all("-q8_0" not in o.tag for o in misses)  # one line per model size, not per quantisation
    shown = [o.tag for o in overview.options]
    assert len(shown) == len(set(shown))


def test_a_cpu_only_machine_explains_the_speed_limit() -> None:
    overview = machine_overview(HardwareProfile.described(ram_gb=16, gpu="none"))
    assert overview.facts.vram == "none" and "CPU" in overview.facts.gpu
    reasons = {o.tag: o.reason for o in overview.too_big}
    assert "Too slow without a GPU" in reasons["qwen2.5-coder:7b"]
    assert overview.recommendation.warnings


def test_nothing_fits_gives_no_bar() -> None:
    overview = machine_overview(HardwareProfile.described(ram_gb=0.5, gpu="none"))
    assert overview.bar is None and not overview.recommended


def test_the_bar_follows_the_ticked_pair() -> None:
    overview = machine_overview(HardwareProfile.described(vram_gb=8, gpu="nvidia", ram_gb=32))
    chat, auto = overview.recommended
    assert overview.bar_for(chat.tag, auto.tag) == overview.bar
    smaller = next(o for o in overview.alternatives if o.role == "chat")
    bar = overview.bar_for(smaller.tag, auto.tag)
    assert bar is not None and overview.bar is not None
    assert bar.weights_bytes < overview.bar.weights_bytes
    assert sum(size for _, size in bar.parts()) == bar.usable_bytes
    shared = overview.bar_for(chat.tag, None)
    assert shared is not None and shared.weights_bytes == chat.weights_bytes  # one model, loaded once
    assert overview.bar_for("not-in-the-list:1b", None) is None
