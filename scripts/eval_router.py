#!/usr/bin/env python3
"""Leave-one-source-out evaluation of the router, against the current scorer and simple baselines.

The labelled requests come from several sources (tests/data/routing/*.jsonl, one file each,
written by different methods: see LABELLING.md). For each source S the new scorer is trained
(scripts/train_router.py's ``fit_scorer``) on every *other* source and measured on S, so no
template, wording or code of S was seen in training. The headline is the worst source.

Printed per source, then per category and per client (pooled over the held-out sources), for:

- the new scorer (LOSO: a fresh fit per held-out source);
- the current scorer: the pre-issue-11 learned scorer with its own shipped weights
  (scripts/routing_set/legacy_scorer.py; fitted on the train split of the first generator, so
  its figure on that source is flattering: the split shares templates);
- baselines: the first-version rules, a prompt-length threshold (Claude Code Router's long-
  context rule scaled to the local window), a keyword heuristic in the spirit of LiteLLM's
  complexity router, always local, always cloud.

Metrics leave autocomplete out (no method decides it; the proxy keeps it local): recall on
cloud-needed requests (share sent to the cloud), local-capable kept local, accuracy, and the
cost-quality curve's area (APGR: share sent to the cloud vs recall over every threshold;
0.5 = random).

Also: a realistic day's mix (DAY_MIX, with why) from the LOSO predictions; the routing decision's
latency for a 30k-token agent request against the current scorer in the same process; and with
``--replay`` every source replayed through the real proxy (ProxyServer) against the Ollama and
Anthropic emulators with that source's LOSO scorer, where the local model fails every
cloud-needed request it is given (agent requests: a broken tool call, rejected and retried on
the cloud; others: the user presses regenerate), counting the local answers that ended in a
fallback or regenerate.

    python scripts/eval_router.py [--replay] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from hybridcoder.routing.features import Features, extract_features  # noqa: E402
from hybridcoder.routing.router import Router, rules_policy  # noqa: E402
from hybridcoder.routing.scorer import LogisticScorer  # noqa: E402
from routing_set.legacy_scorer import load_legacy_scorer  # noqa: E402
from train_router import (  # noqa: E402
    CONTEXT,
    LOCAL_CONTEXT,
    Hyper,
    describe_hyper,
    fit_scorer,
    load_sources,
    select_hyper,
)

#: A realistic day for one developer using Continue (autocomplete + chat/edit), Cline or aider,
#: as shares of all requests, and why:
#: - autocomplete 55 %: Continue sends one at each typing pause (debounce 250-350 ms, with a
#:   cache; continue.md §5): a few hundred a day for a few hours of editing. Lower than the 70 %
#:   the first README assumed, so the routed traffic weighs more;
#: - agent loop steps 15 %: every step of a Cline/aider task is its own request (10-30 per task),
#:   so two or three agent tasks a day are a large share of routed requests;
#: - chat / edit 30 %, split about 3:1 routine to hard, the field report's "about 70 % of tasks
#:   routed local" (shared/seed): explanations, tests, refactors, docs, scripts and boilerplate
#:   are the "small AI tasks" of the day; multi-file work, long rules, niche frameworks, edge-case
#:   specs, long context and open design questions the rest.
#: Inside a category every request of every source counts the same.
DAY_MIX: dict[str, float] = {
    "autocomplete": 0.55,
    "agent": 0.15,
    "explain": 0.06, "tests": 0.03, "boilerplate": 0.025, "refactor": 0.035, "docs": 0.02, "script": 0.025,
    "multi_file": 0.02, "long_rules": 0.01, "niche": 0.015, "edge_spec": 0.01, "overflow": 0.005,
    "ambiguous": 0.015,
}


# --- methods: a score per request (higher = more cloud) and a default threshold -----------------------

@dataclass
class Method:
    name: str
    score: Callable[[dict[str, Any], Features], float]
    threshold: float


def scorer_method(name: str, scorer: Any) -> Method:
    return Method(name, lambda r, f: float(scorer.probability(f, CONTEXT)), 0.5)


def rules_method() -> Method:
    return Method("first-version rules", lambda r, f: rules_policy(f, CONTEXT)[0], 0.5)


def length_method() -> Method:
    """Claude Code Router's long-context rule, scaled to the local window: cloud above half of it."""
    return Method("prompt-length threshold", lambda r, f: float(f.prompt_tokens), LOCAL_CONTEXT / 2)


_REASONING = ("step by step", "why", "prove", "analy", "reason", "trade-off", "compare", "design", "architect")
_TECHNICAL = ("algorithm", "concurren", "distributed", "database", "api", "security", "performance",
              "async", "thread", "protocol", "schema", "kubernetes", "cache", "transaction")
_SIMPLE = ("what is", "explain", "simple", "quick", "rename", "hello", "list", "format")
_MULTI_STEP = ("first", "then", "finally", "step", "after that")


def keyword_score(record: dict[str, Any], features: Features) -> float:
    """A keyword/length complexity score in the spirit of LiteLLM's complexity router (reference §3).

    Weighted dimensions on the last user message: token count 0.10, code presence 0.30,
    reasoning markers 0.25, technical terms 0.25, simple indicators -0.05, multi-step
    0.03, question complexity 0.02; its COMPLEX tier starts at 0.35.
    """
    text = _last_user_text(record["body"]).lower()
    tokens = len(text) / 4
    dims = {
        "tokens": 0.0 if tokens < 15 else 1.0 if tokens > 400 else (tokens - 15) / 385,
        "code": 1.0 if ("```" in text or "def " in text or "function" in text or "{" in text) else 0.0,
        "reasoning": min(sum(k in text for k in _REASONING) / 2, 1.0),
        "technical": min(sum(k in text for k in _TECHNICAL) / 3, 1.0),
        "simple": min(sum(k in text for k in _SIMPLE), 1),
        "multi": min(sum(k in text for k in _MULTI_STEP) / 2, 1.0),
        "question": min(text.count("?") / 3, 1.0),
    }
    return (0.10 * dims["tokens"] + 0.30 * dims["code"] + 0.25 * dims["reasoning"] + 0.25 * dims["technical"]
            - 0.05 * dims["simple"] + 0.03 * dims["multi"] + 0.02 * dims["question"])


def keyword_method() -> Method:
    return Method("keyword heuristic", keyword_score, 0.35)


def constant_method(name: str, value: float) -> Method:
    return Method(name, lambda r, f: value, 0.5)


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""


def baselines() -> list[Method]:
    return [rules_method(), length_method(), keyword_method(),
            constant_method("always local", 0.0), constant_method("always cloud", 1.0)]


NEW = "new scorer (LOSO)"
CURRENT = "current scorer"


# --- metrics -------------------------------------------------------------------------------------

Row = tuple[float, int, dict[str, Any]]


def routable(records: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], Features]]:
    """Requests a method decides: autocomplete and embeddings are kept local before any scoring."""
    out = []
    for record in records:
        features = extract_features(record["body"], record["endpoint"])
        if features.kind not in ("autocomplete", "embed"):
            out.append((record, features))
    return out


def scored(items: Sequence[tuple[dict[str, Any], Features]], method: Method) -> list[Row]:
    return [(method.score(record, features), 1 if record["label"] == "cloud" else 0, record)
            for record, features in items]


def point(rows: Sequence[Row], threshold: float) -> dict[str, float]:
    tp = fn = tn = fp = 0
    for score, label, _ in rows:
        cloud = score >= threshold
        tp += cloud and label == 1
        fn += (not cloud) and label == 1
        fp += cloud and label == 0
        tn += (not cloud) and label == 0
    return {
        "n": len(rows),
        "cloud_needed": tp + fn,
        "accuracy": (tp + tn) / max(len(rows), 1),
        "cloud_recall": tp / max(tp + fn, 1),
        "local_kept": tn / max(tn + fp, 1),
        "share_local": (tn + fn) / max(len(rows), 1),
    }


def apgr(rows: Sequence[Row]) -> float:
    """Area under (share sent to the cloud, recall on cloud-needed) over every threshold."""
    n = len(rows)
    needed = sum(label for _, label, _ in rows)
    points = [(0.0, 0.0)]
    for threshold in sorted({s for s, _, _ in rows}, reverse=True):
        sent = [label for s, label, _ in rows if s >= threshold]
        points.append((len(sent) / max(n, 1), sum(sent) / max(needed, 1)))
    points.append((1.0, 1.0))
    points.sort()
    return sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in itertools.pairwise(points))


def breakdown(rows: Sequence[Row], threshold: float, key: str) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row[2][key]), []).append(row)
    return {name: point(items, threshold) for name, items in sorted(groups.items())}


def loso(records: Sequence[dict[str, Any]], hyper: Hyper | None = None, *, select: bool = True) -> dict[str, Any]:
    """Train on all sources but one, score the one left out; for every source. Plus the fixed methods.

    The new scorer's settings for each held-out source are chosen by ``select_hyper`` on the
    *training* sources alone (nested cross-validation: an inner leave-one-source-out inside
    them), unless ``hyper`` is given or ``select`` is off (then the defaults).
    """
    sources = sorted({r["source"] for r in records})
    legacy = load_legacy_scorer()
    fixed = [scorer_method(CURRENT, legacy), *baselines()]
    rows: dict[str, dict[str, list[Row]]] = {}
    thresholds = {NEW: 0.5, **{m.name: m.threshold for m in fixed}}
    held_out_scorers: dict[str, LogisticScorer] = {}
    chosen: dict[str, str] = {}
    for source in sources:
        train = [r for r in records if r["source"] != source]
        test = routable([r for r in records if r["source"] == source])
        setting = hyper or (select_hyper(train)[0] if select else Hyper())
        chosen[source] = describe_hyper(setting)
        scorer = fit_scorer(train, setting, names=False)
        held_out_scorers[source] = scorer
        rows.setdefault(NEW, {})[source] = scored(test, scorer_method(NEW, scorer))
        for method in fixed:
            rows.setdefault(method.name, {})[source] = scored(test, method)
    results: dict[str, Any] = {}
    for name, per_source in rows.items():
        threshold = thresholds[name]
        pooled = [row for items in per_source.values() for row in items]
        by_source = {source: {**point(items, threshold), "apgr": apgr(items)} for source, items in per_source.items()}
        results[name] = {
            "by_source": by_source,
            "worst": {"cloud_recall": min(s["cloud_recall"] for s in by_source.values()),
                      "local_kept": min(s["local_kept"] for s in by_source.values()),
                      "apgr": min(s["apgr"] for s in by_source.values())},
            "pooled": {**point(pooled, threshold), "apgr": apgr(pooled)},
            "by_category": breakdown(pooled, threshold, "category"),
            "by_client": breakdown(pooled, threshold, "client"),
            "day": day_mix(pooled, threshold),
        }
    return {"sources": sources, "results": results, "scorers": held_out_scorers, "settings": chosen}


def day_mix(rows: Sequence[Row], threshold: float) -> dict[str, float]:
    """Share of a DAY_MIX day kept local, and the share of local answers that needed the cloud after all."""
    by_category: dict[str, list[Row]] = {}
    for row in rows:
        by_category.setdefault(row[2]["category"], []).append(row)
    local = DAY_MIX.get("autocomplete", 0.0)
    failed = 0.0
    total = DAY_MIX.get("autocomplete", 0.0)
    for category, share in DAY_MIX.items():
        items = by_category.get(category)
        if category == "autocomplete" or not items:
            continue
        total += share
        kept = sum(score < threshold for score, _, _ in items) / len(items)
        local += share * kept
        failed += share * sum(score < threshold and label for score, label, _ in items) / len(items)
    return {"share_local": local / total, "failed_local_of_local": failed / max(local, 1e-9),
            "share_local_routed": (local - DAY_MIX.get("autocomplete", 0.0)) / max(total - DAY_MIX.get("autocomplete", 0.0), 1e-9)}


# --- latency -------------------------------------------------------------------------------------

def big_agent_request() -> dict[str, Any]:
    """A Cline act-mode turn 12 tool calls deep: ~30k tokens of system prompt, tools and file reads."""
    from routing_set import clients
    from routing_set.code_pool import big_file

    reads = []
    for index in range(12):
        path, _, text = big_file(900 + index, 9_000)
        reads.append((path, text))
    return clients.cline("Refactor the report exports so every module shares one CSV writer.", mode="act",
                         reads=reads, rules=[f"Rule {i}: keep the house style." for i in range(20)])


def latency(scorer: LogisticScorer | None = None, rounds: int = 400) -> dict[str, float]:
    """Median/p99 of Router.decide for the 30k-token agent request: new scorer vs the current one, interleaved."""
    body = big_agent_request()
    new = Router(weights=scorer)
    current = Router(weights=load_legacy_scorer())  # type: ignore[arg-type]
    endpoint = "/v1/chat/completions"
    for router in (new, current):
        for _ in range(20):
            router.decide(body, endpoint=endpoint, context=CONTEXT)
    samples: dict[str, list[float]] = {"new": [], "current": []}
    for _ in range(rounds):
        for name, router in (("new", new), ("current", current)):
            start = time.perf_counter_ns()
            router.decide(body, endpoint=endpoint, context=CONTEXT)
            samples[name].append((time.perf_counter_ns() - start) / 1000)
    out: dict[str, float] = {"tokens": float(extract_features(body, endpoint).prompt_tokens)}
    for name, values in samples.items():
        values.sort()
        out[f"{name}_median_us"] = statistics.median(values)
        out[f"{name}_p99_us"] = values[int(len(values) * 0.99) - 1]
    out["ratio"] = out["new_median_us"] / out["current_median_us"]
    return out


# --- replay through the real proxy -----------------------------------------------------------------

def replay(records: Sequence[dict[str, Any]], scorers: dict[str, LogisticScorer]) -> dict[str, Any]:
    """Every source through the proxy with the scorer that never saw it; outcomes per request."""
    import os
    import tempfile

    import hybridcoder.proxy.state as proxy_state

    saved_env = {k: os.environ.get(k) for k in ("HYBRIDCODER_HOME", "HYBRIDCODER_TOKEN", "ANTHROPIC_API_KEY")}
    saved_router = getattr(proxy_state, "Router")  # noqa: B009
    outcomes: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as home:
            from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
            from tests.emulators.ollama import OllamaEmulator

            os.environ["HYBRIDCODER_TOKEN"] = "hc-replay-token-0123456789abcdefghij"
            os.environ["ANTHROPIC_API_KEY"] = DEFAULT_KEY
            with OllamaEmulator() as ollama, AnthropicEmulator() as anthropic:
                for source, scorer in scorers.items():
                    # The proxy builds its own Router; here it gets the scorer that never saw this source.
                    setattr(proxy_state, "Router",  # noqa: B010
                            lambda learner=None, scorer=scorer: Router(weights=scorer, learner=learner))
                    subset = [r for r in records if r["source"] == source]
                    outcomes += _replay_pass(subset, ollama, anthropic, state=Path(home) / source)
    finally:
        setattr(proxy_state, "Router", saved_router)  # noqa: B010
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return summarise_replay(outcomes)


def _replay_pass(records: Sequence[dict[str, Any]], ollama: Any, anthropic: Any, *, state: Path) -> list[dict[str, Any]]:
    import os

    import httpx
    from tests.emulators.ollama import ScriptedToolCall

    from hybridcoder.proxy.server import ProxyServer
    from hybridcoder.settings import Settings

    os.environ["HYBRIDCODER_HOME"] = str(state)
    settings = Settings()
    settings.proxy.port = 0
    settings.ollama.url = ollama.url
    settings.models.chat = "qwen2.5-coder:7b"
    settings.models.autocomplete = "qwen2.5-coder:1.5b-base"
    settings.models.chat_context = LOCAL_CONTEXT
    settings.cloud.anthropic_base_url = anthropic.url
    settings.routing.learning = True
    server = ProxyServer(settings).start()
    out = []
    try:
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {os.environ['HYBRIDCODER_TOKEN']}"}) as client:
            for record in records:
                body = record["body"]
                cloud_needed = record["label"] == "cloud"
                is_agent = bool(body.get("tools"))
                if cloud_needed and is_agent:
                    # The local model garbles the tool call (arguments that are not JSON).
                    ollama.script_reply(tool_calls=[ScriptedToolCall("read_file", '{"path": ')])
                local_before, cloud_before = len(ollama.requests), len(anthropic.message_bodies())
                response = client.post(record["endpoint"], json=body)
                response.read()
                went_local = any(r.path in ("/api/chat", "/api/generate", "/v1/chat/completions", "/v1/completions")
                                 for r in ollama.requests[local_before:])
                round_trip = cloud_needed and went_local
                if round_trip and not is_agent:
                    # The local answer was not good enough: the user reads it and presses regenerate
                    # (the proxy counts a repeat as a regenerate only a second or more after a
                    # completed answer: proxy/retry.py).
                    time.sleep(1.05)
                    client.post(record["endpoint"], json=body).read()
                out.append({"source": record["source"], "category": record["category"], "label": record["label"],
                            "status": response.status_code, "went_local": went_local, "round_trip": round_trip,
                            "reached_cloud": len(anthropic.message_bodies()) > cloud_before})
                ollama.replies.clear()
                ollama.faults.clear()
    finally:
        server.stop()
    return out


def summarise_replay(outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per source and for the DAY_MIX day: share answered locally, share of local answers that failed."""
    by_source: dict[str, dict[str, Any]] = {}
    for source in sorted({o["source"] for o in outcomes}):
        items = [o for o in outcomes if o["source"] == source]
        local = [o for o in items if o["went_local"]]
        by_source[source] = {
            "requests": len(items),
            "non_200": sum(o["status"] != 200 for o in items),
            "answered_local": len(local),
            "failed_local": sum(o["round_trip"] for o in local),
            "escalated": sum(o["round_trip"] and o["reached_cloud"] for o in items),
        }
    by_category: dict[str, list[dict[str, Any]]] = {}
    for o in outcomes:
        by_category.setdefault(o["category"], []).append(o)
    local = failed = total = 0.0
    for category, share in DAY_MIX.items():
        items = by_category.get(category)
        if not items:
            continue
        total += share
        local += share * sum(o["went_local"] for o in items) / len(items)
        failed += share * sum(o["round_trip"] for o in items) / len(items)
    return {"by_source": by_source, "day": {"share_local": local / max(total, 1e-9),
                                            "failed_local_of_local": failed / max(local, 1e-9)}}


# --- report --------------------------------------------------------------------------------------

def _pct(value: float) -> str:
    return f"{value:6.1%}"


def report(evaluation: dict[str, Any], timing: dict[str, float] | None, replayed: dict[str, Any] | None) -> None:
    sources = evaluation["sources"]
    results = evaluation["results"]
    new = results[NEW]
    print("Leave-one-source-out: the new scorer is refitted without the source it is measured on.")
    print("Autocomplete is left out of every figure (the proxy keeps it local for every method).")
    for source, setting in evaluation.get("settings", {}).items():
        print(f"Settings for held-out '{source}', chosen by cross-validation inside the other sources only: {setting}")
    print("Sources: " + ", ".join(f"{s} ({new['by_source'][s]['n']} routable, {new['by_source'][s]['cloud_needed']} "
                                  "need the cloud)" for s in sources))
    print()
    print(f"{'method':26} {'worst source':>26}   " + "   ".join(f"{s:>21}" for s in sources) + f"   {'APGR':>5}")
    print(f"{'':26} {'recall / kept':>26}   " + "   ".join(f"{'recall / kept':>21}" for _ in sources)
          + f"   {'worst':>5}")
    for name, r in results.items():
        worst = r["worst"]
        cells = "   ".join(f"{_pct(r['by_source'][s]['cloud_recall'])} / {_pct(r['by_source'][s]['local_kept'])}  "
                           for s in sources)
        print(f"{name:26} {_pct(worst['cloud_recall']):>14} / {_pct(worst['local_kept'])}   {cells}   "
              f"{worst['apgr']:.3f}")
    print()
    print("recall = cloud-needed requests sent to the cloud; kept = local-capable requests kept local.")
    print(f"Current scorer: fitted on the first generator's train split, so on '{sources[0]}' it is partly "
          "in-sample." if sources and sources[0] == "generated" else
          "Current scorer: fitted on the first generator's (requests.jsonl) train split; its figure there is "
          "partly in-sample.")
    for key, label in (("by_category", "category"), ("by_client", "client")):
        print()
        print(f"Per {label} (pooled over held-out sources): share sent where it belongs "
              "(cloud-needed: recall; local-capable: kept local)")
        names = [NEW, CURRENT, "first-version rules", "keyword heuristic"]
        print(f"  {label:14} {'n':>4}  " + "  ".join(f"{n[:22]:>22}" for n in names))
        for group in new[key]:
            stats = new[key][group]
            cells = []
            for name in names:
                g = results[name][key][group]
                right = (g["cloud_recall"] * g["cloud_needed"] + g["local_kept"] * (g["n"] - g["cloud_needed"])) / max(g["n"], 1)
                cells.append(f"{right:22.1%}")
            print(f"  {group:14} {stats['n']:4d}  " + "  ".join(cells))
    print()
    day = new["day"]
    print("A realistic day (DAY_MIX: " + ", ".join(f"{k} {v:.1%}" for k, v in DAY_MIX.items()) + "):")
    for name in (NEW, CURRENT, "first-version rules"):
        d = results[name]["day"]
        print(f"  {name:26} kept local {d['share_local']:.1%} of all requests ({d['share_local_routed']:.1%} of routed); "
              f"local answers that needed the cloud after all: {d['failed_local_of_local']:.1%}")
    del day
    if timing:
        print()
        print(f"Routing decision, {int(timing['tokens']):,}-token Cline agent request (Router.decide, features + "
              f"score, same process, interleaved): new median {timing['new_median_us']:.1f} µs (p99 "
              f"{timing['new_p99_us']:.1f}), current {timing['current_median_us']:.1f} µs (p99 "
              f"{timing['current_p99_us']:.1f}); ratio {timing['ratio']:.2f}")
    if replayed:
        print()
        print("Replay through the real proxy and emulators, each source with the scorer that never saw it; the "
              "local model fails every cloud-needed request it gets (agent: broken tool call; others: regenerate):")
        for source, s in replayed["by_source"].items():
            print(f"  {source:10} {s['requests']:4d} requests, {s['answered_local']:4d} answered locally, "
                  f"{s['failed_local']:3d} of those ended in a fallback/regenerate "
                  f"({s['failed_local'] / max(s['answered_local'], 1):.1%}), {s['escalated']} escalated to the cloud, "
                  f"non-200 answers {s['non_200']}")
        d = replayed["day"]
        print(f"  DAY_MIX day from the replay: {d['share_local']:.1%} of requests answered locally; "
              f"{d['failed_local_of_local']:.1%} of local answers ended in a fallback or regenerate")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", action="store_true", help="also replay every source through the proxy")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    records = load_sources()
    evaluation = loso(records)
    timing = None if args.no_latency else latency()
    replayed = replay(records, evaluation["scorers"]) if args.replay else None
    if args.json:
        out = {k: v for k, v in evaluation.items() if k != "scorers"}
        print(json.dumps({"loso": out, "latency": timing, "replay": replayed}, indent=2))
        return 0
    report(evaluation, timing, replayed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
