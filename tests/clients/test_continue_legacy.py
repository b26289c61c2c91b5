"""Legacy config.json → config.yaml: everything with a config.yaml equivalent is carried over.

Continue stops reading config.json once config.yaml exists, so anything left behind would
silently stop applying. Real users' files from tests/data/client_configs/real/continue_json/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from hybridcoder.clients.continue_legacy import carry_over
from hybridcoder.clients.continue_schema import continue_would_reject
from hybridcoder.clients.targets import ClientModels
from tests.clients.conftest import backup_runs, configure, place


def migrate(home: Path, models: ClientModels, corpus: str | None = None,
            legacy: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    path = home / ".continue" / "config.json"
    if corpus:
        place(corpus, path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(legacy, indent=2))
    before = path.read_bytes()
    tool = configure(["continue"], models).tools[0]
    assert tool.status == "configured", tool.message
    assert path.read_bytes() == before  # config.json itself is never touched
    text = (home / ".continue" / "config.yaml").read_text()
    assert continue_would_reject(text) is None
    return YAML(typ="safe").load(text), tool.notes


def model(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in config["models"] if m["name"] == name)


def test_context_docs_and_autocomplete_options_are_carried(home: Path, models: ClientModels) -> None:
    config, notes = migrate(home, models, "real/continue_json/Gipetto-ollama.json")
    assert [c["provider"] for c in config["context"]] == ["code", "docs", "diff", "terminal", "problems", "folder",
                                                        "codebase"]
    assert {d["name"]: d["startUrl"] for d in config["docs"]} == {
        "Svelte-Docs": "https://svelte.dev/docs/", "MDN-Web": "https://developer.mozilla.org/en-US/docs/Web"}
    tab = model(config, "Deepseek Coder V2")
    assert tab["roles"] == ["autocomplete"] and tab["autocompleteOptions"] == {"disable": False, "onlyMyCode": True}
    assert any("slashCommands" in n and "built into Continue" in n for n in notes)


def test_legacy_endpoint_template_and_commands_are_carried(home: Path, models: ClientModels) -> None:
    config, notes = migrate(home, models, "real/continue_json/Bernankez-vscode-settings.json")
    tab = next(m for m in config["models"] if m.get("roles") == ["autocomplete"])
    assert tab["useLegacyCompletionsEndpoint"] is False
    assert tab["defaultCompletionOptions"] == {"temperature": 0, "topP": 1, "presencePenalty": 0,
                                               "frequencyPenalty": 0}
    assert tab["autocompleteOptions"]["template"].startswith("Please teach me what I should write")
    assert config["prompts"][0]["name"] == "test" and config["prompts"][0]["prompt"].startswith("{{{ input }}}")
    assert any("reranker free-trial" in n for n in notes)  # a retired service, said so


def test_a_telemetry_opt_out_keeps_applying_and_is_said(home: Path, models: ClientModels) -> None:
    config, notes = migrate(home, models, "continue/legacy_config.json")
    assert any("allowAnonymousTelemetry" in n and "keeps applying" in n for n in notes)
    assert config["prompts"] == [{"name": "test", "description": "tests", "prompt": "Write tests"}]


def test_instructions_reranker_and_embeddings_without_a_model(home: Path, models: ClientModels) -> None:
    config, _ = migrate(home, models, legacy={
        "models": [{"title": "Local", "provider": "ollama", "model": "qwen2.5-coder:7b",
                    "systemMessage": "Answer briefly.", "capabilities": {"tools": True}}],
        "customInstructions": "Prefer small patches.",
        "completionOptions": {"temperature": 0.2},
        "embeddingsProvider": {"provider": "transformers.js"},
        "reranker": {"name": "cohere", "params": {"model": "rerank-v3.5", "apiKey": "co-placeholder"}},
        "requestOptions": {"verifySsl": False},
        "experimental": {"modelContextProtocolServers": [
            {"transport": {"type": "stdio", "command": "npx", "args": ["-y", "server-fs"]}}]},
    })
    local = model(config, "Local")
    assert local["chatOptions"] == {"baseSystemMessage": "Answer briefly."} and local["capabilities"] == ["tool_use"]
    assert local["defaultCompletionOptions"] == {"temperature": 0.2}  # the global options reach each model
    assert "Prefer small patches." in config["rules"]
    assert model(config, "Embeddings Model")["roles"] == ["embed"]
    assert model(config, "Reranker") == {"name": "Reranker", "provider": "cohere", "model": "rerank-v3.5",
                                         "apiKey": "co-placeholder", "roles": ["rerank"]}
    assert config["requestOptions"] == {"verifySsl": False}
    assert config["mcpServers"] == [{"name": "MCP Server", "command": "npx", "args": ["-y", "server-fs"]}]


def test_settings_config_yaml_cannot_hold_keep_config_json_in_charge(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"models": [], "slashCommands": [
        {"name": "deploy", "description": "Deploy", "params": {"cmd": "make deploy"}}]}))
    tool = configure(["continue"], models).tools[0]
    assert tool.status == "error" and "slashCommands (deploy)" in tool.message and "stays in charge" in tool.message
    assert not (home / ".continue" / "config.yaml").exists() and backup_runs() == []


def test_every_key_lands_somewhere() -> None:
    carry = carry_over({"models": [], "ui": {"fontSize": 12}, "retrieval": {"enabled": True}, "$schema": "x",
                        "disableIndexing": True, "analytics": {"provider": "posthog"}})
    assert carry.blockers == [] and carry.never_read == ["retrieval"]
    assert carry.still_read == ["ui", "disableIndexing"] and carry.nothing_to_carry == ["$schema", "analytics"]
