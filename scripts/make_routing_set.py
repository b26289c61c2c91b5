#!/usr/bin/env python3
"""Generate the labelled routing sets: one file per source under tests/data/routing/.

- requests.jsonl: the first generator (below; templates in scripts/routing_set/tasks.py);
- written.jsonl: a second generator of a different style plus hand-written hard cases
  (scripts/routing_set/second_hand.py, hard_cases.py);
- public.jsonl: real public text (HumanEval / HumanEval-Rust prompts shipped in PyPI packages,
  paraphrased public issues) in the clients' shapes (scripts/routing_set/public_text.py).

The rest of this docstring is about the first generator.

Deterministic (fixed seed, no clock): running it twice gives the same file. Each
request is one hand-written task snippet (scripts/routing_set/tasks.py) rendered in
the exact body shape one real client sends (scripts/routing_set/clients.py), with
files from a small hand-written code pool as context. The label comes from the
task's category, following tests/data/routing/LABELLING.md.

Split: a record is held out when the SHA-256 of its task id (its *group*) falls in
the lowest 30 %, so every rendering of one task lands on the same side and the
held-out split measures phrasing the scorer never saw in training.

    python scripts/make_routing_set.py            # writes tests/data/routing/requests.jsonl
    python scripts/make_routing_set.py --check    # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_set import clients
from routing_set.code_pool import FILES, RELATED, SINGLE, big_file
from routing_set.tasks import CLOUD, LOCAL, RULES

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "tests" / "data" / "routing"
OUT = DATA_DIR / "requests.jsonl"
SEED = 20260603
HELDOUT_PERCENT = 30
CHAT = "/v1/chat/completions"

REASONS = {
    "autocomplete": "autocomplete (FIM): a small local coder is built for this",
    "explain": "explain code the user selected: one function, answerable from the given context",
    "tests": "unit tests for one clearly-typed function",
    "boilerplate": "boilerplate, CRUD scaffold or config file: well-trained structural patterns",
    "refactor": "single-file refactor (rename, extract, convert between equivalent patterns)",
    "docs": "doc comments / docs for code in context",
    "script": "throwaway script or one-liner",
    "multi_file": "reasoning across 3+ files with real dependencies",
    "long_rules": "more than 15 rules the answer must follow",
    "niche": "niche or recently released framework (thin training data for a 7B model)",
    "edge_spec": "edge-case-heavy specification",
    "agent": "tools offered: a tool-using agent loop (tool-call format errors compound in small models)",
    "overflow": "context beyond the local model's window",
    "ambiguous": "ambiguous request: needs judgement about what the user means",
}


def group_split(group: str) -> str:
    bucket = int(hashlib.sha256(group.encode()).hexdigest(), 16) % 100
    return "heldout" if bucket < HELDOUT_PERCENT else "train"


def pool_file(path: str) -> tuple[str, str, str]:
    language, code = FILES[path]
    return path, language, code


class Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.records: list[dict[str, Any]] = []

    def add(self, group: str, category: str, label: str, client: str, shape: str, body: dict[str, Any],
            endpoint: str = CHAT, reason: str | None = None) -> None:
        number = sum(1 for r in self.records if r["group"] == group) + 1
        self.records.append({
            "id": f"{group}-{number}",
            "group": group,
            "split": group_split(group),
            "category": category,
            "label": label,
            "reason": reason or REASONS[category],
            "client": client,
            "shape": shape,
            "endpoint": endpoint,
            "body": body,
        })

    # --- context helpers ------------------------------------------------------------------------

    def single(self, task_id: str) -> list[tuple[str, str, str]]:
        return [pool_file(SINGLE[int(hashlib.md5(task_id.encode()).hexdigest(), 16) % len(SINGLE)])]

    def related(self, task_id: str) -> list[tuple[str, str, str]]:
        return [pool_file(p) for p in RELATED[int(hashlib.md5(task_id.encode()).hexdigest(), 16) % len(RELATED)]]

    def context(self, task_id: str, kind: str) -> list[tuple[str, str, str]]:
        if kind == "single":
            return self.single(task_id)
        if kind == "related":
            return self.related(task_id)
        if kind == "big":
            return [big_file(int(task_id[2:]), self.rng.randint(72_000, 110_000))]
        if kind == "bigfit":
            return [big_file(int(task_id[2:]) + 50, self.rng.randint(22_000, 40_000))]
        return []

    def few_rules(self) -> list[str] | None:
        """Most users have a handful of rules or none; that alone never needs the cloud."""
        roll = self.rng.random()
        if roll < 0.6:
            return None
        return self.rng.sample(RULES, self.rng.randint(2, 9))

    def many_rules(self) -> list[str]:
        return self.rng.sample(RULES, self.rng.randint(16, 40))

    def history(self) -> list[tuple[str, str]] | None:
        if self.rng.random() < 0.7:
            return None
        return [("Can you look at this file?", "Sure, it defines a few helpers. What would you like to change?")]

    # --- categories -----------------------------------------------------------------------------

    def autocomplete(self, count: int) -> None:
        paths = sorted(FILES)
        for index in range(count):
            path = paths[index % len(paths)]
            code = FILES[path][1]
            cut = self.rng.randint(len(code) // 5, 4 * len(code) // 5)
            prefix, suffix = code[:cut], code[cut:]
            group = f"ac{index:02d}"
            if index % 10 < 7:
                others = [(p, FILES[p][1][:300]) for p in self.rng.sample(paths, self.rng.randint(0, 2)) if p != path]
                body = clients.continue_autocomplete(path, prefix, suffix, repo="acme", other=others)
                self.add(group, "autocomplete", "local", "continue", "continue-autocomplete", body, "/v1/completions")
            else:
                body = clients.ollama_generate_fim(prefix, suffix, raw=index % 2 == 0)
                self.add(group, "autocomplete", "local", "continue", "ollama-generate-fim", body, "/api/generate")

    def local_tasks(self) -> None:
        # Local asks come in agent shapes too (Continue agent mode sends its tools on every
        # message; Cline's plan mode answers in prose): tools offered are not an agent loop.
        shapes = {
            "explain": ["continue-chat", "aider-ask", "openai-sdk", "cline-plan-mention", "continue-agent"],
            "tests": ["continue-chat", "aider-diff", "openai-sdk", "aider-whole", "continue-agent"],
            "boilerplate": ["continue-chat", "openai-sdk", "aider-whole", "continue-edit-insert", "continue-agent"],
            "refactor": ["continue-edit-section", "aider-diff", "continue-edit-full", "aider-udiff", "continue-apply"],
            "docs": ["continue-edit-section", "continue-chat", "aider-diff", "aider-whole", "cline-plan-mention"],
            "script": ["openai-sdk", "continue-chat", "aider-whole", "continue-agent"],
        }
        for category, tasks in LOCAL.items():
            options = shapes[category]
            for position, (task_id, text, kind) in enumerate(tasks):
                for variant in range(2):
                    shape = options[(position + variant * 2) % len(options)]
                    files = self.context(task_id, kind)
                    if shape.startswith("continue-edit") and not files:
                        files = self.single(task_id)
                    if shape in ("continue-apply",) and not files:
                        shape = "continue-chat"
                    self.render(task_id, category, "local", shape, text, files, rules=self.few_rules())

    def cloud_tasks(self) -> None:
        shapes = {
            "multi_file": ["continue-chat", "aider-diff", "openai-sdk"],
            "long_rules": ["continue-chat", "openai-sdk-rules", "cline-act"],
            "niche": ["continue-chat", "openai-sdk", "aider-diff"],
            "edge_spec": ["continue-chat", "openai-sdk", "aider-whole"],
            "agent": ["cline-act", "cline-plan", "continue-agent-loop", "openai-sdk-tools", "continue-agent"],
            "overflow": ["continue-chat", "aider-diff", "openai-sdk"],
            "ambiguous": ["continue-chat", "continue-edit-section", "openai-sdk", "aider-diff"],
        }
        for category, tasks in CLOUD.items():
            options = shapes[category]
            repeats = 1 if category == "overflow" else 2
            for position, (task_id, text, kind) in enumerate(tasks):
                for variant in range(repeats):
                    shape = options[(position + variant) % len(options)]
                    files = self.context(task_id, kind)
                    if shape.startswith("continue-edit") and not files:
                        files = self.single(task_id)
                    rules = self.many_rules() if category == "long_rules" else self.few_rules()
                    self.render(task_id, category, "cloud", shape, text, files, rules=rules)

    def render(self, task_id: str, category: str, label: str, shape: str, text: str,
               files: list[tuple[str, str, str]], *, rules: list[str] | None) -> None:
        rng = self.rng
        client = shape.split("-")[0]
        client = {"openai": "openai-sdk"}.get(client, client)
        shape_name = "cline-plan" if shape == "cline-plan-mention" else shape
        if shape == "continue-chat":
            body = clients.continue_chat(text, files, rules=rules, history=self.history(),
                                         highlighted=rng.random() < 0.7, rng=rng)
        elif shape == "continue-agent":
            body = clients.continue_agent(text, files, rules=rules)
        elif shape == "continue-agent-loop":
            history = [p for p, _, _ in self.related(task_id)][: rng.randint(1, 3)]
            body = clients.continue_agent(text, [], tool_history=history, rules=rules)
        elif shape.startswith("continue-edit"):
            path, language, code = files[0]
            body = clients.continue_edit(text, path, language, code, variant=shape.rsplit("-", 1)[1])
        elif shape == "continue-apply":
            path, language, code = files[0]
            body = clients.continue_apply(code, "# ... existing code ...\n" + code.splitlines()[-1] + "  # updated\n")
        elif shape == "cline-plan-mention":
            # A plan-mode question about the file the user @-mentioned: one prose answer.
            body = clients.cline(text, mode="plan", mentions=[(p, c) for p, _, c in files[:1]] or None)
        elif shape in ("cline-act", "cline-plan"):
            group = self.related(task_id)
            depth = rng.choice([0, 0, 1, 2, 4])
            reads = [(p, c) for p, _, c in group[:depth]]
            mentions = [(p, c) for p, _, c in group[:1]] if rng.random() < 0.3 else None
            body = clients.cline(text, mode=shape.split("-")[1], reads=reads,
                                 rules=self.many_rules() if rng.random() < 0.25 else rules, mentions=mentions)
        elif shape.startswith("aider-"):
            fmt = shape.split("-")[1]
            chat = [("Add the files please.", "Done.")] if rng.random() < 0.2 else None
            body = clients.aider(text, files, fmt=fmt, history=chat, repo_map=rng.random() < 0.5)
        elif shape == "openai-sdk":
            system = "You are a senior software engineer. Answer concisely." if rng.random() < 0.5 else None
            body = clients.openai_sdk(text, files, system=system)
        elif shape == "openai-sdk-rules":
            system = ("You are our team's coding assistant. Follow every rule below.\n\n"
                      + "\n".join(f"{n}. {r}" for n, r in enumerate(rules or self.many_rules(), 1)))
            body = clients.openai_sdk(text, files, system=system)
        elif shape == "openai-sdk-tools":
            body = clients.openai_sdk(text, [], system="You are an autonomous coding agent. Use the tools.",
                                      tools=clients.SDK_TOOLS, tool_rounds=rng.randint(0, 3))
        else:
            raise ValueError(shape)
        self.add(task_id, category, label, client, shape_name, body)


def build() -> list[dict[str, Any]]:
    builder = Builder()
    builder.autocomplete(40)
    builder.local_tasks()
    builder.cloud_tasks()
    return builder.records


def render_jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


def other_sources() -> dict[str, list[dict[str, Any]]]:
    """The second, third and fourth sources, by file stem."""
    from routing_set import public_text, second_hand, third_hand

    return {"written": second_hand.build(), "public": public_text.build(), "third": third_hand.build()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    parser.add_argument("--out", type=Path, default=OUT, help="where the first generator's file goes")
    args = parser.parse_args()
    outputs = {args.out: build()}
    for stem, records in other_sources().items():
        outputs[args.out.parent / f"{stem}.jsonl"] = records
    if args.check:
        stale = [path for path, records in outputs.items()
                 if (path.read_text(encoding="utf-8") if path.exists() else "") != render_jsonl(records)]
        for path in stale:
            print(f"{path} is stale; run scripts/make_routing_set.py", file=sys.stderr)
        if stale:
            return 1
        print("routing sets are up to date: " + ", ".join(f"{p.name} ({len(r)})" for p, r in outputs.items()))
        return 0
    for path, records in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_jsonl(records), encoding="utf-8")
        labels = {"local": 0, "cloud": 0}
        for record in records:
            labels[record["label"]] += 1
        routable = sum(r["category"] != "autocomplete" for r in records)
        print(f"wrote {len(records)} requests to {path.name} ({path.stat().st_size / 1e6:.2f} MB): "
              f"{labels['local']} local, {labels['cloud']} cloud; {routable} without autocomplete")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
