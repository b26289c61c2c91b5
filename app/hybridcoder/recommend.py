"""Pick the local model pair for a machine: a chat model and an autocomplete (FIM) model.

The memory a model needs is ``fit_bytes`` = weights (the download size) + KV cache for
the configured context (2 x layers x kv_heads x head_dim x context x 2 bytes, f16) +
0.5 GiB runtime overhead (models.md §2, §4). The chat and autocomplete models stay
loaded together, so the *pair* must fit:

    headroom rule:  fit(chat) + fit(autocomplete) <= 0.9 x budget

where the budget is the best usable GPU's VRAM, an Apple GPU's working set, or on a
CPU-only machine 65 % of available RAM. The 10 % left over covers the desktop's own use
of the GPU and the estimate's error (Jan's "green" rule). A GPU under 3 GiB, an
integrated GPU or one Ollama cannot use means CPU-only, with a speed warning.

Choosing, with the preference lists from ``resources/models.toml`` (best first):
1. chat: the first model that fits at 8K context with the smallest autocomplete model;
2. autocomplete: the first base model that fits beside it, always smaller than the chat
   model (completions must come back in a few hundred ms) and at most 8B;
3. chat context then grows 8K → 16K → 32K while the pair still fits.
On a CPU the lists are cut to Q4 models and chat models of at most 2B, and the chat
context stays at 8K: CPU speed, not memory, is the limit there. The result matches the
chat column of the table in models.md §4 at every tier; the autocomplete model is
smaller than that table's where the table's pair would break the headroom rule (its
totals count the chat model alone).

This module is pure computation: no I/O besides reading the catalog file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hybridcoder.catalog import Catalog, CatalogModel, RecommendPolicy, load_catalog
from hybridcoder.hardware.profile import GIB, GpuInfo, HardwareProfile

__all__ = [
    "DEFAULT_OVERHEAD_BYTES",
    "Budget",
    "ModelChoice",
    "Recommendation",
    "fit_bytes",
    "format_gb",
    "memory_budget",
    "recommend_models",
]

DEFAULT_OVERHEAD_BYTES = GIB // 2

_QUANT_BITS = {"q2_K": 2.6, "q3_K_M": 3.9, "q4_0": 4.5, "q4_K_M": 4.8, "q5_K_M": 5.7, "q6_K": 6.6,
               "q8_0": 8.5, "f16": 16.0, "fp16": 16.0}


def fit_bytes(
    model: CatalogModel,
    context: int,
    *,
    overhead_bytes: int = DEFAULT_OVERHEAD_BYTES,
    bytes_per_element: float = 2.0,
) -> int:
    """Memory to keep ``model`` loaded with ``context`` tokens: weights + KV cache + overhead."""
    return model.download_bytes + model.kv_cache_bytes(context, bytes_per_element) + overhead_bytes


def format_gb(count: int | float) -> str:
    """Bytes as "5.3 GB", counting 1 GB = 1 GiB like VRAM does (an "8 GB" card holds 8 GiB)."""
    value = count / GIB
    text = f"{value:.1f}"
    return f"{text[:-2] if text.endswith('.0') else text} GB"


def _context_label(context: int) -> str:
    return f"{context // 1024}K" if context % 1024 == 0 else str(context)


def _size_label(model: CatalogModel) -> str:
    """``7B Q4`` from the tag's size part (what people call the model), else from params."""
    match = re.search(r":(\d+(?:\.\d+)?)b", model.tag)
    size = match.group(1) if match else f"{model.params_b:.1f}".rstrip("0").rstrip(".")
    quant = model.quant.upper().split("_")[0]
    return f"{size}B {quant}"


@dataclass(frozen=True)
class Budget:
    """The memory the local models may use, and where it lives."""

    #: "vram" (discrete GPU), "unified" (Apple GPU working set) or "ram" (CPU only).
    kind: str
    #: Memory models may use before headroom: VRAM, Metal working set, or the RAM share.
    usable_bytes: int
    #: The pair must fit under this: headroom x usable_bytes.
    limit_bytes: int
    headroom: float
    gpu: GpuInfo | None
    #: Human description: "8 GB of VRAM on NVIDIA GeForce RTX 3070".
    description: str
    #: Why models run on the CPU although a GPU exists (empty otherwise).
    cpu_reason: str = ""

    @property
    def on_cpu(self) -> bool:
        return self.kind == "ram"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "usable_bytes": self.usable_bytes,
            "limit_bytes": self.limit_bytes,
            "headroom": self.headroom,
            "gpu": self.gpu.name if self.gpu else None,
            "description": self.description,
            "cpu_reason": self.cpu_reason or None,
        }


def memory_budget(profile: HardwareProfile, policy: RecommendPolicy | None = None) -> Budget:
    """Decide where models run and how much memory they may use (the headroom rule's input)."""
    policy = policy or load_catalog().policy
    gpu = profile.best_gpu
    cpu_reason = ""
    if gpu is not None and gpu.total_bytes >= policy.min_gpu_bytes:
        usable = gpu.total_bytes
        if gpu.unified_memory:
            description = f"{format_gb(usable)} of unified memory usable by the GPU ({gpu.name})"
            kind = "unified"
        else:
            description = f"{format_gb(usable)} of VRAM on {gpu.name}"
            kind = "vram"
        return Budget(kind, usable, int(usable * policy.headroom), policy.headroom, gpu, description)
    if gpu is not None:
        cpu_reason = (f"{gpu.name} has only {format_gb(gpu.total_bytes)} of memory, too little for a coder "
                      f"model (at least {format_gb(policy.min_gpu_bytes)})")
    else:
        unusable = [g for g in profile.gpus if not g.usable]
        if unusable:
            cpu_reason = f"{unusable[0].name}: {unusable[0].unusable_reason}"
    available = profile.ram_available_bytes or profile.ram_total_bytes
    usable = int(available * policy.cpu_ram_share)
    description = (f"{format_gb(usable)} of system RAM ({policy.cpu_ram_share:.0%} of "
                   f"{format_gb(available)} available)")
    return Budget("ram", usable, int(usable * policy.headroom), policy.headroom, None, description, cpu_reason)


@dataclass(frozen=True)
class ModelChoice:
    """A model for one role, at one context, with the memory it needs and why it was picked."""

    model: CatalogModel
    role: str
    context: int
    memory_bytes: int
    reason: str
    #: For alternatives: the autocomplete model this chat model would be paired with.
    paired_with: str | None = None

    @property
    def tag(self) -> str:
        return self.model.tag

    def as_json(self) -> dict[str, Any]:
        return {
            "tag": self.model.tag,
            "role": self.role,
            "context": self.context,
            "memory_bytes": self.memory_bytes,
            "download_bytes": self.model.download_bytes,
            "params_b": self.model.params_b,
            "quant": self.model.quant,
            "licence": self.model.licence,
            "non_production": self.model.non_production,
            "reason": self.reason,
            "paired_with": self.paired_with,
        }


@dataclass(frozen=True)
class Recommendation:
    """The chat + autocomplete pair for a machine, alternatives, and the reasons in words."""

    budget: Budget
    chat: ModelChoice | None
    autocomplete: ModelChoice | None
    alternatives: tuple[ModelChoice, ...] = ()
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    catalog_date: str = ""
    profile_described: bool = False

    @property
    def pair_bytes(self) -> int:
        return sum(c.memory_bytes for c in (self.chat, self.autocomplete) if c is not None)

    @property
    def fits(self) -> bool:
        """True when the chosen models fit the budget with headroom (always, unless nothing fits)."""
        return self.chat is not None and self.pair_bytes <= self.budget.limit_bytes

    @property
    def download_bytes(self) -> int:
        return sum(c.model.download_bytes for c in (self.chat, self.autocomplete) if c is not None)

    def summary(self) -> str:
        """One line: ``chat qwen2.5-coder:7b (8K) + autocomplete qwen2.5-coder:1.5b-base (4K), 6.8 GB``."""
        if self.chat is None:
            return "No local model fits this machine; use the cloud model only."
        text = f"chat {self.chat.tag} ({_context_label(self.chat.context)})"
        if self.autocomplete is not None:
            text += f" + autocomplete {self.autocomplete.tag} ({_context_label(self.autocomplete.context)})"
        return f"{text}, {format_gb(self.pair_bytes)} of {format_gb(self.budget.limit_bytes)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "chat": self.chat.as_json() if self.chat else None,
            "autocomplete": self.autocomplete.as_json() if self.autocomplete else None,
            "pair_bytes": self.pair_bytes,
            "download_bytes": self.download_bytes,
            "fits": self.fits,
            "budget": self.budget.as_json(),
            "headroom_rule": (f"chat + autocomplete <= {self.budget.headroom:g} x usable memory "
                              f"({format_gb(self.budget.limit_bytes)})"),
            "alternatives": [a.as_json() for a in self.alternatives],
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "described_machine": self.profile_described,
            "catalog_date": self.catalog_date,
        }


class _Planner:
    """The choosing steps from the module docstring, over one catalog and one budget."""

    def __init__(self, catalog: Catalog, budget: Budget, allow_non_production: bool) -> None:
        self.catalog = catalog
        self.policy = catalog.policy
        self.budget = budget
        self.allow_non_production = allow_non_production

    def fit(self, model: CatalogModel, context: int) -> int:
        return fit_bytes(model, context, overhead_bytes=self.policy.overhead_bytes)

    def chat_context(self, model: CatalogModel) -> int:
        return min(self.policy.chat_min_context, model.native_context)

    def ac_context(self, model: CatalogModel) -> int:
        return min(self.policy.autocomplete_context, model.native_context)

    def allowed(self, model: CatalogModel, role: str) -> bool:
        if model.non_production and not self.allow_non_production:
            return False
        if self.budget.on_cpu:
            if model.quant not in self.policy.cpu_quants:
                return False
            if role == "chat" and model.params_b > self.policy.cpu_max_chat_params_b:
                return False
        if role == "autocomplete" and model.params_b > self.policy.autocomplete_max_params_b:
            return False
        return model.has_role(role)

    def candidates(self, role: str, prefer: str | None) -> list[CatalogModel]:
        names = self.policy.chat_preference if role == "chat" else self.policy.autocomplete_preference
        ranked = [self.catalog[t] for t in names]
        if prefer:
            wanted = self.catalog.get(prefer)
            if wanted is not None:
                front = [wanted] if wanted.has_role(role) else []
            else:
                front = sorted(
                    (m for m in self.catalog.models if m.family == prefer.lower() and m.has_role(role)),
                    key=lambda m: (m.params_b, _QUANT_BITS.get(m.quant, 4.5)), reverse=True,
                )
            ranked = front + [m for m in ranked if m not in front]
        return [m for m in ranked if self.allowed(m, role)]

    def autocomplete_for(self, chat: CatalogModel, ac_list: list[CatalogModel]) -> list[CatalogModel]:
        return [m for m in ac_list if m.params_b < chat.params_b and m is not chat]

    def grow_context(self, chat: CatalogModel, ac_bytes: int) -> int:
        context = self.chat_context(chat)
        for step in self.policy.chat_context_steps:
            step = min(step, chat.native_context)
            if self.budget.on_cpu and step > self.policy.cpu_max_chat_context:
                break
            if step > context and self.fit(chat, step) + ac_bytes <= self.budget.limit_bytes:
                context = step
        return context


@dataclass(frozen=True)
class _Pick:
    """What the choosing steps found, plus the next-better candidates that did not fit."""

    chat: CatalogModel | None = None
    autocomplete: CatalogModel | None = None
    #: (model, pair bytes) of the chat / autocomplete model ranked just above the chosen one.
    missed_chat: tuple[CatalogModel, int] | None = None
    missed_autocomplete: tuple[CatalogModel, int] | None = None


def _pick(plan: _Planner, chat_list: list[CatalogModel], ac_list: list[CatalogModel]) -> _Pick:
    """Steps 1 and 2 of the module docstring; a chat model alone when no pair fits."""
    limit = plan.budget.limit_bytes
    missed_chat: tuple[CatalogModel, int] | None = None
    for candidate in chat_list:
        chat_bytes = plan.fit(candidate, plan.chat_context(candidate))
        acs = plan.autocomplete_for(candidate, ac_list)
        smallest = min((plan.fit(a, plan.ac_context(a)) for a in acs), default=None)
        if smallest is None or chat_bytes + smallest > limit:
            missed_chat = (candidate, chat_bytes + (smallest or 0))
            continue
        missed_ac: tuple[CatalogModel, int] | None = None
        for ac in acs:
            pair = chat_bytes + plan.fit(ac, plan.ac_context(ac))
            if pair <= limit:
                return _Pick(candidate, ac, missed_chat, missed_ac)
            missed_ac = (ac, pair)
    for candidate in chat_list:  # no pair fits: one chat model alone is still worth having
        if plan.fit(candidate, plan.chat_context(candidate)) <= limit:
            return _Pick(candidate)
    return _Pick()


def recommend_models(
    profile: HardwareProfile,
    *,
    prefer: str | None = None,
    allow_non_production: bool = True,
    catalog: Catalog | None = None,
) -> Recommendation:
    """The chat and autocomplete models for ``profile`` (see the module docstring for the rules).

    ``prefer`` is a tag or a family (``"starcoder2"``): it goes first when it fits; the
    reasons say when it does not. ``allow_non_production=False`` skips models whose
    licence forbids commercial use (Codestral's MNPL, the 3B Qwen research licence).
    """
    catalog = catalog or load_catalog()
    budget = memory_budget(profile, catalog.policy)
    plan = _Planner(catalog, budget, allow_non_production)
    limit = budget.limit_bytes
    chat_list = plan.candidates("chat", prefer)
    ac_list = plan.candidates("autocomplete", prefer)
    pick = _pick(plan, chat_list, ac_list)
    reasons = [f"Budget: {budget.description}. Both models stay loaded, so together they must fit in "
               f"{budget.headroom:.0%} of it ({format_gb(limit)})."]
    warnings: list[str] = []
    if budget.on_cpu:
        why = f"{budget.cpu_reason}. " if budget.cpu_reason else "No usable GPU was found. "
        warnings.append(why + "Models will run on the CPU: replies are much slower than on a GPU (a few to a "
                              "few dozen tokens per second), so small models are chosen and the cloud model "
                              "will do more of the work.")
    if pick.chat is None:
        warnings.append(f"No local coder model fits in {format_gb(limit)}; Hybrid Coder will send everything "
                        "to the cloud model.")
        return Recommendation(budget, None, None, (), tuple(reasons), tuple(warnings), catalog.date,
                              profile.is_described)
    if pick.autocomplete is None:
        warnings.append("There is not enough memory for a separate autocomplete model next to the chat "
                        "model; autocomplete will use the cloud or stay off.")

    ac_choice = _autocomplete_choice(plan, pick.autocomplete) if pick.autocomplete else None
    ac_bytes = ac_choice.memory_bytes if ac_choice else 0
    chat_choice = _chat_choice(plan, pick.chat, ac_bytes, paired=ac_choice is not None)
    reasons.append(f"Chat: {chat_choice.tag}: {chat_choice.reason}")
    if pick.missed_chat is not None:
        model, need = pick.missed_chat
        reasons.append(f"A stronger chat model, {model.tag}, would need {format_gb(need)} with the smallest "
                       f"autocomplete model, more than {format_gb(limit)}.")
    if ac_choice is not None:
        reasons.append(f"Autocomplete: {ac_choice.tag}: {ac_choice.reason}")
        if pick.missed_autocomplete is not None:
            model, need = pick.missed_autocomplete
            reasons.append(f"The larger autocomplete model {model.tag} would bring the pair to "
                           f"{format_gb(need)}, over the {format_gb(limit)} limit.")
    if prefer:
        _explain_preference(catalog, prefer, pick, reasons, warnings)
    flagged = [c for c in (chat_choice, ac_choice) if c is not None and c.model.non_production]
    if flagged and allow_non_production:
        safe = recommend_models(profile, prefer=prefer, allow_non_production=False, catalog=catalog)
        for choice in flagged:
            swap = safe.chat if choice.role == "chat" else safe.autocomplete
            instead = f"; for work, use {swap.tag} instead" if swap is not None else ""
            warnings.append(f"{choice.tag} is under the {choice.model.licence} licence, which does not allow "
                            f"commercial use{instead}.")
    gpu = budget.gpu
    pair_bytes = chat_choice.memory_bytes + ac_bytes
    if gpu is not None and gpu.free_bytes is not None and gpu.free_bytes < pair_bytes:
        warnings.append(f"Only {format_gb(gpu.free_bytes)} of {gpu.name}'s memory is free right now; other "
                        "programs use the rest. Close them, or Ollama will run part of the model on the CPU.")
    if budget.on_cpu and 0 < profile.ram_total_bytes < 8 * GIB:
        warnings.append(f"This machine has {format_gb(profile.ram_total_bytes)} of RAM; local models will "
                        "compete with your editor for memory.")
    alternatives = _alternatives(plan, chat_choice, ac_choice, chat_list, ac_list)
    return Recommendation(budget, chat_choice, ac_choice, alternatives, tuple(reasons), tuple(warnings),
                          catalog.date, profile.is_described)


def _autocomplete_choice(plan: _Planner, model: CatalogModel) -> ModelChoice:
    context = plan.ac_context(model)
    need = plan.fit(model, context)
    return ModelChoice(
        model, "autocomplete", context, need,
        f"{_size_label(model)} base model for fill-in-the-middle at {_context_label(context)} context needs "
        f"{format_gb(need)}; base models complete code instead of chatting, and a model smaller than the "
        "chat model answers within a keystroke.",
    )


def _chat_choice(plan: _Planner, model: CatalogModel, ac_bytes: int, *, paired: bool) -> ModelChoice:
    """Step 3: the chat model at the largest context that still fits beside the autocomplete model."""
    budget = plan.budget
    context = plan.grow_context(model, ac_bytes)
    need = plan.fit(model, context)
    if budget.kind == "unified":
        where = f"in {format_gb(budget.usable_bytes)} of unified memory"
    elif budget.on_cpu:
        where = f"in the {format_gb(budget.usable_bytes)} of RAM set aside for models"
    else:
        where = f"fully in {format_gb(budget.usable_bytes)} of VRAM"
    both = (f"; with the autocomplete model the pair needs {format_gb(need + ac_bytes)} and fits {where}"
            if paired else f" and fits {where}")
    return ModelChoice(model, "chat", context, need,
                       f"{_size_label(model)} with {_context_label(context)} context needs {format_gb(need)}{both}.")


def _explain_preference(catalog: Catalog, prefer: str, pick: _Pick, reasons: list[str],
                        warnings: list[str]) -> None:
    wanted = prefer.strip().lower()
    if catalog.get(wanted) is None and not any(m.family == wanted for m in catalog.models):
        warnings.append(f"'{prefer}' is not in the model catalog, so the usual preference order was used.")
        return
    chosen = {n.lower() for m in (pick.chat, pick.autocomplete) if m is not None
              for n in (m.tag, m.family, *m.aliases)}
    if wanted not in chosen:
        reasons.append(f"Your preference '{prefer}' does not fit this machine's budget (or its licence was "
                       "excluded), so the usual order was used.")


def _alternatives(
    plan: _Planner,
    chat: ModelChoice,
    autocomplete: ModelChoice | None,
    chat_list: list[CatalogModel],
    ac_list: list[CatalogModel],
) -> tuple[ModelChoice, ...]:
    """Other models that also fit: listed chat models and other families, at their best context."""
    limit = plan.budget.limit_bytes
    others = [m for m in plan.catalog.models if m.family != "qwen2.5-coder"]
    out: list[ModelChoice] = []
    seen = {chat.model.tag, autocomplete.model.tag if autocomplete else ""}
    ac_bytes = autocomplete.memory_bytes if autocomplete else 0
    smallest_ac = min(ac_list, key=lambda m: plan.fit(m, plan.ac_context(m)), default=None)
    rank = chat_list.index(chat.model) if chat.model in chat_list else len(chat_list)
    # Stronger models that fit with a compromise, the next weaker (faster) one, other families.
    chat_options = [*chat_list[:rank], *chat_list[rank + 1:rank + 2], *others]
    for model in chat_options:
        if model.tag in seen or not plan.allowed(model, "chat"):
            continue
        seen.add(model.tag)
        faster = model in chat_list[rank + 1:rank + 2]
        pairs: list[tuple[CatalogModel | None, int]] = [(autocomplete.model if autocomplete else None, ac_bytes)]
        if smallest_ac is not None and autocomplete is not None and smallest_ac is not autocomplete.model:
            pairs.append((smallest_ac, plan.fit(smallest_ac, plan.ac_context(smallest_ac))))
        for partner, partner_bytes in pairs:
            if partner is not None and partner.params_b >= model.params_b:
                continue
            context = _best_context(plan, model, limit - partner_bytes)
            if context is None:
                continue
            need = plan.fit(model, context)
            detail = "4K context only: short conversations" if context < plan.policy.chat_min_context else ""
            role = "agent" if model.has_role("agent") and not model.has_role("autocomplete") and \
                model.family == "devstral" else "chat"
            parts = [f"{_size_label(model)} with {_context_label(context)} context needs {format_gb(need)}"]
            if partner is not None and (autocomplete is None or partner is not autocomplete.model):
                parts.append(f"with {partner.tag} for autocomplete")
            if detail:
                parts.append(detail)
            if role == "agent":
                parts.append("built for coding agents (tool use)")
            if faster:
                parts.append("smaller and faster")
            if model.non_production:
                parts.append(f"{model.licence} licence: not for commercial use")
            out.append(ModelChoice(model, role, context, need, "; ".join(parts) + ".",
                                   partner.tag if partner else None))
            break
    for model in [*ac_list, *(m for m in others if plan.allowed(m, "autocomplete"))]:
        if model.tag in seen or model.params_b >= chat.model.params_b:
            continue
        seen.add(model.tag)
        context = plan.ac_context(model)
        need = plan.fit(model, context)
        if need + chat.memory_bytes > limit:
            continue
        note = f"{_size_label(model)} fill-in-the-middle at {_context_label(context)} needs {format_gb(need)}"
        if model.non_production:
            note += f"; {model.licence} licence: not for commercial use"
        out.append(ModelChoice(model, "autocomplete", context, need, note + ".", chat.model.tag))
    return tuple(out)


def _best_context(plan: _Planner, model: CatalogModel, room: int) -> int | None:
    """The largest configured context (down to 4K) at which ``model`` fits in ``room`` bytes."""
    steps = sorted({min(s, model.native_context) for s in (4096, *plan.policy.chat_context_steps)}, reverse=True)
    for context in steps:
        if plan.fit(model, context) <= room:
            return context
    return None
