"""1,000 malformed or hostile requests: every answer is a 4xx, and the proxy keeps serving."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import StartProxy

ENDPOINTS = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/hybrid/route",
             "/api/chat", "/api/generate", "/api/embed", "/api/show"]
HOSTILE_PATHS = ["/api/../../etc/passwd", "/v1/../../../etc/shadow", "/%2e%2e/%2e%2e/etc/passwd",
                 "/v1/chat/completions/../../admin", "/api/pull", "/api/delete", "/api/create", "/v2/chat",
                 "/v1/chat/completions%00", "/.env", "/" + "a" * 4000, "/api/tags/../../../x"]
WRONG_TYPES: list[Any] = [None, True, 1, -1, 1.5, "x", [], {}, [1, "a"], {"a": {"b": []}},
                          10**30, -(10**30), 1e308, "\u0000\ud7ff", "A" * 10000]
BAD_MESSAGES: list[Any] = [None, True, 1, "x", {}, [], [1, "a"], [{"role": "user", "content": 5}],
                           [{"role": None}], [{"content": "no role"}], [[]], [{"role": "user", "content": [1]}]]
NOT_TEXT: list[Any] = [None, True, 1, -1.5, {}, [1], 10**30, [None]]
FIELDS = ["model", "messages", "stream", "tools", "max_tokens", "temperature", "top_p", "stop",
          "stream_options", "prompt", "suffix", "input", "n", "tool_choice", "options"]


def _bad_bodies(rng: random.Random) -> Iterator[bytes]:
    """Bodies that are not valid requests: broken JSON, bad UTF-8, wrong types, absurd numbers."""
    fixed = [b"", b"{", b"[]", b"null", b"42", b'"text"', b"{'model': 'x'}", b"\xff\xfe\x00{",
             b'{"model": "hybrid-auto", "messages": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
             b'{"model": "\xc3\x28"}', b'{"max_tokens": 1' + b"0" * 400 + b"}", b'{"temperature": NaN}',
             b'{"model": "hybrid-auto", "messages": []}', b'{"model": "", "messages": [{"role": "user"}]}',
             b'{"model": "hybrid-auto", "messages": [{"role": "hacker", "content": "hi"}]}',
             b'{"model": "hybrid-auto", "messages": [{"role": "user", "content": 5}]}',
             b'{"model": "hybrid-auto", "messages": "hi"}', b'{"model": ["hybrid-auto"]}']
    yield from fixed
    while True:
        kind = rng.randrange(4)
        if kind == 0:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        elif kind == 1:
            # Always broken where every endpoint looks: messages, prompt and input are never usable.
            body: dict[str, Any] = {"model": "hybrid-auto", "messages": rng.choice(BAD_MESSAGES),
                                    "prompt": rng.choice(NOT_TEXT), "input": rng.choice(NOT_TEXT)}
            for _ in range(2):
                field = rng.choice(FIELDS)
                if field not in ("model", "messages", "prompt", "input"):
                    body[field] = rng.choice(WRONG_TYPES)
            yield json.dumps(body).encode()
        elif kind == 2:
            yield json.dumps({"model": rng.choice(WRONG_TYPES), "messages": rng.choice(WRONG_TYPES),
                              "prompt": rng.choice(WRONG_TYPES), "input": rng.choice(WRONG_TYPES)}).encode()
        else:
            good = json.dumps({"model": "hybrid-auto", "messages": [{"role": "user", "content": "hi"}]})
            cut = rng.randrange(1, len(good) - 1)
            yield good[:cut].encode() + bytes([rng.randrange(128, 256)])


def test_thousand_hostile_requests_get_only_4xx(ollama_emulator: OllamaEmulator, start_proxy: StartProxy) -> None:
    proxy = start_proxy(ollama_emulator)
    rng = random.Random(20261125)
    bodies = _bad_bodies(rng)
    statuses: dict[int, int] = {}
    offenders: list[str] = []
    with proxy.http(timeout=30) as http:
        for i in range(1000):
            kind = i % 10
            if kind < 7:
                path = ENDPOINTS[i % len(ENDPOINTS)]
                response = http.post(path, content=next(bodies), headers={"Content-Type": "application/json"})
            elif kind == 7:
                path = rng.choice([*ENDPOINTS, "/v1/models", "/api/tags", "/api/version"])
                method = rng.choice(["PUT", "DELETE", "PATCH", "TRACE", "GET" if "api/chat" in path else "POST"])
                if path in ("/v1/models", "/api/tags", "/api/version"):
                    method = rng.choice(["PUT", "DELETE", "PATCH", "POST"])
                response = http.request(method, path, content=b"{}")
            elif kind == 8:
                path = rng.choice(HOSTILE_PATHS)
                response = http.request(rng.choice(["GET", "POST"]), path, content=next(bodies))
            else:
                path = ENDPOINTS[i % len(ENDPOINTS)]
                response = http.post(path, content=next(bodies),
                                     headers={"Content-Type": rng.choice(["text/plain", "application/x-www-form-urlencoded",
                                                                          "multipart/form-data; boundary=x"])})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if not 400 <= response.status_code < 500:
                offenders.append(f"{path} -> {response.status_code} {response.text[:120]}")
            else:
                assert "Traceback" not in response.text
        assert http.get("/health").json()["status"] == "ok"
        ok = http.post("/v1/chat/completions", json={"model": "hybrid-auto",
                                                     "messages": [{"role": "user", "content": "still there?"}]})
    assert offenders == [], offenders[:10]
    assert sum(statuses.values()) == 1000 and set(statuses) <= set(range(400, 500))
    assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "Echo: still there?"
    # Every request that reached an endpoint left a ledger row (the 1,000 minus unknown paths and methods).
    assert len(proxy.rows(1)) > 500
