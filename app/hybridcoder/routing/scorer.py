"""The learned scorer: a calibrated linear model over the user's words and a few bounded signals.

``P(cloud needed) = sigmoid(a * z + b + offset)`` with
``z = bias + sum(w_i * x_i) + sum(t_h for each term h of the request)``:

- ``x`` (:func:`feature_values`): a few bounded, log-scaled signals: request kind, tools offered
  and whether a tool-using task is under way, size against the local window, files, rules,
  conversation depth, how long and how enumerated the instruction is;
- the terms: hashed word, word-pair and character n-grams of the user's own instruction and of
  the rules they added (:func:`hybridcoder.routing.features.term_strings`). They tell "explain
  this function" from "migrate every service" whatever framework names appear, and replace the
  hand-written word lists of the first learned scorer;
- ``a, b``: Platt calibration fitted on out-of-fold scores of the training sources, so the
  settings slider moves a threshold on a probability-like number;
- ``offset``: this user's learned adjustment (routing/learning.py).

Weights, term weights (with one readable n-gram per kept term, for reasons), calibration and
their source live in ``resources/routing_weights.json``, fitted offline by
``scripts/train_router.py`` on every labelled source in ``tests/data/routing/``.

Why a linear model: each signal's contribution is the reason the decision gives ("your words:
'migrate', 'across services'", "Agent loop with 4 tool calls so far"), it runs in tens of
microseconds in pure Python, and it is trained in seconds.

This module never touches the network, never imports numpy, never keeps prompt text (term
names in the weights file come from the public training data) and never raises on the request path.
"""

from __future__ import annotations

import json
import logging
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from hybridcoder.resource_files import ResourceError, read_resource_json, resource_path
from hybridcoder.routing.decision import RoutingContext
from hybridcoder.routing.features import ASK_BITS, ASK_CHOICE_BIT, Features

log = logging.getLogger(__name__)

WEIGHTS_FILE = "routing_weights.json"
FORMAT = 2

#: Which reason code a feature's contribution stands for (cloud side, local side).
FEATURE_REASONS: dict[str, tuple[str, str]] = {
    "kind_edit": ("edit_request", "single_file_edit"),
    "kind_chat": ("chat_request", "routine_chat"),
    "tools_offered": ("agent_tools", "one_step"),
    "write_tools": ("agent_tools", "read_only_tools"),
    "plan_mode": ("plan_mode", "plan_mode"),
    "tool_steps": ("tool_history", "tool_history"),
    "mid_task": ("tool_history", "tool_history"),
    "size": ("large_prompt", "short_prompt"),
    "window_fill": ("context_overflow", "short_prompt"),
    "beyond_window": ("context_overflow", "short_prompt"),
    "extra_files": ("many_files", "few_files"),
    "no_files": ("no_context", "no_context"),
    "rules": ("long_rules", "few_rules"),
    "turns": ("deep_conversation", "deep_conversation"),
    "requirements": ("many_requirements", "few_requirements"),
    "instruction_length": ("long_instruction", "short_prompt"),
    "clauses": ("many_requirements", "few_requirements"),
    "identifiers": ("specific_request", "specific_request"),
    "images": ("images", "images"),
    "versions": ("niche_framework", "niche_framework"),
    "short_instruction": ("ambiguous", "short_prompt"),
    "question": ("open_question", "plain_question"),
    "no_instruction": ("ambiguous", "single_file_edit"),
    "ask_explain": ("routine_task", "routine_task"),
    "ask_tests": ("routine_task", "routine_task"),
    "ask_docs": ("routine_task", "routine_task"),
    "ask_refactor": ("routine_task", "routine_task"),
    "ask_scaffold": ("routine_task", "routine_task"),
    "ask_script": ("routine_task", "routine_task"),
    "ask_implement": ("routine_task", "routine_task"),
    "ask_design": ("cloud_words", "routine_task"),
    "ask_broad": ("cloud_words", "routine_task"),
    "ask_choice": ("cloud_words", "plain_question"),
    "ask_none": ("ambiguous", "routine_task"),
    "question_on_code": ("open_question", "plain_question"),
    "question_open": ("open_question", "plain_question"),
    "tools_bare": ("agent_tools", "one_step"),
    "terms": ("your_words", "your_words"),
    "unfamiliar_names": ("niche_framework", "niche_framework"),
}

#: The names of :func:`feature_values`, in order (the keys of the weights file's "weights").
FEATURE_NAMES: tuple[str, ...] = (
    "kind_edit",
    "kind_chat",
    "tools_offered",
    "write_tools",
    "plan_mode",
    "tool_steps",
    "mid_task",
    "size",
    "window_fill",
    "beyond_window",
    "extra_files",
    "no_files",
    "rules",
    "turns",
    "requirements",
    "instruction_length",
    "clauses",
    "identifiers",
    "images",
    "versions",
    "short_instruction",
    "no_instruction",
    "question",
    # What kind of task the ask names (features.ASK_CLASSES), and none of them.
    "ask_explain",
    "ask_tests",
    "ask_docs",
    "ask_refactor",
    "ask_scaffold",
    "ask_script",
    "ask_implement",
    "ask_design",
    "ask_broad",
    "ask_choice",
    "ask_none",
    # Interactions a linear model cannot form itself: a question about the code in context (usually
    # an explanation) vs one with nothing attached (often a design question); tools offered with
    # nothing attached (the model would have to go and look: a tool loop is likely).
    "question_on_code",
    "question_open",
    "tools_bare",
)

_LOG = math.log1p
_RULES_KNEE = 10
_CAP_RULES = _LOG(50)
_CAP_TURNS = _LOG(12)
_CAP_STEPS = _LOG(40)
_CAP_REQUIREMENTS = _LOG(16)
_CAP_CLAUSES = _LOG(24)
_ASK_EXPLAIN, _ASK_TESTS, _ASK_DOCS, _ASK_REFACTOR, _ASK_SCAFFOLD, _ASK_SCRIPT, _ASK_IMPLEMENT, _ASK_DESIGN, \
    _ASK_BROAD = (ASK_BITS[name] for name in ("explain", "tests", "docs", "refactor", "scaffold", "script",
                                              "implement", "design", "broad"))
_ASK_ANY = sum(ASK_BITS.values())


def feature_values(f: Features, context: RoutingContext) -> tuple[float, ...]:
    """The model's named inputs, in :data:`FEATURE_NAMES` order.

    Every one is bounded (capped, log-scaled), so no single number can decide on its own:
    a 100k-character file or 40 rules weigh as much as the fitted weight allows, no more.
    Size counts against the local window with a soft knee, not a step at the labelling
    threshold. A tuple, not a dict: this runs on every routed request.
    """
    log1p = _LOG
    ratio = f.prompt_tokens / max(context.local_context, 1)
    words = f.instruction_words
    ask = f.ask
    has_code = f.files > 0 or f.code_blocks > 0
    return (
        1.0 if f.kind == "edit" else 0.0,  # kind_edit
        1.0 if f.kind == "chat" else 0.0,  # kind_chat
        1.0 if f.tools else 0.0,  # tools_offered
        min(f.write_tools, 4) / 4.0,  # write_tools
        float(f.plan_mode),  # plan_mode
        min(log1p(f.tool_messages), _CAP_STEPS) / _CAP_STEPS,  # tool_steps
        float(f.pending_tool_result),  # mid_task
        min(log1p(f.prompt_tokens) / 10.0, 1.2),  # size
        min(ratio, 1.5),  # window_fill
        min(max(ratio - 0.7, 0.0) * 2.0, 1.0),  # beyond_window (0 below 70 % of the window, 1 from 120 %)
        # Files beyond the first: one file is the routine case, several that depend on each
        # other are not (a smooth ramp, 0.5 at three files, 1.0 from five).
        min(max(f.files - 1, 0), 4) / 4.0,  # extra_files
        # Nothing to work from: no file and no code block in the conversation.
        1.0 if f.files == 0 and f.code_blocks == 0 else 0.0,  # no_files
        # Rules beyond the first ten: a 7B coder "follows the first 10-15 rules and improvises on the
        # rest" (the field report); a handful of house rules says nothing about the task.
        min(log1p(max(f.rules - _RULES_KNEE, 0)), _CAP_RULES) / _CAP_RULES,  # rules
        min(log1p(max(f.turns - 1, 0)), _CAP_TURNS) / _CAP_TURNS,  # turns
        min(log1p(f.requirements), _CAP_REQUIREMENTS) / _CAP_REQUIREMENTS,  # requirements
        min(log1p(words) / 6.0, 1.0),  # instruction_length (1.0 from ~400 words)
        min(log1p(f.clauses), _CAP_CLAUSES) / _CAP_CLAUSES,  # clauses
        min(f.identifiers, 4) / 4.0,  # identifiers
        float(min(f.images, 3)) / 3.0,  # images
        float(min(f.versions, 2)) / 2.0,  # versions
        1.0 if 0 < words < 8 else 0.0,  # short_instruction
        1.0 if words == 0 else 0.0,  # no_instruction
        float(f.question),  # question
        1.0 if ask & _ASK_EXPLAIN else 0.0,
        1.0 if ask & _ASK_TESTS else 0.0,
        1.0 if ask & _ASK_DOCS else 0.0,
        1.0 if ask & _ASK_REFACTOR else 0.0,
        1.0 if ask & _ASK_SCAFFOLD else 0.0,
        1.0 if ask & _ASK_SCRIPT else 0.0,
        1.0 if ask & _ASK_IMPLEMENT else 0.0,
        1.0 if ask & _ASK_DESIGN else 0.0,
        1.0 if ask & _ASK_BROAD else 0.0,
        1.0 if ask & ASK_CHOICE_BIT else 0.0,
        1.0 if words and not ask & _ASK_ANY else 0.0,  # ask_none: words, but no task named
        1.0 if f.question and has_code else 0.0,  # question_on_code
        1.0 if f.question and not has_code else 0.0,  # question_open
        1.0 if f.tools and not has_code else 0.0,  # tools_bare
    )


#: Terms a request has before their weights are scaled down: a long instruction has many
#: n-grams, and each should count less, so length alone does not decide (value 1 / sqrt(n / 60)).
TERM_NORM = 60.0


def term_scale(count: int) -> float:
    """The value each of a request's ``count`` terms has in the model (1.0 for short instructions)."""
    return 1.0 if count <= TERM_NORM else math.sqrt(TERM_NORM / count)


def feature_vector(f: Features, context: RoutingContext) -> dict[str, float]:
    """The model's named inputs by name (training, tests, reasons)."""
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
    "agent_tools": lambda f, c: f.tools > 0 or f.tool_messages > 0,
    "one_step": lambda f, c: f.tools > 0 and f.tool_messages == 0,
    "read_only_tools": lambda f, c: f.tools > 0 and f.write_tools == 0,
    "plan_mode": lambda f, c: f.plan_mode > 0,
    "niche_framework": lambda f, c: f.versions > 0 or bool(f.names),
    "ambiguous": lambda f, c: 0 <= f.instruction_words < 8,
    "long_instruction": lambda f, c: f.instruction_words >= 25,
    "edit_request": lambda f, c: f.kind == "edit",
    "single_file_edit": lambda f, c: f.kind == "edit",
    "chat_request": lambda f, c: f.kind == "chat",
    "routine_chat": lambda f, c: f.kind == "chat",
    "images": lambda f, c: f.images > 0,
}

#: Term names as the weights file keeps them: "w:word", "b:two words", "f:opening-word", "c:<mig",
#: "r:rule-word".
#: Shown as "your words": the instruction's words and pairs (rule words have the long_rules reason).
_READABLE_PREFIXES = ("w:", "b:", "f:")
#: Words too common to be a reason on their own, even when their weight is not small.
_DULL_WORDS = frozenset((
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "is", "are", "be", "to", "of", "in",
    "on", "for", "with", "and", "or", "my", "me", "i", "you", "your", "we", "our", "can", "could", "would",
    "should", "please", "do", "does", "how", "what",
))

_by_value = operator.itemgetter(1)


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class LogisticScorer:
    """Weights as data; ``probability()`` on the request path, ``score()``/``reasons()`` after it."""

    weights: dict[str, float]
    bias: float = 0.0
    #: Training-set mean of each named feature (and of the summed term weights, under "terms"):
    #: reasons rank ``w * (x - mean)``, what makes this request differ from a typical one.
    means: dict[str, float] = field(default_factory=dict)
    #: Term hash -> weight (only the terms training kept).
    terms: dict[int, float] = field(default_factory=dict)
    #: Term hash -> the n-gram it stood for in the training data (for readable reasons).
    term_names: dict[int, str] = field(default_factory=dict)
    #: Platt calibration (a, b): P = sigmoid(a * z + b).
    calibration: tuple[float, float] = (1.0, 0.0)
    #: Hashes of the names (:attr:`Features.names`) the training data mentions: a name outside
    #: this set ("unfamiliar_names", weighted like any named signal) hints at a niche or new
    #: framework that a 7B coder has seen little of.
    familiar: frozenset[int] = field(default_factory=frozenset)
    meta: dict[str, Any] = field(default_factory=dict)
    #: ``weights`` in FEATURE_NAMES order, made on first use (weights are not changed after).
    _ordered_weights: tuple[float, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def raw_logit(self, f: Features, context: RoutingContext) -> float:
        """``z`` before calibration (training and evaluation)."""
        ordered = self._ordered_weights
        if ordered is None:
            weight_of = self.weights.get
            ordered = self._ordered_weights = tuple(weight_of(name, 0.0) for name in FEATURE_NAMES)
        z = sum(map(operator.mul, ordered, feature_values(f, context)), self.bias)
        if f.terms and self.terms:
            z += term_scale(len(f.terms)) * sum(map(self.terms.get, f.terms, repeat(0.0)))
        if f.names:
            z += self.weights.get("unfamiliar_names", 0.0) * self.unfamiliar(f)
        return z

    def unfamiliar(self, f: Features) -> float:
        """Names in the instruction the training data never mentioned: 0, 1/3, 2/3 or 1 (3 or more)."""
        familiar = self.familiar
        return min(sum(1 for h in f.names if h not in familiar), 3) / 3.0

    def probability(self, f: Features, context: RoutingContext, *, offset: float = 0.0) -> float:
        """P(needs the cloud), without the reasons: what the request path needs before forwarding."""
        a, b = self.calibration
        return sigmoid(a * self.raw_logit(f, context) + b + offset)

    def contributions(self, f: Features, context: RoutingContext) -> dict[str, float]:
        """Centered contribution of each named signal, and of all terms together under "terms"."""
        a = self.calibration[0]
        means = self.means
        out: dict[str, float] = {}
        for name, value in zip(FEATURE_NAMES, feature_values(f, context), strict=True):
            weight = self.weights.get(name, 0.0)
            # Only what the request has can be a reason ("no rules" is not a reason to go local).
            if value and weight:
                out[name] = a * weight * (value - means.get(name, 0.0))
        if f.terms and self.terms:
            total = term_scale(len(f.terms)) * sum(map(self.terms.get, f.terms, repeat(0.0)))
            out["terms"] = a * (total - means.get("terms", 0.0))
        unfamiliar = self.unfamiliar(f) if f.names else 0.0
        weight = self.weights.get("unfamiliar_names", 0.0)
        if unfamiliar and weight:
            out["unfamiliar_names"] = a * weight * (unfamiliar - means.get("unfamiliar_names", 0.0))
        return out

    def top_words(self, f: Features, *, cloud: bool, limit: int = 3) -> list[str]:
        """The readable n-grams of this request that pushed hardest towards ``cloud`` (or local)."""
        sign = 1.0 if cloud else -1.0
        scored: list[tuple[float, str]] = []
        for h in f.terms:
            weight = self.terms.get(h, 0.0) * sign
            name = self.term_names.get(h)
            if weight <= 0.05 or not name or not name.startswith(_READABLE_PREFIXES):
                continue
            text = name[2:]
            if text in _DULL_WORDS or all(part in _DULL_WORDS for part in text.split()):
                continue
            scored.append((weight, text))
        scored.sort(reverse=True)
        out: list[str] = []
        for _, text in scored:
            # "migrate" and "migrate every" say the same thing twice: keep the first.
            if any(text in kept or kept in text for kept in out):
                continue
            out.append(text)
            if len(out) >= limit:
                break
        return out

    def reasons(self, f: Features, context: RoutingContext, *, offset: float = 0.0) -> list[str]:
        """The reason codes for this request's score (read after the answer is out)."""
        return self.score(f, context, offset=offset)[1]

    def score(
        self, f: Features, context: RoutingContext, *, offset: float = 0.0
    ) -> tuple[float, list[str]]:
        """(P(cloud), reason codes most important first).

        The "your_words" code carries the words after a colon ("your_words:migrate|every
        service"); the router shows them in the sentence and records only the code.
        """
        p = self.probability(f, context, offset=offset)
        cloud = p >= min(1.0, max(0.0, float(context.threshold)))
        reasons: list[str] = []
        if offset > 0.05 and cloud:
            reasons.append("learned_escalation")
        ranked = sorted(self.contributions(f, context).items(), key=_by_value, reverse=cloud)
        for name, value in ranked:
            if (value < 0.05) if cloud else (value > -0.05):
                break
            code = FEATURE_REASONS.get(name, (name, name))[0 if cloud else 1]
            if code == "your_words":
                words = self.top_words(f, cloud=cloud)
                if not words:
                    continue
                code = "your_words:" + "|".join(words)
            elif not _reason_holds(code, f, context):
                continue
            if code not in reasons:
                reasons.append(code)
            if len(reasons) >= 3:
                break
        if not reasons:
            reasons.append("routine_chat" if not cloud else "open_question")
        return p, reasons

    # --- data -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            **self.meta,
            "format": FORMAT,
            "bias": self.bias,
            "calibration": list(self.calibration),
            "weights": dict(sorted(self.weights.items())),
            "means": dict(sorted(self.means.items())),
            "terms": {str(h): [w, self.term_names.get(h, "")] for h, w in sorted(self.terms.items())},
            "familiar_names": sorted(self.familiar),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LogisticScorer:
        raw = data.get("weights")
        if not isinstance(raw, Mapping):
            raise ValueError("routing weights: 'weights' must be an object")
        weights = {str(k): float(v) for k, v in raw.items()}
        means_raw = data.get("means")
        means = {str(k): float(v) for k, v in means_raw.items()} if isinstance(means_raw, Mapping) else {}
        terms: dict[int, float] = {}
        names: dict[int, str] = {}
        terms_raw = data.get("terms")
        if isinstance(terms_raw, Mapping):
            for key, value in terms_raw.items():
                if isinstance(value, list) and value:
                    terms[int(key)] = float(value[0])
                    if len(value) > 1 and isinstance(value[1], str) and value[1]:
                        names[int(key)] = value[1]
                else:
                    terms[int(key)] = float(value)
        calibration_raw = data.get("calibration")
        calibration = (1.0, 0.0)
        if isinstance(calibration_raw, list) and len(calibration_raw) == 2:
            calibration = (float(calibration_raw[0]), float(calibration_raw[1]))
        familiar_raw = data.get("familiar_names")
        familiar = frozenset(int(h) for h in familiar_raw) if isinstance(familiar_raw, list) else frozenset()
        meta = {k: v for k, v in data.items()
                if k not in ("weights", "bias", "means", "terms", "calibration", "format", "familiar_names")}
        return cls(weights=weights, bias=float(data.get("bias", 0.0)), means=means, terms=terms,
                   term_names=names, calibration=calibration, familiar=familiar, meta=meta)

    @classmethod
    def from_file(cls, path: Path) -> LogisticScorer:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def default_weights_path() -> Path:
    return resource_path(WEIGHTS_FILE)


def load_default_scorer(path: Path | None = None) -> LogisticScorer | None:
    """The shipped scorer, or None (the router then uses the rules) when a given ``path`` is missing or broken.

    The shipped weights themselves are part of the install: missing or broken, they raise
    :class:`ResourceError` (at start) instead of quietly routing worse.
    """
    if path is None:
        try:
            return LogisticScorer.from_json(read_resource_json(WEIGHTS_FILE))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ResourceError(f"The shipped routing weights {WEIGHTS_FILE} are malformed ({exc}); "
                                "reinstall Hybrid Coder.") from None
    try:
        return LogisticScorer.from_file(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log.warning("routing weights at %s unusable (%s); using the first-version rules", path, exc)
        return None
