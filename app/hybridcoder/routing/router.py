"""The routing decision: local model or cloud flagship, with reasons a person can read.

Two routers share one set of hard constraints and differ only in the policy that
scores what is left:

- :class:`RulesRouter`: the first-version rules from the field's experience
  (autocomplete, explanations, tests for one function, boilerplate, single-file
  refactors and doc comments go local; 3+ files, more than ~15 rules, tool-using
  agent loops and context beyond the local window go to the cloud). Kept as the
  baseline the learned scorer is measured against.
- :class:`Router`: the learned logistic scorer (weights in
  ``resources/routing_weights.json``) plus online learning from this user's
  escalations. Falls back to the rules when no weights file is present.

Order of precedence, the same for both (first match wins):

1. autocomplete (FIM) and embeddings: always local;
2. ``@local`` override: local;
3. no cloud key: local ("nothing fails because of it");
4. budget exhausted: local (the user's hard cap beats a per-message ``@cloud``);
5. ``@cloud`` override: cloud;
6. mode "local" / "cloud": forced;
7. the policy's score against ``RoutingContext.threshold`` (higher keeps more local).

Proxy usage: ``body, override = strip_override(body)`` then
``router.decide(body, endpoint=..., context=..., override=override)``; forward the
stripped body. ``decide`` also detects an override in an unstripped body.

This module never logs prompt text and never touches the network or the disk on
the request path (the learner persists from its own calls).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hybridcoder.routing.decision import RoutingContext, RoutingDecision
from hybridcoder.routing.features import Features, extract_features

if TYPE_CHECKING:
    from hybridcoder.routing.learning import Learner
    from hybridcoder.routing.scorer import LogisticScorer

#: A policy scores what the hard constraints leave: (score, reasons). The reasons may come
#: as a callable, run only when someone reads them (after the answer is out).
Reasons = list[str] | Callable[[], list[str]]
Policy = Callable[[Features, RoutingContext], tuple[float, Reasons]]

#: Local context is "exceeded" when the prompt leaves less than this share for the answer.
CONTEXT_HEADROOM = 0.85
RULES_LIMIT = 15
FILES_LIMIT = 3


def decide_with(
    policy: Policy,
    features: Features,
    context: RoutingContext,
    override: str | None = None,
) -> RoutingDecision:
    """Apply the hard constraints, then the policy; build reasons and the sentence."""
    override = override or features.override

    def done(route: str, score: float, reasons: Reasons) -> RoutingDecision:
        # The reasons, the sentence and the numbers are worked out only when someone reads
        # them (after the answer has gone out), not on the request path.
        def explain() -> tuple[list[str], str, dict[str, float]]:
            codes = reasons() if callable(reasons) else reasons
            # A code may carry detail after a colon ("your_words:migrate|every service"): the
            # sentence shows it, the recorded codes do not (the ledger never keeps prompt words).
            sentence = sentence_for(route, codes, features, context)
            return [code.partition(":")[0] for code in codes], sentence, features.numbers()

        return RoutingDecision(
            route="cloud" if route == "cloud" else "local",
            kind=features.kind,
            score=score,
            reasons=None if callable(reasons) else reasons,
            override=override,
            explain=explain,
        )

    if features.kind == "autocomplete":
        return done("local", 0.0, ["autocomplete"])
    if features.kind == "embed":
        return done("local", 0.0, ["embed"])
    if override == "local":
        return done("local", 0.0, ["override_local"])
    if not context.cloud_available:
        return done("local", 0.0, ["no_cloud_key"])
    if context.budget_exhausted:
        return done("local", 0.0, ["budget_exhausted"])
    if override == "cloud":
        return done("cloud", 1.0, ["override_cloud"])
    if context.mode == "local":
        return done("local", 0.0, ["mode_local"])
    if context.mode == "cloud":
        return done("cloud", 1.0, ["mode_cloud"])
    score, reasons = policy(features, context)
    route = "cloud" if score >= _cut(context) else "local"
    return done(route, score, reasons)


def _cut(context: RoutingContext) -> float:
    return min(1.0, max(0.0, float(context.threshold)))


def exceeds_local_window(features: Features, context: RoutingContext) -> bool:
    return features.prompt_tokens > context.local_context * CONTEXT_HEADROOM


def rules_policy(features: Features, context: RoutingContext) -> tuple[float, list[str]]:
    """First-version rules: (score, reasons); score >= 0.5 means cloud at the default threshold."""
    cloud: list[tuple[float, str]] = []
    if exceeds_local_window(features, context):
        cloud.append((0.99, "context_overflow"))
    if features.kind == "agent":
        cloud.append((0.9, "agent_tools"))
    if features.rules > RULES_LIMIT:
        cloud.append((0.85, "long_rules"))
    if features.files >= FILES_LIMIT:
        cloud.append((0.8, "many_files"))
    if cloud:
        cloud.sort(reverse=True)
        return cloud[0][0], [reason for _, reason in cloud]
    if features.kind == "edit":
        return 0.2, ["single_file_edit"]
    if features.local_words:
        return 0.2, ["routine_task"]
    return 0.35, ["routine_chat"]


class RulesRouter:
    """The first-version rules; the baseline the learned router is measured against."""

    def decide(
        self,
        body: Mapping[str, Any],
        *,
        endpoint: str,
        context: RoutingContext,
        override: str | None = None,
    ) -> RoutingDecision:
        return decide_with(rules_policy, extract_features(body, endpoint), context, override)

    def decide_features(
        self, features: Features, context: RoutingContext, override: str | None = None
    ) -> RoutingDecision:
        return decide_with(rules_policy, features, context, override)


class Router:
    """The router the proxy uses: learned scorer + this user's learning, rules as fallback.

    ``weights``: a :class:`~hybridcoder.routing.scorer.LogisticScorer` (default: the
    shipped ``resources/routing_weights.json``; the rules when that file is missing).
    ``learner``: a :class:`~hybridcoder.routing.learning.Learner` or None (no learning).
    ``rules_only``: score with the first-version rules (plus learning); the replay baseline.
    """

    def __init__(self, weights: LogisticScorer | None = None, learner: Learner | None = None, *,
                 rules_only: bool = False) -> None:
        if weights is None and not rules_only:
            weights = _default_scorer()
        self.scorer = None if rules_only else weights
        self.learner = learner

    def decide(
        self,
        body: Mapping[str, Any],
        *,
        endpoint: str,
        context: RoutingContext,
        override: str | None = None,
        count: bool = True,
    ) -> RoutingDecision:
        """Route one request. ``count=False`` for previews (``/hybrid/route``, ``explain``):
        the decision is the same, but it is not counted as an avoided round trip."""
        return self.decide_features(extract_features(body, endpoint), context, override, count=count)

    def decide_features(
        self, features: Features, context: RoutingContext, override: str | None = None, *, count: bool = True
    ) -> RoutingDecision:
        if count:
            return decide_with(self._policy, features, context, override)
        return decide_with(lambda f, c: self._policy(f, c, count=False), features, context, override)

    def _policy(
        self, features: Features, context: RoutingContext, *, count: bool = True
    ) -> tuple[float, Reasons]:
        if self.scorer is None:
            score, reasons = rules_policy(features, context)
            if self.learner is not None:
                bump = self.learner.adjustment(features)
                if bump > 0 and score < _cut(context):
                    score = min(1.0, score + bump / 12.0)  # 3 events (bump 6) lift a rules score by 0.5
                    if score >= _cut(context) and count:
                        self.learner.note_avoided_round_trip()
                        reasons = ["learned_escalation", *reasons]
            return score, reasons
        scorer = self.scorer
        offset = self.learner.adjustment(features) if self.learner is not None else 0.0
        score = scorer.probability(features, context, offset=offset)
        if (offset > 0 and count and score >= _cut(context) and self.learner is not None
                and scorer.probability(features, context) < _cut(context)):
            self.learner.note_avoided_round_trip()
        return score, lambda: scorer.reasons(features, context, offset=offset)

    def learn_from(self, features: Mapping[str, float] | Features, cause: str) -> bool:
        """Tell the router a local answer was not good enough (fallback, bad tool call, retry, manual).

        ``features`` is the decision's ``features`` dict (as recorded) or a Features.
        Returns True when the example was used. Never raises.
        """
        if self.learner is None:
            return False
        return self.learner.observe(features, cause)


def _default_scorer() -> LogisticScorer | None:
    from hybridcoder.routing.scorer import load_default_scorer

    return load_default_scorer()


# --- the human sentence -------------------------------------------------------------------------

def sentence_for(route: str, reasons: list[str], features: Features, context: RoutingContext) -> str:
    """One sentence a person can read, built from the most important reason."""
    side = "sent to the cloud" if route == "cloud" else "kept local"
    top, _, detail = (reasons[0] if reasons else "").partition(":")
    if top == "your_words" and detail:
        text = "Your words (" + ", ".join(f"'{word}'" for word in detail.split("|")) + ")"
    else:
        phrase = _PHRASES.get(top)
        text = phrase(features, context) if phrase else _describe(features)
        words = next((r.partition(":")[2] for r in reasons[1:3] if r.startswith("your_words:")), "")
        if words:
            text += " and your words (" + ", ".join(f"'{word}'" for word in words.split("|")) + ")"
    return f"{text}: {side}."


def describe_reason(reason: str, features: Features, context: RoutingContext) -> str:
    """One reason code in words ("many_files" → "Reasoning across 4 files"), for ``explain`` and the app."""
    top, _, detail = reason.partition(":")
    if top == "your_words" and detail:
        return "Your words: " + ", ".join(f"'{word}'" for word in detail.split("|"))
    phrase = _PHRASES.get(top)
    return phrase(features, context) if phrase else top.replace("_", " ").capitalize()


def _describe(f: Features) -> str:
    return {
        "agent": f"Agent request with {f.tools} tools",
        "edit": "Edit request",
        "chat": "Chat request",
        "autocomplete": "Autocomplete",
        "embed": "Embedding request",
    }.get(f.kind, "Request")


def _tokens(n: int) -> str:
    return f"{n:,}"


_PHRASES: dict[str, Callable[[Features, RoutingContext], str]] = {
    "autocomplete": lambda f, c: "Autocomplete always runs on the local model",
    "embed": lambda f, c: "Embeddings always run on the local model",
    "override_local": lambda f, c: "You asked for the local model with @local",
    "override_cloud": lambda f, c: "You asked for the cloud with @cloud",
    "no_cloud_key": lambda f, c: "No cloud key is set, so everything runs locally",
    "budget_exhausted": lambda f, c: "The cloud budget is used up",
    "mode_local": lambda f, c: "Routing mode is local-only",
    "mode_cloud": lambda f, c: "Routing mode is cloud-only",
    "context_overflow": lambda f, c: (
        f"About {_tokens(f.prompt_tokens)} tokens do not fit the local window of {_tokens(c.local_context)}"
    ),
    "large_prompt": lambda f, c: f"Large request (about {_tokens(f.prompt_tokens)} tokens)",
    "agent_tools": lambda f, c: (
        f"Agent request with {f.tools} tools" if f.tools else "Agent loop with tool calls in progress"
    ),
    "tool_history": lambda f, c: f"Agent loop with {f.tool_messages} tool calls so far",
    "long_rules": lambda f, c: f"{f.rules} rules in the instructions (a 7B model follows about 15)",
    "many_files": lambda f, c: f"Reasoning across {f.files} files",
    "deep_conversation": lambda f, c: f"Long conversation ({f.turns} turns)",
    "cloud_words": lambda f, c: "The request asks for design, debugging or cross-cutting reasoning",
    "niche_framework": lambda f, c: "The request names a niche or recently released framework",
    "ambiguous": lambda f, c: "The request is short and open-ended",
    "many_requirements": lambda f, c: f"A specification with {f.requirements} requirements",
    "learned_escalation": lambda f, c: "Similar requests needed the cloud before",
    "task_escalated": lambda f, c: "This task already needed the cloud, so the rest of it stays there",
    "single_file_edit": lambda f, c: "Single-file edit",
    "routine_task": lambda f, c: "Routine task (explain, test, boilerplate, refactor or docs)",
    "routine_chat": lambda f, c: "Routine question",
    "few_files": lambda f, c: "Small context",
    "short_prompt": lambda f, c: "Short, self-contained request",
    "images": lambda f, c: f"Request with {f.images} image(s)",
    "few_rules": lambda f, c: "Only a few rules to follow",
    "specific_request": lambda f, c: "A specific, well-pointed request",
    "few_requirements": lambda f, c: "A simple request without many conditions",
    "long_instruction": lambda f, c: f"A long, detailed instruction ({f.instruction_words} words)",
    "edit_request": lambda f, c: "Edit request",
    "chat_request": lambda f, c: "Open question",
    "open_question": lambda f, c: "Open question",
    "your_words": lambda f, c: "What you asked for",
    "one_step": lambda f, c: f"Tools are offered ({f.tools}), but the ask needs one answer, not a tool loop",
    "read_only_tools": lambda f, c: "Only read-only tools are offered",
    "plan_mode": lambda f, c: "Plan mode: the answer is prose, not file edits",
    "no_context": lambda f, c: "No code is attached to work from",
    "plain_question": lambda f, c: "A plain question",
}
