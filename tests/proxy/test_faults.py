"""Cloud and local faults as a user meets them: 429/529, both sides failing, and where the cloud lives.

The router owns retries: a rate-limited cloud is not retried in place (the SDK runs
with ``max_retries=0``), an auto-routed request falls back at once, the provider's
``Retry-After`` reaches the client, and the provider is left alone as long as it asked.
"""

from __future__ import annotations

import time

import pytest

from hybridcoder.keys import KeyStore
from hybridcoder.proxy.server import ProxyServer
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, TOKEN, RunningProxy, StartProxy, proxy_settings

ALWAYS_CLOUD = {"routing.threshold": 0.0}  # every auto-routed chat request scores ≥ 0: the router picks the cloud
ALWAYS_LOCAL = {"routing.threshold": 1.01}


def test_cloud_429_falls_back_at_once_and_the_provider_cools_down(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **ALWAYS_CLOUD)
    anthropic_emulator.fail_next(429, retry_after=30, times=5)
    body = {"model": "hybrid-auto", "messages": CHAT}
    with proxy.http() as http:
        started = time.monotonic()
        first = http.post("/v1/chat/completions", json=body)
        elapsed = time.monotonic() - started
        second = http.post("/v1/chat/completions", json=body)
    assert first.status_code == 200 and first.headers["x-hybridcoder-route"] == "local"
    assert elapsed < 2.0  # no SDK back-off (it held clients 14 s)
    assert second.status_code == 200 and second.headers["x-hybridcoder-route"] == "local"
    assert len(anthropic_emulator.message_bodies()) == 1  # cooling down: the second never asked the cloud
    rows = proxy.rows(2)
    assert [(r["first_choice"], r["route"], r["fallback_cause"]) for r in rows] == [
        ("cloud", "local", "cloud_rate_limited"), ("cloud", "local", "cloud_cooling_down")]


def test_explicit_cloud_429_passes_retry_after_on(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    anthropic_emulator.fail_next(429, retry_after=30, times=5)
    body = {"model": "hybrid-cloud", "messages": CHAT}
    with proxy.http() as http:
        first = http.post("/v1/chat/completions", json=body)
        again = http.post("/v1/chat/completions", json=body)
    assert first.status_code == 429 and first.headers["retry-after"] == "30"
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert again.status_code == 429 and 1 <= int(again.headers["retry-after"]) <= 30
    assert len(anthropic_emulator.message_bodies()) == 1


def test_cloud_529_is_overloaded_not_rate_limited(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    anthropic_emulator.fail_next(529, times=1)
    with proxy.http() as http:
        reply = http.post("/v1/chat/completions", json={"model": "hybrid-cloud", "messages": CHAT})
    assert reply.status_code == 503
    error = reply.json()["error"]
    assert error["type"] == "overloaded_error" and error["code"] == "cloud_overloaded"


def test_both_sides_failing_says_both_and_records_the_local_failure(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **ALWAYS_LOCAL)
    ollama_emulator.fail_next("http_500")
    anthropic_emulator.fail_next(500, message="upstream exploded", times=1)
    with proxy.http() as http:
        reply = http.post("/v1/chat/completions", json={"model": "hybrid-auto", "messages": CHAT})
    assert reply.status_code == 502
    message = reply.json()["error"]["message"]
    assert "Both sides failed" in message and "Ollama failed (HTTP 500" in message and "Anthropic failed" in message
    (row,) = proxy.rows(1)
    assert (row["first_choice"], row["route"], row["fallback_cause"], row["error"]) == (
        "local", "cloud", "local_5xx", "local_5xx+cloud_5xx")


def test_both_sides_failing_when_ollama_is_down_and_no_chat_model_is_set(
        anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(None, anthropic_emulator, **{"models.chat": "", **ALWAYS_LOCAL})
    anthropic_emulator.fail_next(500, message="upstream exploded", times=1)
    with proxy.http() as http:
        reply = http.post("/v1/chat/completions", json={"model": "hybrid-auto", "messages": CHAT})
    assert reply.status_code == 502
    message = reply.json()["error"]["message"]
    assert "Both sides failed" in message and "local" in message and "Anthropic failed" in message
    (row,) = proxy.rows(1)
    assert row["error"].endswith("+cloud_5xx") and row["error"].startswith("local_")


@pytest.mark.parametrize("settings_url", [False, True])
def test_anthropic_base_url_is_honoured_when_settings_name_none(
        settings_url: bool, ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    KeyStore().set("anthropic", DEFAULT_KEY)
    settings = proxy_settings(ollama_emulator, None)
    with AnthropicEmulator() as decoy:
        if settings_url:  # the settings name one: they win over the variable
            settings.cloud.anthropic_base_url = anthropic_emulator.url
            monkeypatch.setenv("ANTHROPIC_BASE_URL", decoy.url)
        else:
            monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_emulator.url)
        with ProxyServer(settings) as server, RunningProxy(server, TOKEN).http() as http:
            reply = http.post("/v1/chat/completions", json={"model": "hybrid-cloud", "messages": CHAT})
        assert reply.status_code == 200, reply.text
        assert len(anthropic_emulator.message_bodies()) == 1 and decoy.message_bodies() == []


def test_openai_base_url_is_honoured_when_settings_name_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridcoder.settings import Settings

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert Settings().cloud.openai_url() == "http://127.0.0.1:9/v1"
    settings = Settings()
    settings.cloud.openai_base_url = "http://gpu-box:8000/v1"
    assert settings.cloud.openai_url() == "http://gpu-box:8000/v1"


def _nested_schema(levels: int, leaf: dict[str, object] | None = None) -> dict[str, object]:
    schema: dict[str, object] = leaf or {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _deep_body(model: str, depth: int) -> dict[str, object]:
    """A chat body whose tool parameters make it exactly ``depth`` levels deep."""
    for levels in range(depth):
        for leaf in ({"type": "string"}, {"type": "string", "enum": ["x"]}):  # the list adds one level
            body = {"model": model, "messages": CHAT, "tools": [
                {"type": "function", "function": {"name": "f", "parameters": _nested_schema(levels, leaf)}}]}
            if _depth(body) == depth:
                return body
    raise AssertionError(depth)


def test_deep_nesting_is_a_400_in_the_clients_format_never_a_500(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    """~127 levels of schema used to be a 500 (orjson cannot re-encode it); the limit is what it can write."""
    import json
    import sys

    from hybridcoder.proxy.validation import MAX_JSON_DEPTH

    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    review = {"model": "hybrid-local", "messages": CHAT, "tools": [
        {"type": "function", "function": {"name": "f", "parameters": _nested_schema(127)}}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": _nested_schema(127)}}}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)  # only to write the test bodies with the standard library
    try:
        raw = json.dumps(review)
        unreadable = json.dumps({"model": "qwen2.5-coder:7b", "messages": CHAT,
                                 "format": _nested_schema(600)})  # 1,200 levels: more than orjson reads
        at_limit = [json.dumps(_deep_body(model, MAX_JSON_DEPTH)) for model in ("hybrid-local", "hybrid-cloud")]
        over = json.dumps(_deep_body("hybrid-local", MAX_JSON_DEPTH + 1))
    finally:
        sys.setrecursionlimit(limit)
    headers = {"content-type": "application/json"}
    with proxy.http() as http:
        for model in ("hybrid-local", "hybrid-cloud", "hybrid-auto"):
            reply = http.post("/v1/chat/completions", content=raw.replace("hybrid-local", model), headers=headers)
            assert reply.status_code == 400, reply.text[:300]
            error = reply.json()["error"]
            assert (error["type"], error["code"]) == ("invalid_request_error", "too_deep")
        ollama_format = http.post("/api/chat", content=unreadable, headers=headers)
        within = [http.post("/v1/chat/completions", content=body, headers=headers) for body in at_limit]
        beyond = http.post("/v1/chat/completions", content=over, headers=headers)
    assert ollama_format.status_code == 400 and "nested more than" in ollama_format.json()["error"]
    assert [r.status_code for r in within] == [200, 200], [r.text[:300] for r in within]
    assert beyond.status_code == 400 and beyond.json()["error"]["code"] == "too_deep"
    assert len(anthropic_emulator.message_bodies()) == 1  # only the one within the limit went out
    rows = proxy.rows(7)
    assert [r["status"] for r in rows] == [400, 400, 400, 400, 200, 200, 400]


def test_health_reports_each_backend(ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator,
                                     start_proxy: StartProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hybridcoder.proxy.health.PROBE_TTL_S", 0.0)
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    with proxy.http() as http:
        up = http.get("/health").json()
        anthropic_emulator.fail_next(429, retry_after=30, times=1)
        http.post("/v1/chat/completions", json={"model": "hybrid-cloud", "messages": CHAT})
        ollama_emulator.stop()
        deadline = time.monotonic() + 10  # the probe refreshes in the background: /health never waits for it
        while (down := http.get("/health").json())["backends"]["local"]["state"] != "down":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert up["status"] == "ok"
    assert up["backends"]["local"]["state"] == "up" and up["backends"]["cloud"]["state"] == "configured"
    assert down["status"] == "ok"  # the proxy itself answers
    assert down["backends"]["local"]["state"] == "down"
    assert "isn't reachable" in down["backends"]["local"]["detail"]
    assert down["backends"]["cloud"]["state"] == "cooling_down" and 0 < down["backends"]["cloud"]["retry_in_s"] <= 30


def test_health_probes_the_local_server_at_most_every_few_seconds(ollama_emulator: OllamaEmulator,
                                                                  start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, **{"models.chat": "qwen2.5-coder:7b"})
    with proxy.http() as http:
        for _ in range(20):
            assert http.get("/health").json()["backends"]["local"]["state"] == "up"
    assert len(ollama_emulator.requests_to("/api/tags")) <= 2


def test_a_big_cloud_bound_request_is_worked_on_off_the_event_loop(
        ollama_emulator: OllamaEmulator, anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing, routing, redaction, translation and encoding of a big body run in the worker pool
    (scripts/stress_proxy.py measures what that does for the loop); a small body stays inline."""
    import threading

    from hybridcoder.proxy import fallback

    threads: list[str] = []
    real = fallback.redact_body

    def watched(body: dict[str, object]) -> tuple[dict[str, object], int]:
        threads.append(threading.current_thread().name)
        return real(body)

    monkeypatch.setattr(fallback, "redact_body", watched)
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(20_001)]
    with proxy.http() as http:
        big = http.post("/v1/chat/completions", json={"model": "hybrid-cloud", "messages": turns})
        small = http.post("/v1/chat/completions", json={"model": "hybrid-cloud", "messages": CHAT})
    assert big.status_code == 200 and small.status_code == 200
    assert len(anthropic_emulator.message_bodies()[0]["messages"]) == 20_001
    assert threads[0].startswith("hybridcoder-heavy") and threads[1] == "hybridcoder-proxy"
