"""A repeat is not a regenerate, one regenerate does not tip a kind, and agent tasks stay where they escalated.

The scenario from the review: 20 different "explain this function" requests, one of
them sent again unchanged, then 20 more — the later ones must stay local. Then the
real thing: the user's regenerate after reading a local answer escalates that
conversation, and only several of them move that kind of request.
"""

from __future__ import annotations

import time

from tests.emulators.anthropic import AnthropicEmulator, ToolUse
from tests.emulators.ollama import OllamaEmulator, ScriptedToolCall
from tests.proxy.conftest import READ_FILE_TOOL, RunningProxy, StartProxy

FUNCTIONS = [f"def step_{i}(values):\n    return [v * {i} + {i % 3} for v in values if v > {i}]\n" for i in range(45)]


def explain(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Explain what this function does:\n```python\n{FUNCTIONS[i]}```"}]


def route_of(proxy: RunningProxy, messages: list[dict[str, str]]) -> str:
    with proxy.http() as http:
        reply = http.post("/v1/chat/completions", json={"model": "hybrid-auto", "messages": messages})
    assert reply.status_code == 200, reply.text
    return reply.headers["x-hybridcoder-route"]


def test_a_repeated_request_does_not_teach_the_router_anything(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator,
                        **{"routing.learning": True, "proxy.retry_min_gap_s": 1.0})  # the production gap
    before = [route_of(proxy, explain(i)) for i in range(20)]
    assert before.count("local") >= 18
    assert route_of(proxy, explain(7)) == "local"  # sent again at once, as a script or a test does
    after = [route_of(proxy, explain(i)) for i in range(20, 40)]
    print(f"later explain requests kept local after the repeat: {after.count('local')} of 20")
    assert after.count("local") >= 18
    learner = proxy.server.state.router.learner  # type: ignore[union-attr]
    assert learner is not None and learner.stats()["examples"] == 0


def test_a_regenerate_escalates_its_conversation_and_several_move_the_kind(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    gap = 0.3
    proxy = start_proxy(ollama_emulator, anthropic_emulator,
                        **{"routing.learning": True, "proxy.retry_min_gap_s": gap})
    learner = proxy.server.state.router.learner  # type: ignore[union-attr]
    assert learner is not None
    assert route_of(proxy, explain(0)) == "local"
    time.sleep(gap + 0.2)  # the user reads the answer, then presses regenerate
    assert route_of(proxy, explain(0)) == "cloud"
    assert proxy.rows(2)[1]["fallback_cause"] == "client_retry"
    assert route_of(proxy, explain(1)) == "local"  # one regenerate does not move the kind
    for i in (2, 3, 4):  # more conversations of the same kind, each regenerated
        assert route_of(proxy, explain(i)) == "local"
        time.sleep(gap + 0.2)
        assert route_of(proxy, explain(i)) == "cloud"
    deadline = time.monotonic() + 5
    while learner.stats()["examples"] < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert learner.stats()["moved"] == 1
    assert route_of(proxy, explain(44)) == "cloud"  # now that kind goes to the cloud first
    row = proxy.rows(10)[-1]
    assert row["reasons"][0] == "learned_escalation"


def test_without_a_cloud_nothing_is_learned(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, **{"routing.learning": True, "proxy.retry_min_gap_s": 0.0})
    for _ in range(4):
        assert route_of(proxy, explain(5)) == "local"
    learner = proxy.server.state.router.learner  # type: ignore[union-attr]
    assert learner is not None and learner.stats()["examples"] == 0


def _cline_turn(task: str, turns: int) -> list[dict[str, object]]:
    messages: list[dict[str, object]] = [
        {"role": "system", "content": "You are Cline, a highly skilled software engineer. Use the tools."},
        {"role": "user", "content": f"<task>\n{task}\n</task>"},
    ]
    for n in range(turns):
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"call_{n}", "type": "function", "function": {"name": "read_file",
                                                                  "arguments": '{"path": "a.py"}'}}]})
        messages.append({"role": "tool", "tool_call_id": f"call_{n}", "content": f"contents {n}"})
    return messages


def agent_route(proxy: RunningProxy, messages: list[dict[str, object]]) -> str:
    with proxy.http() as http:
        reply = http.post("/v1/chat/completions", json={"model": "hybrid-auto", "messages": messages,
                                                          "tools": [READ_FILE_TOOL]})
    assert reply.status_code == 200, reply.text
    return reply.headers["x-hybridcoder-route"]


def test_an_agent_task_that_escalated_stays_on_the_cloud_and_a_new_task_starts_fresh(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    # A threshold that keeps nearly everything local, so the router alone would answer every turn locally.
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.threshold": 0.999})
    task = "Rename the helper in a.py"
    assert agent_route(proxy, _cline_turn(task, 0)) == "local"
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", {"wrong": "a.py"})])  # broken call
    anthropic_emulator.script_reply(tool_uses=[ToolUse("read_file", {"path": "a.py"})])
    assert agent_route(proxy, _cline_turn(task, 1)) == "cloud"  # the tool-call guard escalated the task
    assert agent_route(proxy, _cline_turn(task, 2)) == "cloud"  # the rest of the task stays there
    row = proxy.rows(3)[-1]
    assert row["reasons"][0] == "task_escalated" and row["fallback_cause"] is None
    assert agent_route(proxy, _cline_turn("Add a docstring to main()", 1)) == "local"  # a new task
