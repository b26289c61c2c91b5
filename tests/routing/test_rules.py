"""The first-version rules and the hard constraints every router honours."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hybridcoder.routing.decision import RoutingContext
from hybridcoder.routing.router import Router, RulesRouter
from tests.routing import bodies

CTX = RoutingContext(mode="auto", cloud_available=True, local_context=16384)
CHAT = "/v1/chat/completions"
ROUTERS = [RulesRouter(), Router()]


def decide(body: dict[str, object], ctx: RoutingContext = CTX, endpoint: str = CHAT,
           router: RulesRouter | Router | None = None):  # type: ignore[no-untyped-def]
    return (router or RulesRouter()).decide(body, endpoint=endpoint, context=ctx)


@pytest.mark.parametrize("router", ROUTERS, ids=["rules", "router"])
def test_local_categories_stay_local(router: RulesRouter | Router) -> None:
    func = {"src/util.py": "def slugify(text: str) -> str:\n    return text.lower().replace(' ', '-')\n"}
    for body in (
        bodies.continue_chat("Explain what this function does.", files=func),
        bodies.continue_chat("Write pytest unit tests for slugify.", files=func),
        bodies.continue_chat("Add a Google-style docstring to this function.", files=func),
        bodies.aider_diff("Extract the normalisation into a helper function.", func),
    ):
        decision = decide(body, router=router)
        assert decision.route == "local", decision.sentence


@pytest.mark.parametrize("router", ROUTERS, ids=["rules", "router"])
def test_cloud_categories_go_to_the_cloud(router: RulesRouter | Router) -> None:
    files = {f"src/svc/{name}.py": f"import {name}\n" for name in ("auth", "session", "db", "api")}
    rules = [f"Rule {i}: follow the house style for case {i}." for i in range(25)]
    huge = {"src/big.py": "x = 1\n" * 15000}
    # The learned router reads a first agent turn by its task ("your words"), not by the tools alone.
    agent_reasons = {"agent_tools"} if isinstance(router, RulesRouter) else {"agent_tools", "your_words"}
    for body, reasons in (
        (bodies.cline_act("Add input validation to the signup form"), agent_reasons),
        (bodies.continue_chat("How does a login flow through these?", files=files), {"many_files"}),
        (bodies.continue_chat("Add a flag.", rules=rules), {"long_rules"}),
        (bodies.continue_chat("Summarise this file.", files=huge), {"context_overflow"}),
    ):
        decision = decide(body, router=router)
        assert decision.route == "cloud", decision.sentence
        assert reasons & set(decision.reasons), decision.reasons


def test_autocomplete_is_local_even_in_cloud_mode() -> None:
    body = bodies.continue_autocomplete("def f(", ")")
    decision = decide(body, replace(CTX, mode="cloud"), endpoint="/v1/completions")
    assert (decision.route, decision.reasons[0]) == ("local", "autocomplete")


def test_mode_forces_the_route() -> None:
    agent = bodies.cline_act("Refactor everything")
    simple = bodies.continue_chat("Explain this.")
    assert decide(agent, replace(CTX, mode="local")).route == "local"
    assert decide(simple, replace(CTX, mode="cloud")).route == "cloud"
    assert decide(simple, replace(CTX, mode="cloud")).reasons == ["mode_cloud"]


def test_no_cloud_key_keeps_everything_local_with_a_reason() -> None:
    decision = decide(bodies.cline_act("Refactor everything"), replace(CTX, cloud_available=False))
    assert decision.route == "local"
    assert decision.reasons == ["no_cloud_key"]
    assert "No cloud key" in decision.sentence


def test_budget_exhausted_keeps_local_even_with_cloud_override() -> None:
    decision = decide(bodies.continue_chat("@cloud design the schema"), replace(CTX, budget_exhausted=True))
    assert decision.route == "local"
    assert decision.reasons == ["budget_exhausted"]
    assert decision.override == "cloud"


def test_overrides_win_over_policy_and_mode() -> None:
    assert decide(bodies.continue_chat("@cloud explain this")).route == "cloud"
    assert decide(bodies.cline_act("@local refactor the whole codebase")).route == "local"
    assert decide(bodies.continue_chat("@cloud explain"), replace(CTX, mode="local")).route == "cloud"


def test_override_passed_after_stripping_is_honoured() -> None:
    decision = RulesRouter().decide(bodies.continue_chat("explain"), endpoint=CHAT, context=CTX, override="cloud")
    assert decision.route == "cloud"
    assert decision.reasons == ["override_cloud"]


def test_every_decision_has_reasons_and_one_sentence() -> None:
    for body in (bodies.cline_act("x"), bodies.continue_chat("Explain."), bodies.continue_chat("@cloud x")):
        decision = decide(body)
        assert decision.reasons
        assert decision.sentence.endswith((": sent to the cloud.", ": kept local."))
        assert decision.sentence.count(". ") == 0  # one sentence
        assert decision.features  # numbers for the ledger


def test_sentence_names_the_numbers() -> None:
    decision = decide(bodies.cline_act("Do it"))
    assert f"{len(bodies.CLINE_TOOLS)} tools" in decision.sentence
