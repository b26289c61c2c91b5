"""Failure handling: local down, broken tool calls, cloud errors, client retries, client disconnects."""

from __future__ import annotations

import json
import socket
import time

import httpx
import openai
import pytest

from tests.emulators.anthropic import AnthropicEmulator, ToolUse
from tests.emulators.ollama import OllamaEmulator, ScriptedToolCall
from tests.proxy.conftest import CHAT, READ_FILE_TOOL, StartProxy


def test_local_down_goes_to_the_cloud(anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(None, anthropic_emulator)  # nothing listens where Ollama should be
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert reply.choices[0].message.content == "Echo: " + CHAT[0]["content"]
    (row,) = proxy.rows(1)
    assert (row["route"], row["first_choice"], row["fallback_cause"]) == ("cloud", "local", "local_unreachable")
    assert row["status"] == 200 and row["provider"] == "anthropic"


@pytest.mark.parametrize(("fault", "cause"), [("http_500", "local_5xx"), ("oom", "local_oom")])
def test_local_error_before_first_byte_streams_from_the_cloud(fault: str, cause: str,
                                                              ollama_emulator: OllamaEmulator,
                                                              anthropic_emulator: AnthropicEmulator,
                                                              start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    ollama_emulator.fail_next(fault, path="/api/chat")
    chunks = list(proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith("Echo:")
    (row,) = proxy.rows(1)
    assert (row["route"], row["fallback_cause"]) == ("cloud", cause)


def test_time_to_first_token_timeout_falls_back(ollama_emulator: OllamaEmulator,
                                                anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"proxy.first_token_timeout_s": 0.3})
    ollama_emulator.first_token_delay_s = 5.0
    started = time.monotonic()
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert reply.choices[0].message.content and time.monotonic() - started < 4
    (row,) = proxy.rows(1)
    assert (row["route"], row["fallback_cause"]) == ("cloud", "local_ttft_timeout")
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled >= 1)


@pytest.mark.parametrize("arguments", ['{"path": "a.py"', {"wrong": "a.py"}])
def test_invalid_local_tool_call_is_retried_on_the_cloud(arguments: object, ollama_emulator: OllamaEmulator,
                                                         anthropic_emulator: AnthropicEmulator,
                                                         start_proxy: StartProxy) -> None:
    """Broken JSON or a missing required parameter never reaches the agent: the cloud answers instead."""
    # A high threshold keeps this agent request local first, with the cloud as fallback.
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.threshold": 1.0})
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", arguments)])  # type: ignore[arg-type]
    anthropic_emulator.script_reply(tool_uses=[ToolUse("read_file", {"path": "a.py"})])
    chunks = list(proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT,
                                                         tools=[READ_FILE_TOOL], stream=True))
    arguments_seen = "".join(call.function.arguments or "" for c in chunks if c.choices
                             for call in c.choices[0].delta.tool_calls or [])
    assert json.loads(arguments_seen) == {"path": "a.py"}
    assert len(ollama_emulator.requests_to("/api/chat")) == 1
    (row,) = proxy.rows(1)
    assert (row["route"], row["first_choice"], row["fallback_cause"]) == ("cloud", "local", "invalid_tool_call")


def test_valid_local_tool_call_is_passed_on(ollama_emulator: OllamaEmulator,
                                            anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.threshold": 1.0})
    ollama_emulator.script_reply(tool_calls=[ScriptedToolCall("read_file", {"path": "b.py"})])
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT, tools=[READ_FILE_TOOL])
    (call,) = reply.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"path": "b.py"}
    assert anthropic_emulator.message_bodies() == []
    (row,) = proxy.rows(1)
    assert row["route"] == "local" and row["fallback_cause"] is None


@pytest.mark.parametrize(("status", "cause"), [(429, "cloud_rate_limited"), (529, "cloud_overloaded")])
def test_cloud_overloaded_is_served_locally_when_the_router_chose_the_cloud(
        status: int, cause: str, ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
        start_proxy: StartProxy) -> None:
    # Threshold 0: the router sends every routable request to the cloud, whatever the scorer's weights.
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.threshold": 0.0})
    anthropic_emulator.fail_next(status, retry_after=0.01, times=5)
    # A multi-step agent task (tools offered for a one-step "explain" would be routed local).
    task = [{"role": "user", "content": "Read src/app.py, fix the failing test and run the suite again."}]
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=task, tools=[READ_FILE_TOOL])
    assert reply.choices[0].message.content == "Echo: " + task[0]["content"]
    (row,) = proxy.rows(1)
    assert (row["route"], row["first_choice"], row["fallback_cause"]) == ("local", "cloud", cause)


@pytest.mark.parametrize(("status", "error_class"), [(429, openai.RateLimitError),
                                                      (529, openai.InternalServerError)])
def test_cloud_overloaded_is_a_clear_error_when_the_cloud_was_asked_for(
        status: int, error_class: type[Exception], ollama_emulator: OllamaEmulator,
        anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    anthropic_emulator.fail_next(status, retry_after=0.01, times=5)
    with pytest.raises(error_class) as caught:
        proxy.openai().chat.completions.create(model="hybrid-cloud", messages=CHAT)
    body = caught.value.body  # type: ignore[attr-defined]
    assert isinstance(body, dict) and body["code"].startswith("cloud_") and "Anthropic" in body["message"]
    assert ollama_emulator.requests_to("/api/chat") == []
    (row,) = proxy.rows(1)
    assert row["status"] == caught.value.status_code and row["route"] == "cloud"  # type: ignore[attr-defined]


def test_rejected_cloud_key_names_which_key(ollama_emulator: OllamaEmulator,
                                            anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    anthropic_emulator.api_key = "sk-ant-api03-a-different-key-000000000000"
    with pytest.raises(openai.APIStatusError) as caught:
        proxy.openai().chat.completions.create(model="hybrid-cloud", messages=CHAT)
    body = caught.value.body
    assert isinstance(body, dict) and body["code"] == "cloud_auth"
    assert "Anthropic key" in body["message"] and "keyring" in body["message"]
    assert "emulator-key" not in body["message"]  # masked, never the key itself


def test_client_retry_escalates_to_the_cloud(ollama_emulator: OllamaEmulator,
                                             anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    client = proxy.openai()
    client.chat.completions.create(model="hybrid-auto", messages=CHAT)
    client.chat.completions.create(model="hybrid-auto", messages=CHAT)  # "regenerate"
    other = [{"role": "user", "content": "write a docstring for add"}]
    client.chat.completions.create(model="hybrid-auto", messages=other)
    rows = proxy.rows(3)
    assert [(r["route"], r["fallback_cause"]) for r in rows] == [
        ("local", None), ("cloud", "client_retry"), ("local", None)]
    assert len(anthropic_emulator.message_bodies()) == 1


def test_without_a_cloud_key_everything_is_local(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    client = proxy.openai()
    client.chat.completions.create(model="hybrid-auto", messages=CHAT, tools=[READ_FILE_TOOL])
    client.chat.completions.create(model="hybrid-cloud", messages=CHAT)
    client.chat.completions.create(model="hybrid-auto", messages=[{"role": "user", "content": "@cloud hi"}])
    client.chat.completions.create(model="hybrid-auto", messages=CHAT)  # a retry: no cloud to escalate to
    rows = proxy.rows(4)
    assert [r["route"] for r in rows] == ["local"] * 4
    assert all(r["status"] == 200 for r in rows)
    assert rows[1]["fallback_cause"] == "no_cloud_key"


def test_local_down_without_cloud_is_a_clear_error(start_proxy: StartProxy) -> None:
    proxy = start_proxy(None)
    with pytest.raises(openai.APIStatusError) as caught:
        proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert caught.value.status_code == 502
    body = caught.value.body
    assert isinstance(body, dict) and body["code"] == "local_unreachable" and "ollama serve" in body["message"]


def test_client_disconnect_cancels_the_upstream(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    ollama_emulator.chunk_delay_s = 0.05
    ollama_emulator.script_reply(chunks=[f"tok{i} " for i in range(400)])
    with httpx.Client(timeout=10) as http, http.stream(
            "POST", proxy.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {proxy.token}"},
            json={"model": "hybrid-auto", "messages": CHAT, "stream": True}) as response:
        lines = response.iter_lines()
        assert next(line for line in lines if line.startswith("data:"))
    # The connection is closed: the proxy must drop its upstream request well before 400 chunks (20 s).
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled >= 1, timeout=5)
    (row,) = proxy.rows(1)
    assert row["status"] == 499 and row["error"] == "client_disconnected"


def test_client_disconnect_while_waiting_for_the_first_token(ollama_emulator: OllamaEmulator,
                                                             start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    ollama_emulator.first_token_delay_s = 30
    body = json.dumps({"model": "hybrid-auto", "messages": CHAT, "stream": True}).encode()
    with socket.create_connection(("127.0.0.1", proxy.server.port)) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: Bearer " + proxy.token.encode() + b"\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert ollama_emulator.wait_for(lambda: len(ollama_emulator.requests_to("/api/chat")) == 1)
    assert ollama_emulator.wait_for(lambda: ollama_emulator.cancelled >= 1, timeout=5)
    (row,) = proxy.rows(1)
    assert row["status"] == 499


@pytest.mark.parametrize("on_exhausted", ["local", "ask"])
def test_used_up_budget_keeps_requests_local(on_exhausted: str, ollama_emulator: OllamaEmulator,
                                            anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator,
                        **{"budget.daily_usd": 0.000001, "budget.on_exhausted": on_exhausted})
    client = proxy.openai()
    client.chat.completions.create(model="hybrid-cloud", messages=CHAT)  # spends past the cap
    proxy.rows(1)
    client.chat.completions.create(model="hybrid-auto", messages=CHAT, tools=[READ_FILE_TOOL])
    rows = proxy.rows(2)
    assert rows[0]["route"] == "cloud"
    assert rows[1]["route"] == "local" and rows[1]["reasons"] == ["budget_exhausted"]
    if on_exhausted == "ask":
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="hybrid-cloud", messages=[{"role": "user", "content": "more"}])
        assert caught.value.status_code == 402
    else:
        reply = client.chat.completions.create(model="hybrid-cloud", messages=[{"role": "user", "content": "more"}])
        assert reply.choices[0].message.content == "Echo: more"
        assert proxy.rows(3)[2]["fallback_cause"] == "budget_exhausted"
    assert len(anthropic_emulator.message_bodies()) == 1


def test_failure_after_the_first_byte_is_an_in_stream_error(ollama_emulator: OllamaEmulator,
                                                            anthropic_emulator: AnthropicEmulator,
                                                            start_proxy: StartProxy) -> None:
    """Once text reached the client, switching models would splice two answers: say what broke instead."""
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    ollama_emulator.script_reply(chunks=["one ", "two ", "three ", "four "])
    ollama_emulator.fail_next("in_stream_error", path="/api/chat", after_chunks=2, message="model crashed")
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT, stream=True):
            received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
    assert "".join(received).startswith("one ") and "model crashed" in str(caught.value)
    assert anthropic_emulator.message_bodies() == []
    (row,) = proxy.rows(1)
    assert row["route"] == "local" and row["status"] >= 500 and row["error"]


def test_non_streaming_failure_mid_answer_still_falls_back(ollama_emulator: OllamaEmulator,
                                                           anthropic_emulator: AnthropicEmulator,
                                                           start_proxy: StartProxy) -> None:
    """A non-streaming answer is collected before anything is sent, so a mid-answer failure is unseen."""
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    ollama_emulator.script_reply(chunks=["one ", "two ", "three "])
    ollama_emulator.fail_next("drop", path="/api/chat", after_chunks=2)
    reply = proxy.openai().chat.completions.create(model="hybrid-auto", messages=CHAT)
    assert reply.choices[0].message.content == "Echo: " + CHAT[0]["content"]
    (row,) = proxy.rows(1)
    assert (row["route"], row["first_choice"]) == ("cloud", "local") and row["fallback_cause"].startswith("local_")
