"""Which upstreams may go through the environment's HTTP proxy."""

from __future__ import annotations

import pytest

from hybridcoder.proxy.backends.http_pool import is_loopback_url


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:11434", True), ("http://localhost:1234/v1", True), ("http://[::1]:8000/v1", True),
    ("http://127.5.0.1", True), ("https://api.openai.com/v1", False), ("https://ollama.com", False),
    ("http://gpu-box.lan:8000/v1", False),
])
def test_is_loopback_url(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback
