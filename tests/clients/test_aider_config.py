"""Aider: conf merged (comments kept), model settings and zero-price metadata, undo exact."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from hybridcoder.clients.aider_config import edit_format_for
from hybridcoder.clients.targets import ClientModels
from tests.clients.conftest import TOKEN, backup_runs, configure, only_added, place


def yaml_load(path: Path) -> object:
    return YAML(typ="safe").load(path.read_text())


def test_merge_keeps_comments_and_user_choices(home: Path, models: ClientModels) -> None:
    conf, settings, meta = home / ".aider.conf.yml", home / ".aider.model.settings.yml", home / ".aider.model.metadata.json"
    originals = {conf: place("aider/aider.conf.yml", conf), settings: place("aider/model.settings.yml", settings),
                 meta: place("aider/model.metadata.json", meta)}
    report = configure(["aider"], models)
    assert report.ok
    data = yaml_load(conf)
    assert isinstance(data, dict)
    assert data["model"] == data["weak-model"] == data["editor-model"] == "openai/hybrid-auto"
    assert data["openai-api-base"] == "http://127.0.0.1:11480/v1" and data["openai-api-key"] == TOKEN
    assert data["analytics"] is True  # the user's explicit choice is kept
    assert data["check-update"] is False and data["show-model-warnings"] is False
    assert data["read"] == ["CONVENTIONS.md", "docs/STYLE.md"]
    lost = only_added(originals[conf], conf.read_bytes())
    assert lost == ["model: sonnet\n"]  # the only user line that changes is the model we take over
    assert any("sonnet" in n for n in report.tools[0].notes)
    assert only_added(originals[settings], settings.read_bytes()) == []
    entries = yaml_load(settings)
    assert isinstance(entries, list)
    ours = [e for e in entries if e["name"] == "openai/hybrid-auto"]
    assert len(ours) == 1 and ours[0]["edit_format"] == "diff"
    metadata = json.loads(meta.read_text())
    assert metadata["ollama_chat/qwen2.5-coder:14b"] == json.loads(originals[meta])["ollama_chat/qwen2.5-coder:14b"]
    assert metadata["openai/hybrid-auto"]["input_cost_per_token"] == 0
    assert metadata["openai/hybrid-auto"]["max_input_tokens"] == 16384
    assert '    "ollama_chat/qwen2.5-coder:14b": {\n        "max_tokens": 8192,' in meta.read_text()  # 4-space style kept

    runs = backup_runs()
    assert configure(["aider"], models).tools[0].status == "unchanged" and backup_runs() == runs
    configure(["aider"], models, undo=True)
    assert {p: p.read_bytes() for p in originals} == originals


def test_comment_only_sample_conf_keeps_its_comments(home: Path, models: ClientModels) -> None:
    conf = home / ".aider.conf.yml"
    original = place("aider/aider.conf.sample.yml", conf)
    configure(["aider"], models)
    written = conf.read_bytes()
    assert written.startswith(original) and b"model: openai/hybrid-auto" in written
    assert configure(["aider"], models).tools[0].status == "unchanged"


def test_broken_conf_is_left_alone(home: Path, models: ClientModels) -> None:
    conf = home / ".aider.conf.yml"
    original = place("aider/broken.aider.conf.yml", conf)
    report = configure(["aider"], models)
    assert report.tools[0].status == "error" and "line" in report.tools[0].message
    assert conf.read_bytes() == original
    assert not (home / ".aider.model.metadata.json").exists()


def test_edit_format_follows_model_size() -> None:
    assert edit_format_for("qwen2.5-coder:7b") == "diff"
    assert edit_format_for("qwen2.5-coder:14b") == "diff"
    assert edit_format_for("qwen2.5-coder:3b") == "whole"
    assert edit_format_for("qwen2.5-coder:1.5b-base") == "whole"


def test_every_replaced_value_is_named_but_never_a_key(home: Path, models: ClientModels) -> None:
    """A real user's file (4137314/nixos-config) sets model, weak/editor model, base URL and key."""
    conf = home / ".aider.conf.yml"
    place("real/aider/4137314-nixos-config.aider.conf.yml", conf)
    notes = configure(["aider"], models).tools[0].notes
    said = " ".join(notes)
    for old in ("ollama_chat/qwen2.5-coder:14b", "ollama_chat/qwen2.5:7b", "http://127.0.0.1:11434/v1"):
        assert old in said
    assert "weak-model" in said and "editor-model" in said and "openai-api-key" in said
    assert "ollama-local-not-a-secret" not in said  # the user's own key is replaced, never shown


def test_the_conf_holding_the_token_is_private_and_undo_restores_its_mode(home: Path, models: ClientModels) -> None:
    import os

    from hybridcoder.clients.safe_write import file_mode

    conf = home / ".aider.conf.yml"
    original = place("real/aider/EkeMinusYou-dotfiles.aider.conf.yml", conf)
    os.chmod(conf, 0o644)
    configure(["aider"], models)
    assert TOKEN in conf.read_text() and file_mode(conf) == 0o600
    configure(["aider"], models, undo=True)
    assert conf.read_bytes() == original and file_mode(conf) == 0o644
