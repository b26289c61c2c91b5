"""The learned scorer: logistic regression over request features, weights loaded from data.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridcoder.paths import resources_dir
from hybridcoder.routing.decision import RoutingContext
from hybridcoder.routing.features import Features

log = logging.getLogger(__name__)

WEIGHTS_FILE = "routing_weights.json"

#: Which reason code a feature's contribution stands for (cloud side, local side).
FEATURE_REASONS: dict[str, tuple[str, str]] = {
    "kind_agent": ("agent_tools", "agent_tools"),
    "kind_edit": ("single_file_edit", "single_file_edit"),
    "kind_chat": ("routine_chat", "routine_chat"),
    "log_tokens": ("large_prompt", "short_prompt"),
    "context_ratio": ("context_overflow", "short_prompt"),
    "over_window": ("context_overflow", "short_prompt"),
    "log_files": ("many_files", "few_files"),
    "files_3plus": ("many_files", "few_files"),
    "log_rules": ("long_rules", "long_rules"),
    "rules_over_15": ("long_rules", "long_rules"),
    "log_turns": ("deep_conversation", "deep_conversation"),
    "log_tools": ("agent_tools", "agent_tools"),
    "log_tool_messages": ("tool_history", "tool_history"),
    "log_requirements": ("many_requirements", "many_requirements"),
    "local_words": ("routine_task", "routine_task"),
    "cloud_words": ("cloud_words", "cloud_words"),
    "ambiguous_words": ("ambiguous", "ambiguous"),
    "niche_words": ("niche_framework", "niche_framework"),
    "short_instruction": ("ambiguous", "short_prompt"),
    "vague_short": ("ambiguous", "ambiguous"),
    "log_code_blocks": ("many_files", "few_files"),
    "images": ("images", "images"),
    "log_words": ("many_requirements", "short_prompt"),
    "log_clauses": ("many_requirements", "short_prompt"),
}


def feature_vector(f: Features, context: RoutingContext) -> dict[str, float]:
    """The model's inputs: bounded, mostly log-scaled, so no single feature explodes."""
    log1p = math.log1p
    window = max(context.local_context, 1)
    ratio = f.prompt_tokens / window
    short = 1.0 if 0 < f.instruction_words < 12 else 0.0
    return {
        "kind_agent": 1.0 if f.kind == "agent" else 0.0,
        "kind_edit": 1.0 if f.kind == "edit" else 0.0,
        "kind_chat": 1.0 if f.kind == "chat" else 0.0,
        "log_tokens": log1p(f.prompt_tokens) / 10.0,
        "context_ratio": min(ratio, 2.0),
        "over_window": 1.0 if ratio > 0.85 else 0.0,
        "log_files": log1p(f.files),
        "files_3plus": 1.0 if f.files >= 3 else 0.0,
        "log_rules": log1p(f.rules),
        "rules_over_15": 1.0 if f.rules > 15 else 0.0,
        "log_turns": log1p(max(f.turns - 1, 0)),
        "log_tools": log1p(f.tools),
        "log_tool_messages": log1p(f.tool_messages),
        "log_requirements": log1p(f.requirements),
        "local_words": float(min(f.local_words, 3)),
        "cloud_words": float(min(f.cloud_words, 4)),
        "ambiguous_words": float(min(f.ambiguous_words, 3)),
        "niche_words": float(min(f.niche_words, 2)),
        "short_instruction": short,
        "vague_short": short * (1.0 if f.ambiguous_words else 0.0),
        "log_code_blocks": log1p(f.code_blocks),
        "images": float(min(f.images, 3)),
        "log_words": log1p(f.instruction_words) / 3.0,
        "log_clauses": log1p(f.clauses),
    }


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
    meta: dict[str, Any] = field(default_factory=dict)

    def logit(self, f: Features, context: RoutingContext) -> tuple[float, dict[str, float]]:
        x = feature_vector(f, context)
        weights = self.weights
        contributions = {name: weights.get(name, 0.0) * value for name, value in x.items() if value}
        return self.bias + sum(contributions.values()), contributions

    def score(
        self, f: Features, context: RoutingContext, *, offset: float = 0.0
    ) -> tuple[float, list[str]]:
        z, contributions = self.logit(f, context)
        p = sigmoid(z + offset)
        cloud = p >= min(1.0, max(0.0, float(context.threshold)))
        reasons: list[str] = []
        if offset > 0.05 and cloud:
            reasons.append("learned_escalation")
        ranked = sorted(contributions.items(), key=lambda kv: kv[1], reverse=cloud)
        for name, value in ranked:
            if (value <= 0) if cloud else (value >= 0):
                break
            code = FEATURE_REASONS.get(name, (name, name))[0 if cloud else 1]
            if code not in reasons:
                reasons.append(code)
            if len(reasons) >= 3:
                break
        if not reasons:
            reasons.append("routine_chat" if not cloud else "cloud_words")
        return p, reasons

    # --- data -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {**self.meta, "bias": self.bias, "weights": dict(sorted(self.weights.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogisticScorer:
        raw = data.get("weights")
        if not isinstance(raw, Mapping):
            raise ValueError("routing weights: 'weights' must be an object")
        weights = {str(k): float(v) for k, v in raw.items()}
        meta = {k: v for k, v in data.items() if k not in ("weights", "bias")}
        return cls(weights=weights, bias=float(data.get("bias", 0.0)), meta=meta)

    @classmethod
    def from_file(cls, path: Path) -> LogisticScorer:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def default_weights_path() -> Path:
    return resources_dir() / WEIGHTS_FILE


def load_default_scorer(path: Path | None = None) -> LogisticScorer | None:
    """The shipped scorer, or None (the router then uses the rules) when missing or broken."""
    path = path or default_weights_path()
    try:
        return LogisticScorer.from_file(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log.warning("routing weights at %s unusable (%s); using the first-version rules", path, exc)
        return None
