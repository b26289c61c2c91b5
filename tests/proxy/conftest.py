"""Proxy test set-up: a real ProxyServer on an ephemeral 127.0.0.1 port in front of the emulators.

``start_proxy(**settings_changes)`` builds Settings pointing at the Ollama and
Anthropic emulators (the Anthropic key sits in the in-memory keyring), starts the
proxy, and returns a :class:`RunningProxy` with its URL, token, clients and a way
to read the ledger rows it wrote. Everything is stopped after the test.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest

from hybridcoder.keys import KeyStore
from hybridcoder.paths import app_paths
from hybridcoder.proxy.server import ProxyServer
from hybridcoder.settings import Settings
from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
from tests.emulators.ollama import OllamaEmulator

TOKEN = "hc-test-token-0123456789abcdefghijklmnop"
CLOUD_MODEL = "claude-sonnet-5-5"


@dataclass
class RunningProxy:
    server: ProxyServer
    token: str

    @property
    def url(self) -> str:
        return self.server.url

    def openai(self, **kwargs: Any) -> openai.OpenAI:
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 20)
        return openai.OpenAI(base_url=self.url + "/v1", api_key=self.token, **kwargs)

    def http(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("timeout", 20)
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, **kwargs)

    def rows(self, count: int | None = None) -> list[dict[str, Any]]:
        """Ledger rows, oldest first; with ``count``, wait until that many were recorded.

        A row is queued right after the response's last byte, so a client can finish
        reading a moment before its row exists.
        """
        deadline = time.monotonic() + 5
        while True:
            rows = self._read()
            if count is None or len(rows) >= count or time.monotonic() > deadline:
                return rows
            time.sleep(0.01)

    def _read(self) -> list[dict[str, Any]]:
        assert self.server.ledger is not None
        assert self.server.ledger.flush(10)
        conn = sqlite3.connect(app_paths().ledger_file)
        conn.row_factory = sqlite3.Row
        try:
            rows = [dict(r) for r in conn.execute("SELECT * FROM requests ORDER BY ts")]
        finally:
            conn.close()
        for row in rows:
            row["reasons"] = json.loads(row["reasons"])
        return rows


def proxy_settings(ollama: OllamaEmulator | None, anthropic: AnthropicEmulator | None,
                   **changes: Any) -> Settings:
    """Settings for a test proxy; ``changes`` are ``"section.field": value``."""
    settings = Settings()
    settings.proxy.port = 0
    settings.ollama.url = ollama.url if ollama is not None else "http://127.0.0.1:9"
    settings.models.chat = "qwen2.5-coder:7b"
    settings.models.autocomplete = "qwen2.5-coder:1.5b-base"
    settings.models.embed = "nomic-embed-text:latest"
    settings.cloud.anthropic_model = CLOUD_MODEL
    settings.routing.learning = False
    # Tests press "regenerate" back to back; the gap a person needs is tested on its own
    # (tests/proxy/test_regenerate.py), with the production default.
    settings.proxy.retry_min_gap_s = 0.0
    if anthropic is not None:
        settings.cloud.anthropic_base_url = anthropic.url
    for dotted, value in changes.items():
        section, name = dotted.split(".")
        setattr(getattr(settings, section), name, value)
    return settings


@pytest.fixture
def start_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., RunningProxy]]:
    """``start_proxy(ollama, anthropic=None, **changes)`` → a running proxy (stopped after the test)."""
    monkeypatch.setenv("HYBRIDCODER_TOKEN", TOKEN)
    servers: list[ProxyServer] = []

    def start(ollama: OllamaEmulator | None, anthropic: AnthropicEmulator | None = None,
              **changes: Any) -> RunningProxy:
        if anthropic is not None:
            KeyStore().set("anthropic", DEFAULT_KEY)
        server = ProxyServer(proxy_settings(ollama, anthropic, **changes)).start()
        servers.append(server)
        return RunningProxy(server, TOKEN)

    yield start
    for server in servers:
        server.stop()


StartProxy = Callable[..., RunningProxy]

CHAT = [{"role": "user", "content": "explain this function: def add(a, b): return a + b"}]
READ_FILE_TOOL = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file from the workspace.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
    },
}
