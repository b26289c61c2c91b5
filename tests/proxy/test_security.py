"""Who may use the proxy (token, Host, Origin), body limits, and secrets never reaching the cloud."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from hybridcoder.proxy.redact import redact_body, redact_text
from tests.emulators.anthropic import AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, StartProxy

CHAT_BODY = {"model": "hybrid-auto", "messages": CHAT}


def test_no_token_is_401_on_every_surface(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        chat = http.post("/v1/chat/completions", json=CHAT_BODY)
        models = http.get("/v1/models")
        native = http.post("/api/chat", json={"model": "qwen2.5-coder:7b", "messages": CHAT})
        wrong = http.post("/v1/chat/completions", json=CHAT_BODY, headers={"Authorization": "Bearer nope"})
        health = http.get("/health")
    assert [r.status_code for r in (chat, models, native, wrong)] == [401] * 4
    assert chat.json()["error"]["type"] == "authentication_error"
    assert isinstance(native.json()["error"], str)  # Ollama's error format on /api
    assert health.status_code == 200
    assert ollama_emulator.requests_to("/api/chat") == []
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=proxy.url + "/v1", api_key="wrong", max_retries=0).models.list()


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example.com"},
    {"Host": "evil.example.com:11480"},
    {"Host": "192.168.1.20"},
    {"Origin": "https://evil.example.com"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:8000"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_browser_and_rebinding_requests_are_403(headers: dict[str, str], ollama_emulator: OllamaEmulator,
                                                start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    with proxy.http() as http:
        response = http.post("/v1/chat/completions", json=CHAT_BODY, headers=headers)
        preflight = http.options("/v1/chat/completions", headers={**headers, "Access-Control-Request-Method": "POST"})
    assert response.status_code == 403 and preflight.status_code in (403, 405)
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    assert not any(h.lower().startswith("access-control-") for h in preflight.headers)
    assert ollama_emulator.requests_to("/api/chat") == []


def test_loopback_names_and_editor_webviews_are_allowed(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    port = proxy.server.port
    with proxy.http() as http:
        for headers in ({"Host": f"localhost:{port}"}, {"Host": f"127.0.0.1:{port}"},
                        {"Origin": "vscode-webview://abc123"}):
            assert http.get("/v1/models", headers=headers).status_code == 200


def test_oversized_body_is_413_declared_or_chunked(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, **{"proxy.max_body_bytes": 64 * 1024})
    big = {"model": "hybrid-auto", "messages": [{"role": "user", "content": "x" * 100_000}]}
    with proxy.http() as http:
        declared = http.post("/v1/chat/completions", json=big)
        chunked = http.post("/v1/chat/completions", content=iter([json.dumps(big).encode()[i:i + 8192]
                                                                   for i in range(0, 110_000, 8192)]),
                            headers={"Content-Type": "application/json"})
        native = http.post("/api/chat", json={"model": "qwen2.5-coder:7b", **big})
        assert http.get("/health").status_code == 200
    assert (declared.status_code, chunked.status_code, native.status_code) == (413, 413, 413)
    assert declared.json()["error"]["type"] == "invalid_request_error"
    assert "max_body_bytes" in native.json()["error"]
    assert ollama_emulator.requests_to("/api/chat") == []


PRIVATE_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
               "-----END OPENSSH PRIVATE KEY-----")
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"
DOTENV = "DATABASE_PASSWORD=correct-horse-battery"


def test_planted_secrets_never_reach_the_cloud(ollama_emulator: OllamaEmulator,
                                               anthropic_emulator: AnthropicEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator)
    prompt = (f"@cloud Why does this deploy fail?\n```\n{DOTENV}\nexport STRIPE_SECRET_KEY='rk_live_{'9' * 24}'\n```\n"
              f"{PRIVATE_KEY}\naws: {AWS_KEY} openai: {OPENAI_KEY}\ndb: postgres://app:hunter2hunter2@db:5432/x")
    system = {"role": "system", "content": f"Project env:\n{DOTENV}"}
    reply = proxy.openai().chat.completions.create(
        model="hybrid-auto", messages=[system, {"role": "user", "content": prompt}])
    assert reply.choices[0].message.content
    sent = json.dumps(anthropic_emulator.message_bodies())
    for secret in ("correct-horse-battery", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU", AWS_KEY, OPENAI_KEY,
                   "rk_live_9999", "hunter2hunter2"):
        assert secret not in sent
    assert "[REDACTED:private_key]" in sent and "DATABASE_PASSWORD=[REDACTED" in sent
    assert "Why does this deploy fail?" in sent  # the question itself is intact
    (row,) = proxy.rows(1)
    assert row["route"] == "cloud" and row["redactions"] >= 7


def test_redaction_can_be_switched_off_and_never_touches_local(ollama_emulator: OllamaEmulator,
                                                               anthropic_emulator: AnthropicEmulator,
                                                               start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator, anthropic_emulator, **{"routing.redact_secrets": False})
    client = proxy.openai()
    client.chat.completions.create(model="hybrid-cloud", messages=[{"role": "user", "content": DOTENV}])
    client.chat.completions.create(model="hybrid-local", messages=[{"role": "user", "content": DOTENV}])
    assert "correct-horse-battery" in json.dumps(anthropic_emulator.message_bodies())
    assert "correct-horse-battery" in json.dumps(ollama_emulator.requests_to("/api/chat")[-1].body)
    assert [r["redactions"] for r in proxy.rows(2)] == [0, 0]


@pytest.mark.parametrize("text", [
    "def total(items):\n    return sum(i.price for i in items)\n",
    "MAX_TOKENS=4096\nAPI_KEY = os.environ['API_KEY']\ntoken = request.headers['token']\n",
    "See https://example.com/docs and user@example.com",
])
def test_redaction_leaves_ordinary_code_alone(text: str) -> None:
    assert redact_text(text) == (text, 0)


def test_redaction_copies_only_what_changed() -> None:
    untouched = {"role": "user", "content": "hello"}
    body = {"model": "m", "messages": [untouched, {"role": "user", "content": [
        {"type": "text", "text": f"key {OPENAI_KEY}"}]}]}
    redacted, count = redact_body(body)
    assert count == 1 and redacted["messages"][0] is untouched
    assert OPENAI_KEY in json.dumps(body) and OPENAI_KEY not in json.dumps(redacted)


def _raw_request(url: str, head: bytes) -> bytes:
    """Send hand-written request headers (clients will not send these) and read the answer."""
    import socket

    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("hosts", [
    b"Host: evil.example\r\nHost: 127.0.0.1\r\n",  # a foreign Host first, loopback last
    b"Host: 127.0.0.1:evil.com\r\n",
    b"Host: localhost:80x\r\n",
    b"",  # HTTP/1.0 with no Host
])
def test_ambiguous_or_missing_host_is_403(hosts: bytes, ollama_emulator: OllamaEmulator,
                                          start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    version = b"HTTP/1.0" if not hosts else b"HTTP/1.1"
    body = b'{"model": "hybrid-local", "messages": [{"role": "user", "content": "hi"}]}'
    head = (b"POST /v1/chat/completions " + version + b"\r\n" + hosts
            + b"Authorization: Bearer " + proxy.token.encode() + b"\r\nContent-Type: application/json\r\n"
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    answer = _raw_request(proxy.url, head)
    assert answer.split(b"\r\n", 1)[0].endswith(b"403 Forbidden"), answer[:200]
    assert b"foreign_host" in answer
    assert ollama_emulator.requests_to("/api/chat") == []
    good = head.replace(hosts, b"Host: 127.0.0.1:%d\r\n" % proxy.server.port) if hosts else \
        head.replace(b"HTTP/1.0\r\n", b"HTTP/1.0\r\nHost: localhost\r\n")
    assert _raw_request(proxy.url, good).split(b"\r\n", 1)[0].endswith(b"200 OK")
