"""Continue's config.yaml: user content survives byte for byte, reruns are no-ops, undo restores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hybridcoder.clients.continue_config import AUTOCOMPLETE_NAME, CHAT_NAME, EMBED_NAME, RULE_NAME
from hybridcoder.clients.targets import ClientModels
from tests.clients.conftest import TOKEN, backup_runs, configure, only_added, place


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def by_name(config: Any) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in config["models"]}


@pytest.mark.parametrize("corpus", ["commented.yaml", "crlf.yaml", "default.yaml", "no_models.yaml"])
def test_user_content_survives_and_rerun_and_undo(corpus: str, home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    original = place(f"continue/{corpus}", path)
    user_models = {m["name"]: m for m in (load(path).get("models") or [])}

    report = configure(["continue"], models)
    assert report.ok and report.tools[0].status == "configured"
    written = path.read_bytes()
    # Every original line survives unchanged and in order; only an empty `models: []` must become a list.
    assert only_added(original, written) == (["models: []\n"] if corpus == "default.yaml" else [])
    if b"\r\n" in original:
        assert written.count(b"\n") == written.count(b"\r\n")  # Windows line endings kept everywhere
    config = load(path)
    entries = by_name(config)
    for name, model in user_models.items():
        assert entries[name] == model  # user models unchanged (anchors/aliases resolve the same)
    assert [n for n in entries if n.startswith("Hybrid Coder")] == [CHAT_NAME, AUTOCOMPLETE_NAME]

    runs = backup_runs()
    again = configure(["continue"], models)
    assert again.tools[0].status == "unchanged"
    assert path.read_bytes() == written and backup_runs() == runs  # no write, no new backup

    undo = configure(["continue"], models, undo=True)
    assert undo.tools[0].status == "undone"
    assert path.read_bytes() == original


def test_entries_avoid_continues_traps(home: Path, models: ClientModels) -> None:
    configure(["continue"], ClientModels(chat_context=32768, embed="nomic-embed-text:latest"))
    entries = by_name(load(home / ".continue" / "config.yaml"))
    chat = entries[CHAT_NAME]
    assert chat["provider"] == "openai" and chat["model"] == "hybrid-auto"
    assert chat["apiBase"] == "http://127.0.0.1:11480/v1" and chat["apiKey"] == TOKEN
    assert chat["capabilities"] == ["tool_use"]
    assert chat["defaultCompletionOptions"]["contextLength"] == 32768
    assert chat["defaultCompletionOptions"]["contextLength"] - chat["defaultCompletionOptions"]["maxTokens"] >= 1000
    assert "timeout" not in chat.get("requestOptions", {})  # seconds vs ms trap
    auto = entries[AUTOCOMPLETE_NAME]
    assert auto["provider"] == "ollama" and auto["apiBase"] == "http://127.0.0.1:11480"  # native, no /v1
    assert auto["roles"] == ["autocomplete"] and "qwen2.5-coder" in auto["model"]
    assert entries[EMBED_NAME]["roles"] == ["embed"]
    assert "uses" not in (home / ".continue" / "config.yaml").read_text()


def test_rerun_with_new_proxy_updates_in_place(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("continue/commented.yaml", path)
    configure(["continue"], models)
    configure(["continue"], models, url="http://127.0.0.1:9999")
    config = load(path)
    names = [m["name"] for m in config["models"]]
    assert names.count(CHAT_NAME) == 1 and names.count(AUTOCOMPLETE_NAME) == 1
    assert by_name(config)[CHAT_NAME]["apiBase"] == "http://127.0.0.1:9999/v1"
    assert only_added(original, path.read_bytes()) == []
    # Two runs, two undos: back to the user's bytes.
    configure(["continue"], models, undo=True)
    configure(["continue"], models, undo=True)
    assert path.read_bytes() == original


def test_empty_file_gets_a_complete_config(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    place("continue/empty.yaml", path)
    configure(["continue"], models)
    config = load(path)
    assert {"name", "version", "schema"} <= set(config) and config["schema"] == "v1"
    configure(["continue"], models, undo=True)
    assert path.read_bytes() == b""


def test_broken_yaml_is_left_alone_with_line(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("continue/broken.yaml", path)
    report = configure(["continue"], models)
    tool = report.tools[0]
    assert tool.status == "error" and tool.broken_line == 7
    assert "line 7" in tool.message and "--reset-broken" in tool.message
    assert path.read_bytes() == original and backup_runs() == []

    fresh = configure(["continue"], models, reset_broken=True)
    assert fresh.tools[0].status == "configured"
    assert CHAT_NAME in by_name(load(path))
    configure(["continue"], models, undo=True)
    assert path.read_bytes() == original  # the broken file is in the backup


def test_legacy_config_json_models_are_carried_over(home: Path, models: ClientModels) -> None:
    legacy = home / ".continue" / "config.json"
    legacy_bytes = place("continue/legacy_config.json", legacy)
    report = configure(["continue"], models)
    assert any("carried over" in note and "customCommands" in note for note in report.tools[0].notes)
    config = load(home / ".continue" / "config.yaml")
    entries = by_name(config)
    assert entries["GPT-4o"]["defaultCompletionOptions"] == {"contextLength": 128000, "temperature": 0.3,
                                                             "maxTokens": 2048}
    assert entries["Starcoder 3b"]["roles"] == ["autocomplete"]
    assert "Be concise." in config["rules"]
    assert legacy.read_bytes() == legacy_bytes
    configure(["continue"], models, undo=True)
    assert not (home / ".continue" / "config.yaml").exists()


def test_broken_legacy_json_stops_before_hiding_it(home: Path, models: ClientModels) -> None:
    place("continue/broken_config.json", home / ".continue" / "config.json")
    report = configure(["continue"], models)
    assert report.tools[0].status == "error" and "line 4" in report.tools[0].message
    assert not (home / ".continue" / "config.yaml").exists()


def test_continue_global_dir_is_respected(home: Path, tmp_path: Path, models: ClientModels,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "continue-elsewhere"
    monkeypatch.setenv("CONTINUE_GLOBAL_DIR", str(elsewhere))
    configure(["continue"], models)
    assert (elsewhere / "config.yaml").exists() and not (home / ".continue").exists()


def test_rules_are_opt_in_and_removable(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("continue/commented.yaml", path)
    configure(["continue"], models)
    assert RULE_NAME not in path.read_text()
    configure(["continue"], models, rules=True)
    rules = load(path)["rules"]
    ours = [r for r in rules if isinstance(r, dict) and r.get("name") == RULE_NAME]
    assert len(ours) == 1 and ours[0]["alwaysApply"] is True
    assert ours[0]["rule"].count("\n") <= 12
    assert rules[0] == "Always write type hints."
    configure(["continue"], models, rules=False)
    assert RULE_NAME not in path.read_text()
    assert only_added(original, path.read_bytes()) == []


def test_a_duplicated_entry_of_ours_is_collapsed(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    configure(["continue"], models)
    text = path.read_text()
    block = text[text.index("  - name: Hybrid Coder\n"):text.index("  - name: Hybrid Coder Autocomplete")]
    path.write_text(text + block)  # the user pasted our chat entry a second time
    configure(["continue"], models)
    assert [m["name"] for m in load(path)["models"]].count(CHAT_NAME) == 1
