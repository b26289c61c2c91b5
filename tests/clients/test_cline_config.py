"""Cline: both storage generations merged, secrets 0600, reruns no-ops, undo exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hybridcoder.clients.safe_write import file_mode
from hybridcoder.clients.targets import ClientModels
from tests.clients.conftest import TOKEN, backup_runs, configure, place

CORPUS = {
    "globalState.json": "globalState.json",
    "secrets.json": "secrets.json",
    "settings/providers.json": "providers.json",
    "settings/models.json": "models.json",
}


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def install_corpus(data: Path) -> dict[Path, bytes]:
    return {data / rel: place(f"cline/{name}", data / rel) for rel, name in CORPUS.items()}


def test_merge_keeps_every_user_key_and_sets_plan_and_act(home: Path, models: ClientModels) -> None:
    data = home / ".cline" / "data"
    originals = install_corpus(data)
    before = {p: read(p) for p in originals}
    report = configure(["cline"], models)
    assert report.ok and report.tools[0].status == "configured"

    state = read(data / "globalState.json")
    for key, value in before[data / "globalState.json"].items():
        if key not in ("requestTimeoutMs",) and not key.startswith(("planMode", "actMode")):
            assert state[key] == value
    assert state["autoApprovalSettings"] == before[data / "globalState.json"]["autoApprovalSettings"]
    for mode in ("plan", "act"):
        assert state[f"{mode}ModeApiProvider"] == "openai"
        assert state[f"{mode}ModeOpenAiModelId"] == "hybrid-auto"
        info = state[f"{mode}ModeOpenAiModelInfo"]
        assert info["contextWindow"] == 16384 and info["supportsTools"] is True and info["inputPrice"] == 0
    assert state["openAiBaseUrl"] == "http://127.0.0.1:11480/v1"
    assert state["requestTimeoutMs"] >= 300000

    secrets = read(data / "secrets.json")
    assert secrets["openAiApiKey"] == TOKEN and secrets["apiKey"].startswith("sk-ant-placeholder")
    assert file_mode(data / "secrets.json") == 0o600

    providers = read(data / "settings" / "providers.json")
    assert providers["lastUsedProvider"] == "openai-compatible"
    assert providers["providers"]["anthropic"] == before[data / "settings/providers.json"]["providers"]["anthropic"]
    ours = providers["providers"]["openai-compatible"]["settings"]
    assert ours["baseUrl"] == "http://127.0.0.1:11480/v1" and ours["model"] == "hybrid-auto"
    assert ours["timeout"] >= 300000 and ours["contextWindow"] == 16384
    assert any("192.168.1.20" in n for n in report.tools[0].notes)  # told what was replaced

    catalog = read(data / "settings" / "models.json")
    assert catalog["providers"]["lmstudio"] == before[data / "settings/models.json"]["providers"]["lmstudio"]
    model = catalog["providers"]["openai-compatible"]["models"]["hybrid-auto"]
    assert "tools" in model["capabilities"] and model["contextWindow"] == 16384

    # Untouched entries come back byte for byte (same JSON style as Cline writes).
    text = (data / "globalState.json").read_text()
    assert '  "autoApprovalSettings": {\n    "version": 1,\n    "enabled": true,' in text
    assert "“edge cases”" in text  # non-ASCII not escaped


def test_second_run_is_a_noop_and_undo_restores_bytes(home: Path, models: ClientModels) -> None:
    data = home / ".cline" / "data"
    originals = install_corpus(data)
    secrets_mode = file_mode(data / "secrets.json")
    configure(["cline"], models)
    assert file_mode(data / "secrets.json") == 0o600
    written = {p: p.read_bytes() for p in originals}
    runs = backup_runs()
    again = configure(["cline"], models)
    assert again.tools[0].status == "unchanged"
    assert {p: p.read_bytes() for p in originals} == written and backup_runs() == runs  # updatedAt unchanged
    configure(["cline"], models, undo=True)
    assert {p: p.read_bytes() for p in originals} == originals
    assert file_mode(data / "secrets.json") == secrets_mode  # permission bits restored too


def test_fresh_install_creates_files_and_undo_removes_them(home: Path, models: ClientModels) -> None:
    configure(["cline"], models)
    data = home / ".cline" / "data"
    files = [data / "globalState.json", data / "secrets.json", data / "settings" / "providers.json",
             data / "settings" / "models.json"]
    assert all(p.exists() for p in files)
    assert read(data / "globalState.json")["welcomeViewCompleted"] is True
    configure(["cline"], models, undo=True)
    assert not any(p.exists() for p in files)


def test_crlf_without_final_newline_is_kept(home: Path, models: ClientModels) -> None:
    path = home / ".cline" / "data" / "globalState.json"
    place("cline/globalState_crlf_nonewline.json", path)
    configure(["cline"], models)
    raw = path.read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n") and not raw.endswith(b"\n")
    assert raw.startswith(b'{\r\n  "welcomeViewCompleted": true,\r\n  "mode": "act",\r\n  "telemetrySetting": "enabled",')


def test_broken_json_stops_cline_and_writes_nothing(home: Path, models: ClientModels) -> None:
    data = home / ".cline" / "data"
    broken = place("cline/broken_globalState.json", data / "globalState.json")
    report = configure(["cline"], models)
    tool = report.tools[0]
    assert tool.status == "error" and tool.broken_line == 4 and "line 4" in tool.message
    assert (data / "globalState.json").read_bytes() == broken
    assert not (data / "secrets.json").exists()  # nothing half-configured
    fresh = configure(["cline"], models, reset_broken=True)
    assert fresh.tools[0].status == "configured"
    configure(["cline"], models, undo=True)
    assert (data / "globalState.json").read_bytes() == broken


@pytest.mark.parametrize("variable", ["CLINE_DIR", "CLINE_DATA_DIR"])
def test_cline_dir_variables(variable: str, tmp_path: Path, home: Path, models: ClientModels,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "cline-root"
    monkeypatch.setenv(variable, str(root))
    configure(["cline"], models)
    data = root / "data" if variable == "CLINE_DIR" else root
    assert (data / "settings" / "providers.json").exists() and (data / "globalState.json").exists()
    assert not (home / ".cline").exists()


def test_rules_go_to_the_global_cline_rules_folder(home: Path, models: ClientModels) -> None:
    report = configure(["cline"], models, rules=True)
    rules_file = home / "Documents" / "Cline" / "Rules" / "hybrid-coder-small-models.md"
    text = rules_file.read_text()
    numbered = [line for line in text.splitlines() if line[:1].isdigit()]
    assert 1 <= len(numbered) <= 12 and not text.startswith("---")  # no front matter: always on
    assert report.ok
    assert not (home / ".cline" / "rules").exists()  # one place only, so rules are not sent twice


def test_no_rules_removes_our_rule_file_and_undo_brings_it_back(home: Path, models: ClientModels) -> None:
    rules_file = home / "Documents" / "Cline" / "Rules" / "hybrid-coder-small-models.md"
    configure(["cline"], models, rules=True)
    text = rules_file.read_bytes()
    report = configure(["cline"], models, rules=False)
    assert not rules_file.exists()
    assert any(f.action == "deleted" and f.path == rules_file for f in report.tools[0].files)
    configure(["cline"], models, undo=True)
    assert rules_file.read_bytes() == text


def test_provider_settings_path_variable(tmp_path: Path, home: Path, models: ClientModels,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere" / "providers.json"
    monkeypatch.setenv("CLINE_PROVIDER_SETTINGS_PATH", str(target))
    configure(["cline"], models)
    assert read(target)["lastUsedProvider"] == "openai-compatible"
    assert (target.parent / "models.json").exists()
    assert not (home / ".cline" / "data" / "settings" / "providers.json").exists()


@pytest.mark.parametrize(("corpus", "rel", "old_values"), [
    ("real/cline/timfel-dotfiles.globalState.json", "globalState.json", ["gpt-5.4", "gpt-5.5", "plan mode model"]),
    ("real/cline/RossLohrisch-nyc-311-dashboard.globalState.json", "globalState.json",
     ["plan mode provider openai-codex", "act mode provider openai-codex"]),
    ("real/cline/chriswoodley-glowing-robot.providers.json", "settings/providers.json", ["CLI provider cline"]),
])
def test_every_replaced_provider_and_model_is_named(corpus: str, rel: str, old_values: list[str], home: Path,
                                                    models: ClientModels) -> None:
    place(corpus, home / ".cline" / "data" / rel)
    said = " ".join(configure(["cline"], models).tools[0].notes)
    for old in old_values:
        assert old in said
