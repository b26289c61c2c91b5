"""With no model named in settings, the catalog's roles choose: instruct for chat, base for FIM, tools first.

The review's case: the first installed tag alphabetically was ``qwen2.5-coder:1.5b-base``
(a FIM base model), so the Continue CLI's tool-using chat failed with "does not support tools".
"""

from __future__ import annotations

import dataclasses

from hybridcoder.proxy.local_models import pick_autocomplete_model, pick_chat_model, pick_embed_model
from tests.emulators.ollama import OllamaEmulator
from tests.proxy.conftest import CHAT, READ_FILE_TOOL, StartProxy

INSTALLED = {"qwen2.5-coder:1.5b-base", "qwen2.5-coder:7b", "nomic-embed-text:latest"}
NO_MODELS = {"models.chat": "", "models.autocomplete": "", "models.embed": ""}


def test_roles_pick_instruct_for_chat_and_base_for_autocomplete() -> None:
    assert pick_chat_model(INSTALLED) == "qwen2.5-coder:7b"
    assert pick_chat_model(INSTALLED, tools=True) == "qwen2.5-coder:7b"
    assert pick_autocomplete_model(INSTALLED) == "qwen2.5-coder:1.5b-base"
    assert pick_embed_model(INSTALLED) == "nomic-embed-text:latest"
    # tools: an agent-role model before a chat-only one, whatever the alphabet says
    assert pick_chat_model({"qwen2.5-coder:3b", "qwen2.5-coder:7b"}, tools=True) == "qwen2.5-coder:7b"
    # a tag the catalog does not know beats a base model; a base model is the last resort
    assert pick_chat_model({"qwen2.5-coder:1.5b-base", "llama3.2:1b"}) == "llama3.2:1b"
    assert pick_chat_model({"qwen2.5-coder:1.5b-base", "nomic-embed-text:latest"}) == "qwen2.5-coder:1.5b-base"
    assert pick_chat_model({"nomic-embed-text:latest"}) is None
    assert pick_autocomplete_model({"qwen2.5-coder:7b"}) is None


def test_tool_request_with_no_chat_model_set_goes_to_the_instruct_model(start_proxy: StartProxy) -> None:
    with OllamaEmulator(installed=sorted(INSTALLED)) as ollama:
        proxy = start_proxy(ollama, **NO_MODELS)
        reply = proxy.openai().chat.completions.with_raw_response.create(
            model="hybrid-auto", messages=CHAT, tools=[READ_FILE_TOOL])
        fim = proxy.openai().completions.with_raw_response.create(
            model="hybrid-auto", prompt="def add(a, b):", suffix="\n")
        assert reply.http_response.status_code == 200
        assert reply.headers["x-hybridcoder-model"] == "qwen2.5-coder:7b"
        assert fim.headers["x-hybridcoder-model"] == "qwen2.5-coder:1.5b-base"
        assert [r.body["model"] for r in ollama.requests_to("/api/chat")] == ["qwen2.5-coder:7b"]


def test_a_local_model_refusing_tools_makes_way_for_another_local_one(start_proxy: StartProxy) -> None:
    """No cloud key: the picked model says "does not support tools" before any byte; another installed one answers."""
    with OllamaEmulator(installed=["qwen2.5-coder:1.5b-base", "llama3.2:1b"]) as ollama:
        no_tools = dataclasses.replace(ollama.registry["qwen2.5-coder:14b"], capabilities=("completion", "insert"))
        ollama.install(no_tools)  # the catalog calls 14b an agent model, but this build refuses tools
        proxy = start_proxy(ollama, **NO_MODELS)
        reply = proxy.openai().chat.completions.with_raw_response.create(
            model="hybrid-auto", messages=CHAT, tools=[READ_FILE_TOOL])
        assert reply.http_response.status_code == 200
        assert reply.headers["x-hybridcoder-model"] == "llama3.2:1b"
        assert [r.body["model"] for r in ollama.requests_to("/api/chat")] == ["qwen2.5-coder:14b", "llama3.2:1b"]
        (row,) = proxy.rows(1)
        assert (row["route"], row["model"], row["fallback_cause"]) == ("local", "llama3.2:1b", "local_unsupported")
