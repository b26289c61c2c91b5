"""The learned scorer: weights as data, reasons from contributions, the slider moves the threshold."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from hybridcoder.routing.decision import RoutingContext
from hybridcoder.routing.features import extract_features
from hybridcoder.routing.router import Router
from hybridcoder.routing.scorer import (
    LogisticScorer,
    default_weights_path,
    feature_vector,
    load_default_scorer,
)
from tests.routing import bodies

CTX = RoutingContext(cloud_available=True, local_context=16384)
CHAT = "/v1/chat/completions"


def test_shipped_weights_are_data_with_a_source_and_date() -> None:
    data = json.loads(default_weights_path().read_text())
    assert data["source"] and data["date"]
    assert data["local_context"] == 16384
    scorer = load_default_scorer()
    assert scorer is not None
    # Every weight is for a feature the request path computes (no stale names).
    known = set(feature_vector(extract_features(bodies.cline_act("x")), CTX))
    assert set(scorer.weights) <= known


def test_router_uses_the_scorer_by_default() -> None:
    assert Router().scorer is not None
    assert Router(rules_only=True).scorer is None


def test_missing_or_broken_weights_fall_back_to_the_rules(tmp_path: Path) -> None:
    assert load_default_scorer(tmp_path / "nope.json") is None
    broken = tmp_path / "w.json"
    broken.write_text('{"weights": "many"}')
    assert load_default_scorer(broken) is None
    router = Router(weights=load_default_scorer(broken))
    assert router.decide(bodies.cline_act("x"), endpoint=CHAT, context=CTX).route == "cloud"


def test_reasons_come_from_the_features_that_contributed_most() -> None:
    rules = [f"Rule {i}: follow the house style for case {i}." for i in range(30)]
    decision = Router().decide(bodies.continue_chat("Add a flag.", rules=rules), endpoint=CHAT, context=CTX)
    assert decision.route == "cloud"
    assert decision.reasons[0] == "long_rules"
    assert "30 rules" in decision.sentence


def test_local_reasons_never_claim_what_the_request_lacks() -> None:
    decision = Router().decide(bodies.continue_chat("Explain what this function does.",
                                                    files={"src/a.py": "x = 1"}), endpoint=CHAT, context=CTX)
    assert decision.route == "local"
    assert "many_files" not in decision.reasons and "long_rules" not in decision.reasons


def test_the_slider_moves_the_threshold() -> None:
    # A borderline request: an edge-case-heavy ask about one small function.
    body = bodies.continue_chat("Handle empty input, None and unicode in slugify.",
                                files={"src/slug.py": "def slugify(t):\n    return t.lower()\n"})
    decision = Router().decide(body, endpoint=CHAT, context=CTX)
    keep_local = Router().decide(body, endpoint=CHAT, context=replace(CTX, threshold=min(1.0, decision.score + 0.05)))
    send_cloud = Router().decide(body, endpoint=CHAT, context=replace(CTX, threshold=max(0.0, decision.score - 0.05)))
    assert keep_local.route == "local"
    assert send_cloud.route == "cloud"
    # The extremes of the slider.
    assert Router().decide(bodies.cline_act("Refactor"), endpoint=CHAT,
                           context=replace(CTX, threshold=1.0)).route == "local"
    assert Router().decide(body, endpoint=CHAT, context=replace(CTX, threshold=0.0)).route == "cloud"


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_share_kept_local_grows_with_the_slider(threshold: float) -> None:
    requests = [
        bodies.continue_chat("Explain this."), bodies.cline_act("Refactor"),
        bodies.continue_chat("Make it faster?"), bodies.continue_chat("Port this to Svelte 5 runes."),
        bodies.aider_diff("Rename foo", {"a.py": "def foo(): ..."}),
    ]
    router = Router()

    def local_share(t: float) -> int:
        ctx = replace(CTX, threshold=t)
        return sum(router.decide(b, endpoint=CHAT, context=ctx).route == "local" for b in requests)

    assert local_share(threshold) <= local_share(min(1.0, threshold + 0.3))


def test_offset_from_learning_raises_the_score() -> None:
    scorer = load_default_scorer()
    assert scorer is not None
    features = extract_features(bodies.continue_chat("Explain this function."))
    base, _ = scorer.score(features, CTX)
    raised, reasons = scorer.score(features, CTX, offset=6.0)
    assert raised > base
    assert reasons[0] == "learned_escalation"


def test_round_trip_through_json() -> None:
    scorer = LogisticScorer(weights={"kind_agent": 2.0}, bias=-1.0, means={"kind_agent": 0.3}, meta={"source": "t"})
    again = LogisticScorer.from_json(json.loads(json.dumps(scorer.to_json())))
    assert again == scorer
