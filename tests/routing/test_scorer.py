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
    known = set(feature_vector(extract_features(bodies.cline_act("x")), CTX)) | {"unfamiliar_names"}
    assert set(scorer.weights) <= known
    assert scorer.terms and scorer.familiar  # the words and the names it learnt ship with it


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


# --- issue 11: what the shipped scorer does with requests whose surface misleads ------------------

def _plan_mode(body: dict[str, object]) -> dict[str, object]:
    """A Cline request as plan mode sends it: read-only tools, "PLAN MODE" in the environment details."""
    messages = body["messages"]
    assert isinstance(messages, list)
    parts = messages[1]["content"]
    parts[1]["text"] = parts[1]["text"].replace(
        "</environment_details>", "# Current Mode\nPLAN MODE\n</environment_details>")
    tools = body["tools"]
    assert isinstance(tools, list)
    body["tools"] = [t for t in tools if t["function"]["name"] in ("read_file", "search_files", "list_files")]
    return body


def test_a_big_file_with_a_one_function_question_stays_local() -> None:
    # ~36k characters (about 9k tokens): large, but it fits the 16k window, and the ask is about one function.
    code = "\n".join(f"def helper_{i}(x):\n    '''Return x scaled by {i}.'''\n    return x * {i} + {i % 7}\n"
                     for i in range(600))
    body = bodies.continue_chat("What does helper_17 do?", files={"src/helpers.py": code})
    features = extract_features(body)
    assert features.prompt_tokens > 8000
    decision = Router().decide(body, endpoint=CHAT, context=CTX)
    assert decision.route == "local", decision.sentence
    assert "context_overflow" not in decision.reasons and "large_prompt" not in decision.reasons


def test_a_cline_plan_mode_prose_question_stays_local() -> None:
    body = _plan_mode(bodies.cline_act("Explain what parse_config returns when the file is empty."))
    features = extract_features(body)
    assert features.kind == "agent" and features.tools and features.plan_mode
    decision = Router().decide(body, endpoint=CHAT, context=CTX)
    assert decision.route == "local", decision.sentence


def test_alarming_words_in_an_easy_ask_stay_local() -> None:
    cache = ("import threading\n\nclass Cache:\n    def __init__(self):\n        self._lock = threading.Lock()\n"
             "        self._data = {}\n\n    def get(self, key):\n        with self._lock:\n"
             "            return self._data.get(key)\n")
    body = bodies.continue_chat("Add a docstring to this thread-safe cache's get method.", files={"src/cache.py": cache})
    assert Router().decide(body, endpoint=CHAT, context=CTX).route == "local"


def test_a_real_multi_file_task_goes_to_the_cloud() -> None:
    files = {
        "app/models.py": "class User:\n    name: str\n",
        "app/api.py": "from app.models import User\n\ndef get(user: User) -> str:\n    return user.name\n",
        "app/schemas.py": "from app.models import User\n\nclass UserOut:\n    name: str\n",
    }
    body = bodies.continue_chat("Rename User.name to display_name and update the API and the schema that use it.",
                                files=files)
    decision = Router().decide(body, endpoint=CHAT, context=CTX)
    assert decision.route == "cloud", decision.sentence
    assert "many_files" in decision.reasons


def test_a_tool_loop_under_way_goes_to_the_cloud() -> None:
    body = bodies.cline_act("Fix the failing build and run the tests again.", reads=["src/a.py", "src/b.py"])
    features = extract_features(body)
    assert features.pending_tool_result and features.tool_messages == 4
    decision = Router().decide(body, endpoint=CHAT, context=CTX)
    assert decision.route == "cloud"
    assert "tool_history" in decision.reasons or "your_words" in decision.reasons


def test_word_reasons_are_readable_and_the_recorded_codes_carry_no_words() -> None:
    body = bodies.continue_chat("Explain what this function does.", files={"src/a.py": "def f(x):\n    return x + 1\n"})
    decision = Router().decide(body, endpoint=CHAT, context=CTX)
    assert decision.route == "local"
    assert "your_words" in decision.reasons
    assert all(":" not in code for code in decision.reasons)  # the ledger keeps codes only
    assert "Your words ('" in decision.sentence or "your words ('" in decision.sentence
    assert "explain" in decision.sentence.lower()


def test_the_words_learnt_are_what_moves_the_score() -> None:
    scorer = load_default_scorer()
    assert scorer is not None
    plain = extract_features(bodies.continue_chat("Explain what this function does.", files={"a.py": "x = 1"}))
    without_words = replace(plain, terms=())
    # The same request with its words hidden scores differently: the words are an input, not decoration.
    assert scorer.probability(plain, CTX) != scorer.probability(without_words, CTX)
    assert scorer.probability(plain, CTX) < scorer.probability(without_words, CTX)


def test_a_name_the_training_data_never_mentions_pushes_towards_the_cloud() -> None:
    scorer = load_default_scorer()
    assert scorer is not None
    assert scorer.weights.get("unfamiliar_names", 0.0) > 0
    known = extract_features(bodies.continue_chat("Write a small Flask app with one route."))
    new = extract_features(bodies.continue_chat("Write a small Zorblax app with one route."))
    assert new.names and scorer.unfamiliar(new) > scorer.unfamiliar(known)
    assert scorer.probability(new, CTX) > scorer.probability(known, CTX)
