"""Every writer over real users' config files from public repositories (tests/data/client_configs/real/).

Five checks per file, each run in its own temporary HOME and app folder:

1. nothing of the user's is lost: every key and value is still there (or, for a legacy
   config.json, carried over into config.yaml or named in a note), and every value we
   replace is announced;
2. the tool can load the result: Continue's own validator (@continuedev/config-yaml, all
   files in one node process) accepts config.yaml and sees the user's models exactly as
   before; aider's and Cline's files parse as the tools need them;
3. a second run changes nothing;
4. undo restores the exact bytes (and permission bits);
5. no file holding the proxy token is readable by other users (backups included).

A writer may refuse a file, with a one-sentence reason and nothing written, but only where
the result would not load: Continue already rejects the file, or a legacy config.json holds
settings config.yaml cannot carry. The counts are printed; all must pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from hybridcoder.clients.configure import ToolReport
from hybridcoder.clients.targets import ClientModels
from hybridcoder.clients.yaml_doc import plain, set_tabs_aside
from hybridcoder.paths import app_paths
from tests.clients.conftest import TOKEN, configure

REAL = Path(__file__).resolve().parents[1] / "data" / "client_configs" / "real"
MODULES = Path(__file__).resolve().parents[2] / ".e2e" / "node_modules"
VALIDATOR = Path(__file__).resolve().parent / "e2e" / "validate_continue_many.mjs"
AIDER_PYTHON = Path(__file__).resolve().parents[2] / ".e2e" / "aider-venv" / "bin" / "python"
AIDER_PARSER = Path(__file__).resolve().parent / "e2e" / "parse_aider_confs.py"
CHECKS = ("nothing lost", "tool can load it", "rerun changes nothing", "undo restores bytes", "token file private")
OURS = "Hybrid Coder"


@dataclass(frozen=True)
class Case:
    tool: str
    corpus: Path
    dest: str  # relative to HOME

    @property
    def label(self) -> str:
        return str(self.corpus.relative_to(REAL))


def cases() -> list[Case]:
    found: list[Case] = []
    for path in sorted((REAL / "continue").iterdir()):
        found.append(Case("continue", path, ".continue/config.yaml"))
    for path in sorted((REAL / "continue_json").iterdir()):
        found.append(Case("continue", path, ".continue/config.json"))
    for path in sorted((REAL / "aider").iterdir()):
        found.append(Case("aider", path, ".aider.conf.yml"))
    for path in sorted((REAL / "cline").iterdir()):
        rel = "settings/providers.json" if path.name.endswith(".providers.json") else "globalState.json"
        found.append(Case("cline", path, f".cline/data/{rel}"))
    return found


@dataclass
class Outcome:
    case: Case
    refused: str | None = None
    problems: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CHECKS})
    notes: list[str] = field(default_factory=list)
    original_yaml: Path | None = None  # copies handed to Continue's validator / aider's parser
    written_yaml: Path | None = None
    preexisting: str | None = None  # the tool could not load the user's own file either

    def fail(self, check: str, problem: str) -> None:
        self.problems[check].append(problem)


def snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    """Every file under ``root`` with its bytes and permission bits."""
    return {p: (p.read_bytes(), p.stat().st_mode & 0o777) for p in sorted(root.rglob("*")) if p.is_file()}


def load_yaml(data: bytes) -> Any:
    # Trailing tabs are valid YAML 1.2 (Continue reads them) but trip ruamel's scanner.
    return plain(YAML(typ="rt").load(set_tabs_aside(data.decode("utf-8-sig"))[0]))


def is_ours(item: Any) -> bool:
    return isinstance(item, dict) and str(item.get("name", "")).startswith(OURS)


def announced(notes: list[str], *needles: str) -> bool:
    return any(all(n in note for n in needles) for note in notes)


# --- check 1 per tool: nothing of the user's is lost ------------------------------------------

def lost_continue_yaml(original: bytes, home: Path, out: Outcome) -> None:
    before = load_yaml(original) or {}
    after = load_yaml((home / ".continue" / "config.yaml").read_bytes())
    if not isinstance(before, dict):
        return
    for key, value in before.items():
        if key == "models":
            mine = [m for m in (value or []) if not is_ours(m)]
            theirs = [m for m in (after.get("models") or []) if not is_ours(m)]
            if mine != theirs:
                out.fail("nothing lost", "the user's models changed")
        elif after.get(key) != value:
            out.fail("nothing lost", f"top-level {key!r} changed")


def _yaml_models(after: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in after.get("models") or [] if isinstance(m, dict) and not is_ours(m)]


def lost_continue_json(original: bytes, home: Path, out: Outcome) -> None:
    """config.json stays as it was; whatever config.yaml can hold must be in it, the rest named."""
    from hybridcoder.clients.json_doc import parse_json_object

    if (home / ".continue" / "config.json").read_bytes() != original:
        out.fail("nothing lost", "config.json was modified")
    legacy = parse_json_object("continue", Path("config.json"), original, jsonc=True).data
    after = load_yaml((home / ".continue" / "config.yaml").read_bytes())
    models = _yaml_models(after)

    def has_model(entry: Any, role: str | None) -> None:
        if not isinstance(entry, dict):
            return
        wanted = {k: entry[k] for k in ("provider", "model", "apiBase", "apiKey") if entry.get(k)}
        hits = [m for m in models if all(m.get(k) == v for k, v in wanted.items())
                and (role is None or role in (m.get("roles") or []))]
        if not hits:
            out.fail("nothing lost", f"model {entry.get('title') or entry.get('model')!r} not carried over")

    for entry in legacy.get("models") or []:
        has_model(entry, None)
    tab = legacy.get("tabAutocompleteModel")
    for entry in tab if isinstance(tab, list) else [tab]:
        has_model(entry, "autocomplete")
    context = {c.get("provider") for c in after.get("context") or [] if isinstance(c, dict)}
    for provider in legacy.get("contextProviders") or []:
        if provider.get("name") not in context:
            out.fail("nothing lost", f"context provider {provider.get('name')!r} not carried over")
    prompts = {p.get("name"): p.get("prompt") for p in after.get("prompts") or [] if isinstance(p, dict)}
    for command in legacy.get("customCommands") or []:
        if prompts.get(command.get("name")) != command.get("prompt"):
            out.fail("nothing lost", f"custom command {command.get('name')!r} not carried over as a prompt")
    docs = {d.get("startUrl") for d in after.get("docs") or [] if isinstance(d, dict)}
    for doc in legacy.get("docs") or []:
        if doc.get("startUrl") not in docs:
            out.fail("nothing lost", f"docs site {doc.get('startUrl')!r} not carried over")
    rules = after.get("rules") or []
    for key in ("systemMessage", "customInstructions"):
        if isinstance(legacy.get(key), str) and legacy[key] not in rules:
            out.fail("nothing lost", f"{key} not carried over as a rule")
    options = legacy.get("tabAutocompleteOptions") or {}
    autocomplete = [m for m in models if "autocomplete" in (m.get("roles") or [])]
    for key in ("disable", "maxPromptTokens", "debounceDelay", "onlyMyCode", "template", "useImports",
                "useRecentlyEdited", "prefixPercentage", "maxSuffixPercentage", "transform", "useCache"):
        if key in options and not all((m.get("autocompleteOptions") or {}).get(key) == options[key]
                                      for m in autocomplete):
            out.fail("nothing lost", f"tabAutocompleteOptions.{key} not carried over")
    carried = {"models", "tabAutocompleteModel", "contextProviders", "customCommands", "docs", "systemMessage",
               "customInstructions", "tabAutocompleteOptions", "embeddingsProvider", "reranker"}
    for key in legacy:
        if key not in carried and not any(key in note for note in out.notes):
            out.fail("nothing lost", f"{key!r} was neither carried over nor named in a note")


_AIDER_OURS = ("model", "weak-model", "editor-model", "openai-api-base", "openai-api-key")


def lost_aider(original: bytes, home: Path, out: Outcome) -> None:
    before = load_yaml(original) or {}
    after = load_yaml((home / ".aider.conf.yml").read_bytes())
    for key, value in before.items():
        if key in _AIDER_OURS:
            if after.get(key) != value and not announced(out.notes, key):
                out.fail("nothing lost", f"{key} was replaced without saying so")
        elif after.get(key) != value:
            out.fail("nothing lost", f"{key!r} changed")


_CLINE_STATE_OURS = ("planModeApiProvider", "actModeApiProvider", "planModeOpenAiModelId", "actModeOpenAiModelId",
                     "openAiBaseUrl")


def lost_cline(original: bytes, home: Path, out: Outcome) -> None:
    rel = out.case.dest.removeprefix(".cline/data/")
    before = json.loads(original)
    after = json.loads((home / ".cline" / "data" / rel).read_bytes())
    if rel == "globalState.json":
        for key, value in before.items():
            if key in _CLINE_STATE_OURS:
                if after.get(key) != value and not announced(out.notes, str(value)):
                    out.fail("nothing lost", f"{key}={value!r} was replaced without saying so")
            elif key.endswith("ModelInfo") and key.startswith(("plan", "act")) and "OpenAi" in key:
                continue  # model info travels with the model id announced above
            elif key in ("requestTimeoutMs", "welcomeViewCompleted"):
                continue  # raised to what a local model needs / first-run screen done (documented)
            elif after.get(key) != value:
                out.fail("nothing lost", f"{key!r} changed")
    else:
        if before.get("lastUsedProvider") not in (None, after.get("lastUsedProvider")) and not announced(
                out.notes, str(before["lastUsedProvider"])):
            out.fail("nothing lost", "lastUsedProvider was replaced without saying so")
        for provider, entry in (before.get("providers") or {}).items():
            if provider != "openai-compatible" and after["providers"].get(provider) != entry:
                out.fail("nothing lost", f"provider {provider!r} changed")


LOST: dict[str, Callable[[bytes, Path, Outcome], None]] = {
    "continue": lost_continue_yaml, "aider": lost_aider, "cline": lost_cline}


# --- check 2 for aider and Cline (Continue's is the batch validator below) --------------------

def loadable(case: Case, home: Path, out: Outcome) -> None:
    if case.tool == "aider":
        data = load_yaml((home / ".aider.conf.yml").read_bytes())
        # aider reads its YAML through configargparse: a flat mapping of scalars and lists.
        bad = [k for k, v in data.items() if isinstance(v, dict)]
        if not isinstance(data, dict) or bad or data.get("model") != "openai/hybrid-auto":
            out.fail("tool can load it", f"aider would not read it ({bad or data.get('model')})")
    elif case.tool == "cline":
        for rel in ("globalState.json", "secrets.json", "settings/providers.json", "settings/models.json"):
            try:
                json.loads((home / ".cline" / "data" / rel).read_bytes())
            except ValueError as exc:
                out.fail("tool can load it", f"{rel}: {exc}")


def run_case(case: Case, root: Path, models: ClientModels, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    out = Outcome(case)
    slug = case.label.replace("/", "__")
    home, app = root / slug / "home", root / slug / "app"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HYBRIDCODER_HOME", str(app))
    dest = home / case.dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(case.corpus, dest)
    os.chmod(dest, 0o644)  # what a user's editor leaves behind
    original = dest.read_bytes()
    before = snapshot(home)
    yaml_path = home / (".continue/config.yaml" if case.tool == "continue" else ".aider.conf.yml")
    if case.tool in ("continue", "aider") and yaml_path.exists():
        out.original_yaml = root / "validate" / f"{slug}.original.yaml"
        out.original_yaml.parent.mkdir(exist_ok=True)
        shutil.copyfile(yaml_path, out.original_yaml)

    first: ToolReport = configure([case.tool], models).tools[0]
    out.notes = first.notes
    if first.status == "error":
        out.refused = first.message
        if "\n" in first.message or not first.message.rstrip().endswith("."):
            out.fail("nothing lost", f"refusal is not one sentence: {first.message!r}")
        if snapshot(home) != before:
            out.fail("nothing lost", "a refused file was changed anyway")
        if case.tool != "continue":
            out.fail("tool can load it", f"refused: {first.message}")
    elif first.status != "configured":
        out.fail("nothing lost", f"unexpected status {first.status}: {first.message}")
        return out
    else:
        try:
            (lost_continue_json if case.dest.endswith("config.json") else LOST[case.tool])(original, home, out)
        except Exception as exc:  # a crash in a check is a failed check, reported with the file
            out.fail("nothing lost", f"check crashed: {exc!r}")
        loadable(case, home, out)
        if case.tool in ("continue", "aider"):
            out.written_yaml = root / "validate" / f"{slug}.written.yaml"
            out.written_yaml.parent.mkdir(exist_ok=True)
            shutil.copyfile(yaml_path, out.written_yaml)
    written = snapshot(home)

    runs = sorted(app_paths().backups_dir.glob("*")) if app_paths().backups_dir.exists() else []
    second = configure([case.tool], models).tools[0]
    runs_after = sorted(app_paths().backups_dir.glob("*")) if app_paths().backups_dir.exists() else []
    if second.status != ("error" if out.refused else "unchanged") or snapshot(home) != written or runs != runs_after:
        out.fail("rerun changes nothing", f"second run: {second.status} {second.message}")

    holders = [p for p in [*home.rglob("*"), *app.rglob("*")] if p.is_file() and TOKEN.encode() in p.read_bytes()]
    for path in holders:
        if path.stat().st_mode & 0o077:
            out.fail("token file private", f"{path.relative_to(root / slug)} is {oct(path.stat().st_mode & 0o777)}")

    configure([case.tool], models, undo=True)
    if snapshot(home) != before:
        changed = sorted(str(p.relative_to(home)) for p in set(before) | set(snapshot(home))
                         if before.get(p) != snapshot(home).get(p))
        out.fail("undo restores bytes", f"differs after undo: {changed}")
    return out


def validate_continue(outcomes: list[Outcome]) -> bool:
    """Run Continue's validator over every original and written config.yaml in one node process."""
    if not (MODULES / "@continuedev" / "config-yaml").exists() or shutil.which("node") is None:
        return False
    paths = [str(p) for o in outcomes for p in (o.original_yaml, o.written_yaml) if p]
    result = subprocess.run(["node", str(VALIDATOR), str(MODULES)], input=json.dumps(paths), capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts = {v["file"]: v for v in json.loads(result.stdout)}
    for out in outcomes:
        if out.case.tool != "continue":
            continue
        before = verdicts.get(str(out.original_yaml)) if out.original_yaml else None
        loads_before = before is not None and "parseError" not in before and not any(
            e.get("fatal") for e in before["errors"])
        if out.refused:
            if loads_before:
                out.fail("tool can load it", f"refused a file Continue loads: {out.refused}")
            elif before is None and "config.json" not in out.refused:
                out.fail("tool can load it", f"refused: {out.refused}")
            continue
        if out.written_yaml is None:
            continue
        after = verdicts[str(out.written_yaml)]
        if "parseError" in after:
            out.fail("tool can load it", after["parseError"])
            continue
        fatal = [e["message"] for e in after["errors"] if e.get("fatal")]
        new = [e["message"] for e in after["errors"]
               if not before or "errors" not in before or e not in before["errors"]]
        if fatal or new:
            out.fail("tool can load it", f"validator: {fatal or new}")
        names = [m.get("name") for m in after["config"].get("models") or []]
        if sum(1 for n in names if n == OURS) != 1:
            out.fail("tool can load it", f"our chat model is not there once: {names}")
        stripped_ours = [k for k in after["stripped"] if k.startswith("models.") and
                         str(names[int(k.split(".")[1])] or "").startswith(OURS)]
        if stripped_ours:
            out.fail("tool can load it", f"Continue drops our keys {stripped_ours}")
        if loads_before:
            mine = [m for m in before["config"].get("models") or [] if not is_ours(m)]
            theirs = [m for m in after["config"].get("models") or [] if not is_ours(m)]
            if mine != theirs:
                out.fail("nothing lost", "Continue now reads the user's models differently")
            rest = {k: v for k, v in before["config"].items() if k != "models"}
            if any(after["config"].get(k) != v for k, v in rest.items()):
                out.fail("nothing lost", "Continue now reads the user's other settings differently")
    return True


def parse_with_aider(outcomes: list[Outcome]) -> bool:
    """aider's own parser (configargparse, from .e2e/aider-venv) over every original and written conf."""
    if not AIDER_PYTHON.exists():
        return False
    mine = [o for o in outcomes if o.case.tool == "aider"]
    paths = [str(p) for o in mine for p in (o.original_yaml, o.written_yaml) if p]
    result = subprocess.run([str(AIDER_PYTHON), str(AIDER_PARSER)], input=json.dumps(paths), capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts = {v["file"]: v for v in json.loads(result.stdout)}
    for out in mine:
        if out.written_yaml is None:
            continue
        before, after = verdicts[str(out.original_yaml)], verdicts[str(out.written_yaml)]
        if "error" in after:
            if "error" in before and before["error"] == after["error"]:
                out.preexisting = f"aider cannot load this file, before or after: {after['error']}"
            else:
                out.fail("tool can load it", f"aider: {after['error']}")
            continue
        wanted = {"model": "openai/hybrid-auto", "weak_model": "openai/hybrid-auto",
                  "editor_model": "openai/hybrid-auto", "openai_api_base": "http://127.0.0.1:11480/v1",
                  "openai_api_key_set": True}
        if {k: after[k] for k in wanted} != wanted:
            out.fail("tool can load it", f"aider reads {after}")
    return True


def test_every_writer_over_real_users_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    models = ClientModels(chat_context=16384, autocomplete="qwen2.5-coder:1.5b-base", local_chat="qwen2.5-coder:7b")
    outcomes = [run_case(case, tmp_path, models, monkeypatch) for case in cases()]
    validated = validate_continue(outcomes)
    aider_parsed = parse_with_aider(outcomes)
    total = len(outcomes)
    by_tool = {t: sum(1 for o in outcomes if o.case.tool == t) for t in ("continue", "aider", "cline")}
    lines = [f"real users' configs: {total} files ({by_tool['continue']} Continue, {by_tool['aider']} aider, "
             f"{by_tool['cline']} Cline); configured {sum(1 for o in outcomes if not o.refused)}, "
             f"refused with a reason {sum(1 for o in outcomes if o.refused)}"]
    for check in CHECKS:
        if check == "tool can load it" and not validated:
            lines.append(f"  {check:24s} Continue's validator is not installed (.e2e/): config.yaml not validated")
        if check == "tool can load it" and not aider_parsed:
            lines.append(f"  {check:24s} aider is not installed (.e2e/aider-venv): its own parser not run")
        passed = sum(1 for o in outcomes if not o.problems[check])
        lines.append(f"  {check:24s} {passed}/{total} pass")
    for out in outcomes:
        if out.preexisting:
            lines.append(f"  note {out.case.label}: {out.preexisting}")
        if out.refused:
            where = str(tmp_path / out.case.label.replace("/", "__") / "home")
            lines.append(f"  refused {out.case.label}: {out.refused.replace(where, '~')}")
    failures = [f"  FAIL {o.case.label} [{check}]: {'; '.join(p)}"
                for o in outcomes for check, p in o.problems.items() if p]
    with capsys.disabled():
        print("\n" + "\n".join(lines + failures))
    assert total >= 60 and by_tool["continue"] >= 40 and by_tool["aider"] >= 15
    assert not failures, "\n".join(failures)
    if not validated:
        pytest.skip("four checks pass on every file; Continue's validator is not installed "
                    "(run scripts/install_e2e_clients.sh) so config.yaml was not validated")


def test_every_real_file_names_its_source() -> None:
    """Each corpus file has a SOURCES.md row with repository, path and a 40-hex commit."""
    rows = {}
    for line in (REAL / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and "/" in cells[1]:
            rows[cells[0]] = cells
    files = {c.label for c in cases()}
    assert files == set(rows), f"missing: {files - set(rows)}, stale: {set(rows) - files}"
    for name, (_, repo, path, commit, _) in rows.items():
        assert repo.count("/") == 1 and path and len(commit) == 40 and int(commit, 16) >= 0, name
