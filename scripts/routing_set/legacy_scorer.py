"""The scorer as it shipped before issue 11 (kept only so scripts/eval_router.py can compare against it).

Frozen copy of app/hybridcoder/routing/scorer.py at the commit before issue 11, with its weights
(scripts/routing_set/legacy_weights.json, fitted on the train split of the first generator). Not used
by the app. Original docstring follows.

The learned scorer: logistic regression over request features, weights loaded from data.

``P(cloud needed) = sigmoid(bias + sum(w_i * x_i) + offset)`` where ``x`` is
:func:`feature_vector` (a few dozen numbers derived from :class:`Features` and the
local context window) and ``offset`` is this user's learned adjustment. The
weights live in ``resources/routing_weights.json`` (fitted offline by
``scripts/train_router.py`` on the training split of ``tests/data/routing/``) with
their source and date, so they change without code changing.

Why logistic regression: it is transparent (each feature's contribution
``w_i * x_i`` is the reason the decision gives), it runs in a few microseconds in
pure Python, and it is calibrated enough for a slider to move its threshold.

This module never touches the network, never imports numpy, and never raises on
the request path: a missing or broken weights file means "use the rules".
"""

from __future__ import annotations

import json
import logging
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridcoder.routing.decision import RoutingContext
from hybridcoder.routing.features import Features

log = logging.getLogger(__name__)

WEIGHTS_FILE = "routing_weights.json"

#: Which reason code a feature's contribution stands for (cloud side, local side).
FEATURE_REASONS: dict[str, tuple[str, str]] = {
    "kind_agent": ("agent_tools", "agent_tools"),
    "kind_edit": ("edit_request", "single_file_edit"),
    "kind_chat": ("chat_request", "routine_chat"),
    "log_tokens": ("large_prompt", "short_prompt"),
    "context_ratio": ("context_overflow", "short_prompt"),
    "over_window": ("context_overflow", "short_prompt"),
    "log_files": ("many_files", "few_files"),
    "files_3plus": ("many_files", "few_files"),
    "log_rules": ("long_rules", "few_rules"),
    "rules_over_15": ("long_rules", "few_rules"),
    "log_turns": ("deep_conversation", "deep_conversation"),
    "log_tools": ("agent_tools", "agent_tools"),
    "log_tool_messages": ("tool_history", "tool_history"),
    "log_requirements": ("many_requirements", "few_requirements"),
    "local_words": ("routine_task", "routine_task"),
    "cloud_words": ("cloud_words", "cloud_words"),
    "ambiguous_words": ("ambiguous", "specific_request"),
    "niche": ("niche_framework", "niche_framework"),
    "short_instruction": ("ambiguous", "short_prompt"),
    "vague": ("ambiguous", "specific_request"),
    "routine_single": ("routine_task", "routine_task"),
    "identifiers": ("specific_request", "specific_request"),
    "log_code_blocks": ("many_files", "few_files"),
    "images": ("images", "images"),
    "log_words": ("long_instruction", "short_prompt"),
    "log_clauses": ("many_requirements", "few_requirements"),
}


#: The names of :func:`feature_values`, in order (the keys of the weights file).
FEATURE_NAMES: tuple[str, ...] = (
    "kind_agent",
    "kind_edit",
    "kind_chat",
    "log_tokens",
    "context_ratio",
    "over_window",
    "log_files",
    "files_3plus",
    "log_rules",
    "rules_over_15",
    "log_turns",
    "log_tools",
    "log_tool_messages",
    "log_requirements",
    "local_words",
    "cloud_words",
    "ambiguous_words",
    "niche",
    "short_instruction",
    "vague",
    "routine_single",
    "identifiers",
    "log_code_blocks",
    "images",
    "log_words",
    "log_clauses",
)


def feature_values(f: Features, context: RoutingContext) -> tuple[float, ...]:
    """The model's inputs, in :data:`FEATURE_NAMES` order: bounded, mostly log-scaled, so no
    single feature explodes. A tuple, not a dict: this runs on every routed request."""
    log1p = math.log1p
    window = max(context.local_context, 1)
    ratio = f.prompt_tokens / window
    short = 1.0 if 0 < f.instruction_words < 12 else 0.0
    # A short instruction with no routine-task word and nothing concrete to point at
    # ("make it better", "fix the bug") leaves the model to guess what is meant.
    vague = short if not f.local_words and not f.identifiers else 0.0
    # One routine task on at most one file, no agent loop running: answerable in one reply.
    routine_single = 1.0 if f.local_words and f.files <= 1 and not f.tool_messages else 0.0
    return (
        1.0 if f.kind == "agent" else 0.0,  # kind_agent
        1.0 if f.kind == "edit" else 0.0,  # kind_edit
        1.0 if f.kind == "chat" else 0.0,  # kind_chat
        log1p(f.prompt_tokens) / 10.0,  # log_tokens
        min(ratio, 2.0),  # context_ratio
        1.0 if ratio > 0.85 else 0.0,  # over_window
        log1p(f.files),  # log_files
        1.0 if f.files >= 3 else 0.0,  # files_3plus
        log1p(f.rules),  # log_rules
        1.0 if f.rules > 15 else 0.0,  # rules_over_15
        log1p(max(f.turns - 1, 0)),  # log_turns
        log1p(f.tools),  # log_tools
        log1p(f.tool_messages),  # log_tool_messages
        log1p(f.requirements),  # log_requirements
        float(min(f.local_words, 3)),  # local_words
        float(min(f.cloud_words, 4)),  # cloud_words
        float(min(f.ambiguous_words, 3)),  # ambiguous_words
        # A known niche/recent framework, or a "Name 5"-style version pin: version-specific knowledge.
        float(min(f.niche_words + f.versions, 2)),  # niche
        short,  # short_instruction
        vague,  # vague
        routine_single,  # routine_single
        float(min(f.identifiers, 3)),  # identifiers
        log1p(f.code_blocks),  # log_code_blocks
        float(min(f.images, 3)),  # images
        log1p(f.instruction_words) / 3.0,  # log_words
        log1p(f.clauses),  # log_clauses
    )


def feature_vector(f: Features, context: RoutingContext) -> dict[str, float]:
    """The model's inputs by name (training, tests, reasons)."""
    return dict(zip(FEATURE_NAMES, feature_values(f, context), strict=True))


def _reason_holds(code: str, f: Features, context: RoutingContext) -> bool:
    """A reason is only given when the request really shows it (the sentence names numbers)."""
    check = _REASON_CHECKS.get(code)
    return True if check is None else check(f, context)


_REASON_CHECKS: dict[str, Callable[[Features, RoutingContext], bool]] = {
    "many_files": lambda f, c: f.files >= 3,
    "few_files": lambda f, c: f.files <= 1,
    "long_rules": lambda f, c: f.rules > 15,
    "few_rules": lambda f, c: f.rules <= 5,
    "large_prompt": lambda f, c: f.prompt_tokens >= 4000,
    "context_overflow": lambda f, c: f.prompt_tokens > c.local_context * 0.85,
    "short_prompt": lambda f, c: f.prompt_tokens < 2000,
    "many_requirements": lambda f, c: f.requirements >= 3 or f.clauses >= 3,
    "few_requirements": lambda f, c: f.requirements < 3 and f.clauses < 3,
    "deep_conversation": lambda f, c: f.turns >= 4,
    "tool_history": lambda f, c: f.tool_messages > 0,
    "agent_tools": lambda f, c: f.kind == "agent",
    "routine_task": lambda f, c: f.local_words > 0,
    "cloud_words": lambda f, c: f.cloud_words > 0,
    "niche_framework": lambda f, c: f.niche_words + f.versions > 0,
    "ambiguous": lambda f, c: f.ambiguous_words > 0 or (0 < f.instruction_words < 12 and not f.identifiers),
    "long_instruction": lambda f, c: f.instruction_words >= 25,
}


_by_value = operator.itemgetter(1)


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class LogisticScorer:
    """Weights as data; ``score()`` returns (P(cloud), reason codes most important first)."""

    weights: dict[str, float]
    bias: float = 0.0
    #: Training-set mean of each feature: reasons rank ``w * (x - mean)``, i.e. what makes
    #: this request different from a typical one, not what every request has.
    means: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    #: ``weights`` in FEATURE_NAMES order, made on first use (weights are not changed after).
    _ordered_weights: tuple[float, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def logit(self, f: Features, context: RoutingContext) -> tuple[float, dict[str, float]]:
        """(z, centered contribution per feature)."""
        x = feature_vector(f, context)
        weights = self.weights
        means = self.means
        z = self.bias
        contributions: dict[str, float] = {}
        for name, value in x.items():
            if not value:  # most features are 0 for any one request
                continue
            weight = weights.get(name, 0.0)
            if weight:
                # Only what the request has can be a reason ("no rules" is not a reason to go local).
                z += weight * value
                contributions[name] = weight * (value - means.get(name, 0.0))
        return z, contributions

    def probability(self, f: Features, context: RoutingContext, *, offset: float = 0.0) -> float:
        """P(needs the cloud), without the reasons: what the request path needs before forwarding.

        Adds the same products in the same order as :meth:`logit` (a zero product leaves a
        float sum unchanged), so it equals ``score(...)[0]`` exactly.
        """
        ordered = self._ordered_weights
        if ordered is None:
            weight_of = self.weights.get
            ordered = self._ordered_weights = tuple(weight_of(name, 0.0) for name in FEATURE_NAMES)
        return sigmoid(sum(map(operator.mul, ordered, feature_values(f, context)), self.bias) + offset)

    def reasons(self, f: Features, context: RoutingContext, *, offset: float = 0.0) -> list[str]:
        """The reason codes for this request's score (read after the answer is out)."""
        return self.score(f, context, offset=offset)[1]

    def score(
        self, f: Features, context: RoutingContext, *, offset: float = 0.0
    ) -> tuple[float, list[str]]:
        z, contributions = self.logit(f, context)
        p = sigmoid(z + offset)
        cloud = p >= min(1.0, max(0.0, float(context.threshold)))
        reasons: list[str] = []
        if offset > 0.05 and cloud:
            reasons.append("learned_escalation")
        ranked = sorted(contributions.items(), key=_by_value, reverse=cloud)
        for name, value in ranked:
            if (value < 0.05) if cloud else (value > -0.05):
                break
            code = FEATURE_REASONS.get(name, (name, name))[0 if cloud else 1]
            if code not in reasons and _reason_holds(code, f, context):
                reasons.append(code)
            if len(reasons) >= 3:
                break
        if not reasons:
            reasons.append("routine_chat" if not cloud else "cloud_words")
        return p, reasons

    # --- data -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {**self.meta, "bias": self.bias, "weights": dict(sorted(self.weights.items())),
                "means": dict(sorted(self.means.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogisticScorer:
        raw = data.get("weights")
        if not isinstance(raw, Mapping):
            raise ValueError("routing weights: 'weights' must be an object")
        weights = {str(k): float(v) for k, v in raw.items()}
        means_raw = data.get("means")
        means = {str(k): float(v) for k, v in means_raw.items()} if isinstance(means_raw, Mapping) else {}
        meta = {k: v for k, v in data.items() if k not in ("weights", "bias", "means")}
        return cls(weights=weights, bias=float(data.get("bias", 0.0)), means=means, meta=meta)

    @classmethod
    def from_file(cls, path: Path) -> LogisticScorer:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


LEGACY_WEIGHTS = Path(__file__).resolve().parent / "legacy_weights.json"


def load_legacy_scorer() -> LogisticScorer:
    """The pre-issue-11 scorer with its own weights."""
    return LogisticScorer.from_file(LEGACY_WEIGHTS)
