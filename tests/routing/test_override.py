"""@cloud / @local at the start of the last user message: detected, stripped, the caller's body untouched."""

from __future__ import annotations

import copy

from hybridcoder.routing.override import strip_override
from tests.routing import bodies


def test_cloud_override_stripped_from_string_content() -> None:
    body = bodies.continue_chat("@cloud why does this deadlock?")
    original = copy.deepcopy(body)
    stripped, override = strip_override(body)
    assert override == "cloud"
    assert stripped["messages"][-1]["content"] == "why does this deadlock?"
    assert body == original  # the caller's dict is not mutated
    assert stripped["messages"][0] is body["messages"][0]  # untouched messages are shared, not copied


def test_local_override_with_colon_and_case() -> None:
    stripped, override = strip_override({"messages": [{"role": "user", "content": "  @LOCAL: explain this"}]})
    assert override == "local"
    assert stripped["messages"][0]["content"] == "explain this"


def test_override_in_content_parts_keeps_clines_task_tag() -> None:
    body = bodies.cline_act("@cloud migrate the auth flow")
    stripped, override = strip_override(body)
    assert override == "cloud"
    assert stripped["messages"][1]["content"][0]["text"] == "<task>\nmigrate the auth flow\n</task>"
    assert stripped["messages"][1]["content"][1] == body["messages"][1]["content"][1]
    assert "@cloud" in body["messages"][1]["content"][0]["text"]


def test_only_the_last_user_message_counts() -> None:
    body = {"messages": [
        {"role": "user", "content": "@cloud first question"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "follow-up"},
    ]}
    stripped, override = strip_override(body)
    assert override is None
    assert stripped is body


def test_last_user_message_found_behind_tool_results() -> None:
    body = {"messages": [
        {"role": "user", "content": "@local list the files"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "type": "function",
                                                             "function": {"name": "ls", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "1", "content": "a.py"},
    ]}
    stripped, override = strip_override(body)
    assert override == "local"
    assert stripped["messages"][0]["content"] == "list the files"
    assert stripped["messages"][2] is body["messages"][2]


def test_at_sign_elsewhere_is_not_an_override() -> None:
    for text in ("email me @cloud", "@cloudflare workers: how to deploy?", "use @local_var", "@ cloud"):
        stripped, override = strip_override({"messages": [{"role": "user", "content": text}]})
        assert override is None, text
        assert stripped["messages"][0]["content"] == text


def test_bodies_without_messages_pass_through() -> None:
    for body in ({"prompt": "@cloud x"}, {"messages": "x"}, {}):
        stripped, override = strip_override(body)
        assert override is None
        assert stripped is body
