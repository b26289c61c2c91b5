"""Learning from this user's escalations: the same kind of request goes to the cloud first next time."""

from __future__ import annotations

import json
from pathlib import Path

from hybridcoder.paths import app_paths
from hybridcoder.routing.decision import RoutingContext
from hybridcoder.routing.features import extract_features
from hybridcoder.routing.learning import BUCKET_CAP, GLOBAL_CAP, GLOBAL_RATE, HALF_LIFE_S, MIN_EVENTS, Learner
from hybridcoder.routing.router import Router
from tests.routing import bodies

CTX = RoutingContext(cloud_available=True, local_context=16384)
FILES = {"src/report.py": "def total(rows):\n    return sum(r['amount'] for r in rows)\n"}


def hard_looking_simple() -> dict[str, object]:
    """A request the scorer keeps local, but which this user's local model keeps failing."""
    return bodies.continue_chat("Add type hints to this function.", files=FILES)


def test_one_escalation_does_not_move_a_kind_but_several_consistent_ones_do() -> None:
    router = Router(learner=Learner())
    body = hard_looking_simple()
    first = router.decide(body, endpoint="/v1/chat/completions", context=CTX)
    assert first.route == "local"
    assert router.learn_from(first.features, "invalid_tool_call")
    assert router.decide(body, endpoint="/v1/chat/completions", context=CTX).route == "local"  # one is not enough
    for _ in range(MIN_EVENTS - 1):
        assert router.learn_from(first.features, "invalid_tool_call")
    # The same request again, and a sibling of the same kind (different file, same shape).
    again = router.decide(body, endpoint="/v1/chat/completions", context=CTX)
    sibling = bodies.continue_chat("Add type hints to this function.",
                                   files={"src/other.py": "def mean(xs):\n    return sum(xs) / len(xs)\n"})
    assert again.route == "cloud"
    assert again.reasons[0] == "learned_escalation"
    assert "needed the cloud before" in again.sentence
    assert router.decide(sibling, endpoint="/v1/chat/completions", context=CTX).route == "cloud"
    assert router.learner is not None and router.learner.avoided_round_trips >= 1


def test_unrelated_requests_are_not_dragged_to_the_cloud() -> None:
    router = Router(learner=Learner())
    decision = router.decide(hard_looking_simple(), endpoint="/v1/chat/completions", context=CTX)
    for _ in range(20):  # a bad afternoon: many escalations of one kind
        router.learn_from(decision.features, "client_retry")
    for body in (bodies.continue_chat("Explain what this function does.", files=FILES),
                 bodies.continue_chat("Write pytest unit tests for slugify.", files=FILES)):
        assert router.decide(body, endpoint="/v1/chat/completions", context=CTX).route == "local"


def test_availability_failures_teach_nothing() -> None:
    learner = Learner()
    features = extract_features(hard_looking_simple())
    assert not learner.observe(features, "local_unreachable")
    assert not learner.observe(features, "local_model_missing")
    assert learner.adjustment(features) == 0.0
    assert learner.examples == 0


def test_adjustment_is_bounded_and_fades() -> None:
    learner = Learner()
    features = extract_features(hard_looking_simple())
    for _ in range(50):
        learner.observe(features, "manual_cloud", now=1000.0)
    peak = learner.adjustment(features, now=1000.0)
    assert 0 < peak <= BUCKET_CAP + GLOBAL_CAP
    assert learner.adjustment(features, now=1000.0 + 2 * HALF_LIFE_S) < peak / 3


def test_reset_forgets_everything_and_is_persisted() -> None:
    learner = Learner()
    features = extract_features(hard_looking_simple())
    for _ in range(MIN_EVENTS):
        learner.observe(features, "client_retry")
    assert Learner().adjustment(features) > 0  # a fresh process reads the saved state
    learner.reset()
    assert learner.adjustment(features) == 0.0
    assert Learner().adjustment(features) == 0.0
    assert learner.stats()["examples"] == 0


def test_state_file_holds_numbers_only(tmp_path: Path) -> None:
    learner = Learner()
    body = bodies.continue_chat("Add type hints to secret_function_name_xyz.", files=FILES)
    learner.observe(extract_features(body).numbers(), "manual_cloud")
    path = app_paths().state_dir / "routing_learning.json"
    text = path.read_text()
    assert "secret_function_name_xyz" not in text and "src/report.py" not in text
    assert json.loads(text)["examples"] == 1


def test_broken_state_file_means_a_fresh_start() -> None:
    path = app_paths().state_dir / "routing_learning.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    learner = Learner()
    assert learner.examples == 0
    assert learner.observe(extract_features(hard_looking_simple()), "client_retry")


def test_learning_off_changes_nothing() -> None:
    learner = Learner(enabled=False)
    features = extract_features(hard_looking_simple())
    assert not learner.observe(features, "manual_cloud")
    assert learner.adjustment(features) == 0.0


def test_learning_never_overrides_hard_constraints() -> None:
    router = Router(learner=Learner())
    decision = router.decide(hard_looking_simple(), endpoint="/v1/chat/completions", context=CTX)
    router.learn_from(decision.features, "manual_cloud")
    no_key = RoutingContext(cloud_available=False)
    assert router.decide(hard_looking_simple(), endpoint="/v1/chat/completions", context=no_key).route == "local"
    local_mode = RoutingContext(cloud_available=True, mode="local")
    assert router.decide(hard_looking_simple(), endpoint="/v1/chat/completions",
                         context=local_mode).route == "local"


def test_rules_router_learns_too() -> None:
    router = Router(learner=Learner(), rules_only=True)
    decision = router.decide(hard_looking_simple(), endpoint="/v1/chat/completions", context=CTX)
    assert decision.route == "local"
    for _ in range(MIN_EVENTS):
        router.learn_from(decision.features, "client_retry")
    assert router.decide(hard_looking_simple(), endpoint="/v1/chat/completions", context=CTX).route == "cloud"


def test_one_event_moves_the_learned_state_by_a_bounded_amount() -> None:
    learner = Learner()
    features = extract_features(bodies.continue_chat("Explain what this function does and why.", files=FILES))
    before = learner.adjustment(features)
    learner.observe(features, "client_retry")
    assert learner.adjustment(features) - before <= GLOBAL_RATE  # no bucket jump from one event


def test_kept_local_answers_count_against_a_learned_kind() -> None:
    learner = Learner()
    features = extract_features(hard_looking_simple())
    for _ in range(MIN_EVENTS):
        learner.observe(features, "client_retry", now=1000.0)
    assert learner.adjustment(features, now=1000.0) > 0
    for _ in range(6):
        learner.observe_success(features, now=1000.0)
    assert learner.adjustment(features, now=1000.0) <= GLOBAL_CAP  # the kind itself no longer leans cloud


def test_learned_kinds_fade_within_days() -> None:
    assert HALF_LIFE_S <= 7 * 24 * 3600


def test_status_says_what_was_learned_and_from_which_events() -> None:
    learner = Learner()
    features = extract_features(hard_looking_simple())
    learner.observe(features, "client_retry")
    learner.observe(features, "invalid_tool_call")
    stats = learner.stats()
    (kind,) = stats["classes"]
    assert kind["causes"] == {"client_retry": 1, "invalid_tool_call": 1}
    assert not kind["moved"] and stats["moved"] == 0  # two events: not yet
    learner.observe(features, "client_retry")
    assert learner.stats()["classes"][0]["moved"] and learner.stats()["by_cause"]["client_retry"] == 2
