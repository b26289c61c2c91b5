"""OllamaCloudBackend: the same native protocol as local Ollama, reported as the cloud."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hybridcoder.proxy.backends.ollama_cloud import OllamaCloudBackend, is_cloud_tag
from hybridcoder.proxy.errors import UpstreamAuthError, UpstreamError, UpstreamUnreachable
from tests.emulators.ollama import EmulatedModel, OllamaEmulator

CLOUD_MODEL = "qwen3-coder:480b-cloud"
KEY = "ollama-key-0123456789abcdef0123456789"


@pytest.fixture
def cloud_emulator(ollama_emulator: OllamaEmulator) -> OllamaEmulator:
    ollama_emulator.install(EmulatedModel(name=CLOUD_MODEL, size=384, capabilities=("completion", "tools"),
                                          parameter_size="480B"))
    return ollama_emulator


def chat(backend: OllamaCloudBackend, model: str = CLOUD_MODEL) -> tuple[list[dict[str, Any]], Any]:
    async def main() -> tuple[list[dict[str, Any]], Any]:
        try:
            stream = await backend.chat({"messages": [{"role": "user", "content": "hello cloud"}],
                                         "max_tokens": 100}, model)
            return [chunk async for chunk in stream], stream.usage
        finally:
            await backend.aclose()
    return asyncio.run(main())


def test_identity() -> None:
    backend = OllamaCloudBackend(api_key=KEY)
    assert (backend.route, backend.provider, backend.base_url) == ("cloud", "ollama-cloud", "https://ollama.com")
    assert KEY not in repr(backend)


@pytest.mark.parametrize(("model", "cloud"), [
    ("qwen3-coder:480b-cloud", True), ("gpt-oss:20b-cloud", True), ("glm:cloud", True),
    ("qwen2.5-coder:7b", False), ("cloud-model", False),
])
def test_is_cloud_tag(model: str, cloud: bool) -> None:
    assert is_cloud_tag(model) is cloud


def test_direct_with_key_sends_bearer_and_no_num_ctx(cloud_emulator: OllamaEmulator) -> None:
    chunks, usage = chat(OllamaCloudBackend(cloud_emulator.url, KEY))
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks).startswith("Echo: hello cloud")
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert cloud_emulator.request_headers[-1]["authorization"] == f"Bearer {KEY}"
    assert cloud_emulator.requests_to("/api/chat")[-1].body["options"] == {"num_predict": 100}


def test_through_signed_in_local_ollama_sends_no_key(cloud_emulator: OllamaEmulator) -> None:
    chat(OllamaCloudBackend(cloud_emulator.url))
    assert "authorization" not in cloud_emulator.request_headers[-1]


def test_failures_are_reported_as_cloud_causes(cloud_emulator: OllamaEmulator) -> None:
    with pytest.raises(UpstreamError) as missing:
        chat(OllamaCloudBackend(cloud_emulator.url, KEY), model="kimi-k2:1t-cloud")
    assert missing.value.cause == "cloud_model_missing"
    cloud_emulator.fail_next("status", status=401, message="unauthorized")
    with pytest.raises(UpstreamAuthError) as auth:
        chat(OllamaCloudBackend(cloud_emulator.url, KEY))
    assert auth.value.cause == "cloud_auth" and "Ollama Cloud key" in auth.value.message
    assert KEY not in str(auth.value)
    cloud_emulator.fail_next("in_stream_error", after_chunks=0, message="session limit reached")
    with pytest.raises(UpstreamError) as stream_error:
        chat(OllamaCloudBackend(cloud_emulator.url, KEY))
    assert stream_error.value.cause == "cloud_stream_error" and stream_error.value.before_first_byte
    assert "local" not in stream_error.value.message


def test_unreachable_is_cloud_unreachable() -> None:
    with pytest.raises(UpstreamUnreachable) as info:
        chat(OllamaCloudBackend("http://127.0.0.1:9", KEY))
    assert info.value.cause == "cloud_unreachable" and "ollama serve" not in info.value.message
