"""Continue's config.yaml: user content survives byte for byte, reruns are no-ops, undo restores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hybridcoder.clients.continue_config import AUTOCOMPLETE_NAME, CHAT_NAME, EMBED_NAME, RULE_NAME
from hybridcoder.clients.targets import ClientModels
from tests.clients.conftest import DATA, TOKEN, backup_runs, configure, only_added, place


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


# --- Real users' files (tests/data/client_configs/real/, sources in SOURCES.md) ----------------

def _lines_kept(original: bytes, written: bytes) -> list[str]:
    """Original lines (final newline aside) that did not survive unchanged and in order."""
    return only_added(original.rstrip(b"\n") + b"\n", written.rstrip(b"\n") + b"\n")


def test_yaml11_anchors_and_merge_keys_keep_their_directive(home: Path, models: ClientModels) -> None:
    """%YAML 1.1 + `---` + a 4-space anchor block + `<<:` merge keys, models last, no final newline.

    The edit used to fail here and fall back to re-emitting the whole file: `%YAML 1.1` and `---`
    were dropped, so Continue ignored the merge keys and every user model lost its provider.
    """
    path = home / ".continue" / "config.yaml"
    path.parent.mkdir(parents=True)
    original = (DATA / "real" / "continue" / "jleivo-llm_code.yaml").read_bytes().rstrip(b"\n")
    path.write_bytes(original)
    report = configure(["continue"], models)
    assert report.tools[0].status == "configured", report.tools[0].message
    written = path.read_bytes()
    assert written.startswith(b"%YAML 1.1\n---\nname: My global config\n")
    # Every line survives except one: the last block scalar's header gets an explicit `-`, so the
    # newline our entries need after it does not change the user's template.
    assert _lines_kept(original, written) == ["      autocomplete: |\n"] and b"autocomplete: |-\n" in written
    from hybridcoder.clients.continue_schema import continue_view, continue_would_reject

    text = written.decode()
    assert continue_would_reject(text) is None
    before = continue_view(YAML(typ="rt").load(original.decode()), merges=True)["models"]
    after = continue_view(YAML(typ="rt").load(text), merges=True)["models"]
    assert after[:3] == before and all(m["provider"] == "ollama" for m in after[:3])
    configure(["continue"], models, undo=True)
    assert path.read_bytes() == original


def test_a_file_without_final_newline_is_edited_not_rewritten(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("real/continue/9Reg-rov_blue_light.yaml", path)
    assert not original.endswith(b"\n")
    configure(["continue"], models)
    assert _lines_kept(original, path.read_bytes()) == []  # its blank lines between models too


def test_trailing_tab_after_a_value_is_read_as_continue_reads_it(home: Path, models: ClientModels) -> None:
    """YAML 1.2 allows a tab after a value (Continue loads the file); ruamel's scanner does not."""
    path = home / ".continue" / "config.yaml"
    original = place("real/continue/JorgeACastr0-BigCloud.yaml", path)
    report = configure(["continue"], models)
    assert report.tools[0].status == "configured", report.tools[0].message
    written = path.read_bytes()
    assert written.endswith(b"disableIndexing: false\t") and _lines_kept(original, written) == []
    assert configure(["continue"], models).tools[0].status == "unchanged"


def test_a_file_continue_cannot_load_is_refused_with_the_reason(home: Path, models: ClientModels) -> None:
    path = home / ".continue" / "config.yaml"
    original = place("real/continue/Nicatio-turboquant.yaml", path)
    tool = configure(["continue"], models).tools[0]
    assert tool.status == "error"
    assert "'agent'" in tool.message and "Gemma 4 MLX" in tool.message and tool.message.count(". ") == 0
    assert path.read_bytes() == original and backup_runs() == []


def test_an_edit_that_cannot_be_carried_writes_nothing(home: Path, models: ClientModels,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """If our change cannot be placed into the user's text, refuse; never emit the whole file anew."""
    import hybridcoder.clients.yaml_doc as yaml_doc

    path = home / ".continue" / "config.yaml"
    original = place("continue/commented.yaml", path)
    monkeypatch.setattr(yaml_doc, "carry_edit", lambda original, before, after: original)  # a lost edit
    tool = configure(["continue"], models).tools[0]
    assert tool.status == "error" and "without rewriting the file" in tool.message
    assert path.read_bytes() == original and backup_runs() == []


def test_a_world_readable_config_becomes_private_and_undo_restores_its_mode(home: Path,
                                                                            models: ClientModels) -> None:
    import os

    from hybridcoder.clients.safe_write import file_mode

    path = home / ".continue" / "config.yaml"
    original = place("continue/commented.yaml", path)
    os.chmod(path, 0o644)
    report = configure(["continue"], models)
    assert TOKEN in path.read_text() and file_mode(path) == 0o600  # it holds the proxy token
    backup = report.tools[0].files[0].backup
    assert backup is not None and file_mode(backup) == 0o600
    configure(["continue"], models, undo=True)
    assert path.read_bytes() == original and file_mode(path) == 0o644


def test_a_config_an_earlier_version_left_readable_is_made_private_on_rerun(home: Path,
                                                                            models: ClientModels) -> None:
    import os

    from hybridcoder.clients.safe_write import file_mode

    path = home / ".continue" / "config.yaml"
    place("continue/commented.yaml", path)
    configure(["continue"], models)
    os.chmod(path, 0o644)  # same bytes, but the mode an earlier version kept
    tool = configure(["continue"], models).tools[0]
    assert tool.status == "configured" and [f.action for f in tool.files] == ["made private"]
    assert file_mode(path) == 0o600
    assert configure(["continue"], models).tools[0].status == "unchanged"
