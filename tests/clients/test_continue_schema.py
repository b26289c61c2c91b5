"""continue_schema mirrors what Continue's loader refuses (cross-checked against Continue's own
validator over the real-config corpus in test_real_configs.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hybridcoder.clients.continue_schema import continue_would_reject

HEAD = "name: Mine\nversion: 1.0.0\nschema: v1\n"
MERGED = ("defaults: &d\n  provider: ollama\n  apiBase: http://localhost:11434\n"
          "models:\n  - name: Qwen\n    <<: *d\n    model: qwen2.5-coder:7b\n")


CASES = [
    (HEAD + "models: []\n", None),
    ("%YAML 1.1\n---\n" + HEAD + MERGED, None),  # merge keys count under YAML 1.1
    (HEAD + MERGED, "models[1] (\u201cQwen\u201d) has no `provider`"),  # ...and are ignored under YAML 1.2
    ("name: Mine\nversion: 1.0\nmodels: []\n", "version is not a string"),
    (HEAD + "models:\n  - name: m\n    provider: openai\n    model: x\n    apiKey:\n",
     "models[1] (\u201cm\u201d).apiKey is empty"),
    (HEAD + "models:\n  - name: m\n    provider: openai\n    model: x\n    roles: [chat, agent]\n",
     "models[1] (\u201cm\u201d).roles[2] is 'agent', which Continue does not know"),
    (HEAD + "models:\n  - title: m\n    provider: openai\n    model: x\n", "models[1] (\u201cm\u201d) has no `name`"),
    (HEAD + "models:\n  - uses: ./models/a.yaml\nrules:\n  - Be brief.\n  - uses: file://r.md\n", None),
    (HEAD + "context:\n  - provider: code\n    params: {n: 1}\nmcpServers:\n  - name: s\n    url: http://x\n", None),
    (HEAD + "prompts:\n  - name: p\n", "prompts[1] (\u201cp\u201d) has no `prompt`"),
    (HEAD + "experimental:\n  disableIndexing: false\t\n", None),  # a trailing tab is fine in YAML 1.2
    ("systemMessage: hi\n", "it has no `name`"),
    ("", None),  # Continue writes its own default over an empty file (it never parses it)
]


@pytest.mark.parametrize(("text", "reason"), CASES)
def test_reasons_match_continues_loader(text: str, reason: str | None) -> None:
    assert continue_would_reject(text) == reason


def test_continues_own_validator_agrees(tmp_path: Path) -> None:
    modules = Path(__file__).resolve().parents[2] / ".e2e" / "node_modules"
    if not (modules / "@continuedev" / "config-yaml").exists() or shutil.which("node") is None:
        pytest.skip("Continue's validator is not installed; run scripts/install_e2e_clients.sh")
    files = []
    for index, (text, _) in enumerate(CASES[:-1]):
        files.append(tmp_path / f"{index}.yaml")
        files[-1].write_text(text)
    script = Path(__file__).resolve().parent / "e2e" / "validate_continue_many.mjs"
    result = subprocess.run(["node", str(script), str(modules)], input=json.dumps([str(f) for f in files]),
                            capture_output=True, text=True, timeout=60, check=True)
    verdicts = json.loads(result.stdout)
    loads = ["parseError" not in v and not any(e.get("fatal") for e in v["errors"]) for v in verdicts]
    assert loads == [reason is None for _, reason in CASES[:-1]]
