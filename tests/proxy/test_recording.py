"""Ledger rows: which tool sent a request, and token counts when the upstream reports none."""

from __future__ import annotations

import pytest

from hybridcoder.proxy.backends.base import Usage
from hybridcoder.proxy.recording import RequestTrace, client_from_request, client_from_user_agent
from hybridcoder.proxy.retry import RetryTracker, conversation_fingerprint


@pytest.mark.parametrize(("agent", "client"), [
    (b"Cline/3.66.0", "cline"),
    (b"ai-sdk/openai-compatible/3.0.37 runtime/node", "ai-sdk"),
    (b"ls/JS 5.23.2", "continue"),
    (b"OpenAI/Python 2.20.0", "openai-sdk"),
    (b"OpenAI/JS 5.1.0", "openai-sdk"),
    (b"ollama-python/0.6.3 (x86_64 linux) Python/3.11.7", "ollama-python"),
    (b"aider/0.86", "aider"),
    (b"curl/8.5.0", "curl"),
    (b"Mozilla/5.0 something", "other"),
    (None, "unknown"),
])
def test_client_is_named_from_the_user_agent(agent: bytes | None, client: str) -> None:
    assert client_from_user_agent(agent) == client


def test_aider_is_recognised_behind_the_openai_sdk() -> None:
    body = {"messages": [{"role": "system", "content": "Act as an expert software developer.\nAlways use best practices"}]}
    assert client_from_request(b"OpenAI/Python 2.20.0", body) == "aider"
    assert client_from_request(b"OpenAI/Python 2.20.0", {"messages": []}) == "openai-sdk"


def test_tokens_are_estimated_when_upstream_reports_none() -> None:
    trace = RequestTrace("/v1/chat/completions", "cline", start=0.0)
    trace.completion_chars = 400
    record = trace.record({"messages": [{"role": "user", "content": "x" * 800}]}, end=1.0)
    assert (record.prompt_tokens, record.completion_tokens, record.tokens_estimated) == (200, 100, True)
    assert record.total_ms == 1000.0 and record.ttft_ms is None
    trace.usage = Usage(prompt_tokens=7, completion_tokens=3, cache_read_tokens=2)
    exact = trace.record({"messages": []}, end=1.0)
    assert (exact.prompt_tokens, exact.completion_tokens, exact.cache_read_tokens, exact.tokens_estimated) == (7, 3, 2, False)
    assert exact.prompt_text is None


def test_retry_memory_is_keyed_by_conversation_shape_and_window() -> None:
    tracker = RetryTracker(window_s=10)
    first = {"model": "hybrid-auto", "messages": [{"role": "system", "content": "rules"},
                                                  {"role": "user", "content": "fix it"}]}
    turn = {**first, "messages": [*first["messages"], {"role": "assistant", "content": "ok"},
                                  {"role": "tool", "content": "result"}]}
    fingerprint = conversation_fingerprint(first)
    tracker.remember(fingerprint, "local", now=100.0)
    assert tracker.previous_route(conversation_fingerprint(dict(first)), now=105.0) == "local"
    assert tracker.previous_route(conversation_fingerprint(turn), now=105.0) is None  # agent loop moved on
    assert tracker.previous_route(fingerprint, now=111.0) is None  # window passed
    assert conversation_fingerprint({"prompt": "x"}) is None


def test_a_repeat_is_a_regenerate_only_from_the_same_client_after_a_pause_and_not_again_and_again() -> None:
    tracker = RetryTracker(window_s=120, min_gap_s=1.0, max_repeats=2)
    body = {"model": "hybrid-auto", "messages": [{"role": "user", "content": "explain this"}]}
    fingerprint = conversation_fingerprint(body)
    tracker.remember(fingerprint, "local", client="continue", now=100.0)
    assert tracker.previous_route(fingerprint, client="script", now=103.0) is None     # another client
    assert tracker.previous_route(fingerprint, client="continue", now=100.2) is None   # too soon for a person
    assert tracker.previous_route(fingerprint, client="continue", now=104.0) is None   # third repeat: a script
    fresh = RetryTracker(window_s=120, min_gap_s=1.0)
    fresh.remember(fingerprint, "local", client="continue", now=100.0)
    assert fresh.previous_route(fingerprint, client="continue", now=104.0) == "local"  # a person, once
    assert conversation_fingerprint({"prompt": "x"}) is None
