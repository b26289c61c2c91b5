"""What the setup wizard's hardware page shows: the machine in four facts, the memory the chosen
pair takes (weights, context cache, runtime, headroom), alternatives that fit, and the models that
do not fit with the reason.

Everything here is worked out from :func:`hybridcoder.recommend.recommend_models` and the catalog
(the same numbers ``hybridcoder models recommend`` prints); a widget only draws it. Pure
computation apart from the hardware scan in :func:`machine_overview` when no profile is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hybridcoder.catalog import Catalog, CatalogModel, load_catalog
from hybridcoder.hardware.profile import HardwareProfile
from hybridcoder.recommend import ModelChoice, Recommendation, fit_bytes, format_gb, recommend_models

__all__ = ["MachineFacts", "MachineOverview", "MemoryBar", "ModelOption", "machine_overview"]

#: The page lists the closest misses, not the whole catalog.
MAX_TOO_BIG = 10


@dataclass(frozen=True)
class MachineFacts:
    """GPU, VRAM, RAM and free disk as one short line each ("unknown" where a probe could not tell)."""

    gpu: str
    vram: str
    ram: str
    disk_free: str
    #: Where the models will run and how much memory they may use (the recommender's words).
    runs_on: str


@dataclass(frozen=True)
class MemoryBar:
    """How the chosen pair fills the usable memory; the parts add up to ``usable_bytes``."""

    weights_bytes: int
    cache_bytes: int
    runtime_bytes: int
    #: Left free: the 10 % the headroom rule keeps back plus whatever the pair does not use.
    headroom_bytes: int
    usable_bytes: int
    limit_bytes: int

    def parts(self) -> list[tuple[str, int]]:
        return [("Model weights", self.weights_bytes), ("Context cache", self.cache_bytes),
                ("Runtime", self.runtime_bytes), ("Headroom", self.headroom_bytes)]

    def describe(self) -> str:
        used = self.weights_bytes + self.cache_bytes + self.runtime_bytes
        return (f"{format_gb(used)} of {format_gb(self.usable_bytes)}: weights {format_gb(self.weights_bytes)}, "
                f"context cache {format_gb(self.cache_bytes)}, runtime {format_gb(self.runtime_bytes)}, "
                f"{format_gb(self.headroom_bytes)} left free")


@dataclass(frozen=True)
class ModelOption:
    """One model the page lists: recommended, an alternative that fits, or one that does not fit."""

    tag: str
    role: str
    context: int
    memory_bytes: int
    fits: bool
    recommended: bool
    reason: str
    #: For an alternative chat model: the autocomplete model it pairs with.
    paired_with: str | None = None
    #: The parts of ``memory_bytes`` (the rest is the runtime's own overhead).
    weights_bytes: int = 0
    cache_bytes: int = 0


@dataclass(frozen=True)
class MachineOverview:
    profile: HardwareProfile
    recommendation: Recommendation
    facts: MachineFacts
    bar: MemoryBar | None
    options: tuple[ModelOption, ...]

    @property
    def recommended(self) -> list[ModelOption]:
        return [o for o in self.options if o.recommended]

    @property
    def alternatives(self) -> list[ModelOption]:
        return [o for o in self.options if o.fits and not o.recommended]

    @property
    def too_big(self) -> list[ModelOption]:
        return [o for o in self.options if not o.fits]

    def bar_for(self, chat: str | None, autocomplete: str | None) -> MemoryBar | None:
        """The memory bar for the pair the person ticked (the same parts as :attr:`bar`)."""
        def find(tag: str | None, role: str) -> ModelOption | None:
            return next((o for o in self.options if o.fits and o.tag == tag
                         and ("chat" if o.role == "agent" else o.role) == role), None)

        chosen = [o for o in (find(chat, "chat"), find(autocomplete, "autocomplete")) if o is not None]
        if not chosen:
            return None
        if len(chosen) == 2 and chosen[0].tag == chosen[1].tag:
            chosen = chosen[:1]  # one model serves both roles: loaded once
        weights = sum(o.weights_bytes for o in chosen)
        cache = sum(o.cache_bytes for o in chosen)
        runtime = sum(o.memory_bytes for o in chosen) - weights - cache
        budget = self.recommendation.budget
        return MemoryBar(weights, cache, runtime, max(0, budget.usable_bytes - weights - cache - runtime),
                         budget.usable_bytes, budget.limit_bytes)


def _facts(profile: HardwareProfile, recommendation: Recommendation) -> MachineFacts:
    gpu = profile.best_gpu
    if gpu is not None:
        gpu_text, vram = gpu.name, format_gb(gpu.total_bytes) + (" (shared with the CPU)" if gpu.unified_memory else "")
    elif profile.gpus:
        first = profile.gpus[0]
        gpu_text, vram = f"{first.name} (not usable: {first.unusable_reason or 'unsupported'})", "none usable"
    else:
        gpu_text, vram = "No GPU found — models run on the CPU", "none"
    ram = format_gb(profile.ram_total_bytes) if profile.ram_total_bytes else "unknown"
    if profile.ram_available_bytes:
        ram += f" ({format_gb(profile.ram_available_bytes)} available)"
    disk = format_gb(profile.disk_free_bytes) if profile.disk_free_bytes is not None else "unknown"
    return MachineFacts(gpu_text, vram, ram, disk, recommendation.budget.description)


def _bar(recommendation: Recommendation, catalog: Catalog) -> MemoryBar | None:
    chosen = [c for c in (recommendation.chat, recommendation.autocomplete) if c is not None]
    if not chosen:
        return None
    weights = sum(c.model.download_bytes for c in chosen)
    cache = sum(c.model.kv_cache_bytes(c.context) for c in chosen)
    runtime = sum(c.memory_bytes for c in chosen) - weights - cache
    usable = recommendation.budget.usable_bytes
    return MemoryBar(weights, cache, runtime, max(0, usable - weights - cache - runtime), usable,
                     recommendation.budget.limit_bytes)


def _option(choice: ModelChoice, recommended: bool) -> ModelOption:
    return ModelOption(choice.tag, choice.role, choice.context, choice.memory_bytes, True, recommended,
                       choice.reason, choice.paired_with, choice.model.download_bytes,
                       choice.model.kv_cache_bytes(choice.context))


def _why_not(model: CatalogModel, role: str, recommendation: Recommendation, catalog: Catalog) -> ModelOption | None:
    """A model that does not fit, with the reason; None when it would fit (it is simply not preferred)."""
    policy = catalog.policy
    budget = recommendation.budget
    context = min(policy.chat_min_context if role == "chat" else policy.autocomplete_context, model.native_context)
    need = fit_bytes(model, context, overhead_bytes=policy.overhead_bytes)

    def no(reason: str) -> ModelOption:
        return ModelOption(model.tag, role, context, need, False, False, reason)

    if budget.on_cpu and model.quant not in policy.cpu_quants:
        return no("Too slow without a GPU: on the CPU only 4-bit (Q4) models are offered.")
    if budget.on_cpu and role == "chat" and model.params_b > policy.cpu_max_chat_params_b:
        return no(f"Too slow without a GPU: on the CPU chat models stay at {policy.cpu_max_chat_params_b:g}B or "
                  "smaller.")
    if role == "autocomplete" and model.params_b > policy.autocomplete_max_params_b:
        return no(f"Too big for autocomplete: completions must arrive within a keystroke (at most "
                  f"{policy.autocomplete_max_params_b:g}B).")
    partner = recommendation.autocomplete if role == "chat" else recommendation.chat
    partner_bytes = partner.memory_bytes if partner is not None else 0
    if need + partner_bytes <= budget.limit_bytes:
        return None
    beside = f" beside {partner.tag}" if partner is not None else ""
    return no(f"Needs {format_gb(need)}{beside}; together more than the {format_gb(budget.limit_bytes)} that fit "
              "with headroom.")


def _headline(model: CatalogModel) -> bool:
    """The default quantisation of each size (``qwen2.5-coder:7b``), not every ``-q8_0`` variant."""
    return re.search(r"-(q\d|fp16|f16)", model.tag.split(":", 1)[-1]) is None


def machine_overview(profile: HardwareProfile | None = None, *, catalog: Catalog | None = None) -> MachineOverview:
    """Scan this machine (or use ``profile``) and describe the recommendation for the wizard."""
    if profile is None:
        from hybridcoder.hardware.scan import scan_hardware

        profile = scan_hardware()
    catalog = catalog or load_catalog()
    recommendation = recommend_models(profile, catalog=catalog)
    options: list[ModelOption] = [_option(c, True) for c in (recommendation.chat, recommendation.autocomplete)
                                  if c is not None]
    options += [_option(c, False) for c in recommendation.alternatives]
    shown = {(o.tag, o.role) for o in options}
    too_big: list[ModelOption] = []
    for model in catalog.models:
        role = "chat" if model.has_role("chat") else "autocomplete" if model.has_role("autocomplete") else ""
        if not role or not _headline(model) or (model.tag, role) in shown or any(o.tag == model.tag for o in options):
            continue
        option = _why_not(model, role, recommendation, catalog)
        if option is not None:
            too_big.append(option)
    options += sorted(too_big, key=lambda o: (o.role != "chat", o.memory_bytes))[:MAX_TOO_BIG]
    return MachineOverview(profile, recommendation, _facts(profile, recommendation), _bar(recommendation, catalog),
                           tuple(options))
