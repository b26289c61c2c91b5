#!/usr/bin/env python3
"""Measure the router on the held-out split of tests/data/routing/requests.jsonl, against baselines.

Printed for the learned router (the committed resources/routing_weights.json) and five
baselines: always local, always cloud, a prompt-length threshold, a keyword heuristic
(modelled on LiteLLM's complexity router: weighted keyword/length dimensions, cloud
at >= 0.35) and the first-version rules (RulesRouter):

- accuracy, recall on cloud-needed requests, share of local-capable requests kept
  local, share of all requests kept local, at each method's default operating point;
- the cost-quality curve and its area. Definition (RouteLLM's APGR, specialised to
  local/cloud): sweep each method's threshold; at every point, x = share of requests
  sent to the cloud (cost) and y = PGR = (quality - quality_all_local) /
  (quality_all_cloud - quality_all_local). A request is answered well when it goes to
  the cloud or when it is local-capable and stays local, so PGR equals recall on
  cloud-needed requests. The area under y(x) over x in [0, 1] (trapezoids, with the
  end points (0, 0) and (1, 1)) is the APGR: 0.5 is a random router, 1 - c/2 a perfect
  one (c = share that needs the cloud). Autocomplete stays local for every method
  (the proxy never routes FIM), so it sits at the local end of every curve;
- decision latency of Router.decide (median and p99 over the held-out bodies, and
  for a 30k-token Cline agent request);
- a realistic-day reweighting (see DAY_MIX);
- with ``--replay``: the set replayed through the real proxy (ProxyServer) against the
  Ollama and Anthropic emulators, where the local model "fails" every cloud-needed
  request it is given (agent requests: an invalid tool call, which the proxy rejects
  and retries on the cloud; other requests: the user presses regenerate, which the
  proxy escalates to the cloud). Printed: failed-local-then-cloud round trips as a %
  of requests, cold (fresh learning), after online learning has seen the training
  split's escalations, and on a second pass over the same requests.

    python scripts/eval_router.py [--replay] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
sys.path.insert(0, str(ROOT))

from hybridcoder.routing.decision import RoutingContext  # noqa: E402
from hybridcoder.routing.features import Features, extract_features  # noqa: E402
from hybridcoder.routing.router import Router, rules_policy  # noqa: E402
from hybridcoder.routing.scorer import LogisticScorer, load_default_scorer  # noqa: E402

DATA = ROOT / "tests" / "data" / "routing" / "requests.jsonl"
LOCAL_CONTEXT = 16384
CONTEXT = RoutingContext(mode="auto", cloud_available=True, local_context=LOCAL_CONTEXT, threshold=0.5)

#: A realistic day of requests for one developer, as shares of all requests, and why:
#: Continue fires an autocomplete request at every typing pause (debounce 250-350 ms,
#: continue.md), hundreds per hour of editing, even after its cache; chat, edit and
#: apply are a few dozen a day; every step of an agent loop is its own request, so an
#: agent task is 10-30 requests. The shares inside "routine" and "hard" follow the set.
DAY_MIX: dict[str, float] = {
    "autocomplete": 0.70,
    "agent": 0.08,
    # the remaining 22 %: chat / edit / apply, split 3:1 routine to hard
    "explain": 0.05, "tests": 0.025, "boilerplate": 0.02, "refactor": 0.03, "docs": 0.02, "script": 0.02,
    "multi_file": 0.015, "long_rules": 0.01, "niche": 0.01, "edge_spec": 0.005, "overflow": 0.005,
    "ambiguous": 0.01,
}


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- methods: a score per request (higher = more cloud) and a default threshold -----------------------

@dataclass
class Method:
    name: str
    score: Callable[[dict[str, Any], Features], float]
    threshold: float


def learned_method(scorer: LogisticScorer | None = None) -> Method:
    scorer = scorer or load_default_scorer()
    if scorer is None:
        raise SystemExit("resources/routing_weights.json is missing; run scripts/train_router.py")
    return Method("learned scorer", lambda r, f: scorer.score(f, CONTEXT)[0], 0.5)


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


def all_methods(scorer: LogisticScorer | None = None) -> list[Method]:
    return [learned_method(scorer), rules_method(), length_method(), keyword_method(),
            constant_method("always local", 0.0), constant_method("always cloud", 1.0)]


# --- metrics -------------------------------------------------------------------------------------

def scored(records: list[dict[str, Any]], method: Method) -> list[tuple[float, int, dict[str, Any]]]:
    out = []
    for record in records:
        features = extract_features(record["body"], record["endpoint"])
        # The proxy keeps FIM and embeddings local for every method.
        score = -math.inf if features.kind in ("autocomplete", "embed") else method.score(record, features)
        out.append((score, 1 if record["label"] == "cloud" else 0, record))
    return out


def point(rows: list[tuple[float, int, dict[str, Any]]], threshold: float) -> dict[str, float]:
    tp = fn = tn = fp = 0
    for score, label, _ in rows:
        cloud = score >= threshold
        tp += cloud and label == 1
        fn += (not cloud) and label == 1
        fp += cloud and label == 0
        tn += (not cloud) and label == 0
    n = max(len(rows), 1)
    return {
        "accuracy": (tp + tn) / n,
        "cloud_recall": tp / max(tp + fn, 1),
        "local_kept": tn / max(tn + fp, 1),
        "share_local": (tn + fn) / n,
    }


def curve(rows: list[tuple[float, int, dict[str, Any]]]) -> tuple[list[tuple[float, float]], float]:
    """(cloud share, PGR) points over every threshold, and the area under them (APGR)."""
    n = len(rows)
    needed = sum(label for _, label, _ in rows)
    points = [(0.0, 0.0)]
    finite = sorted({s for s, _, _ in rows if s != -math.inf}, reverse=True)
    for threshold in finite:
        sent = [(s, label) for s, label, _ in rows if s >= threshold]
        points.append((len(sent) / n, sum(label for _, label in sent) / max(needed, 1)))
    points.append((1.0, 1.0))
    points.sort()
    area = sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in itertools.pairwise(points))
    return points, area


def day_reweighted(rows: list[tuple[float, int, dict[str, Any]]], threshold: float) -> dict[str, float]:
    """Share kept local and accuracy when each category counts with its DAY_MIX share."""
    by_category: dict[str, list[tuple[float, int]]] = {}
    for score, label, record in rows:
        by_category.setdefault(record["category"], []).append((score, label))
    local = correct = total = 0.0
    for category, share in DAY_MIX.items():
        items = by_category.get(category)
        if not items:
            continue
        local += share * sum(s < threshold for s, _ in items) / len(items)
        correct += share * sum((s >= threshold) == bool(label) for s, label in items) / len(items)
        total += share
    return {"share_local": local / total, "accuracy": correct / total}


def evaluate(records: list[dict[str, Any]], split: str = "heldout",
             scorer: LogisticScorer | None = None) -> dict[str, dict[str, Any]]:
    subset = [r for r in records if r["split"] == split]
    results: dict[str, dict[str, Any]] = {}
    for method in all_methods(scorer):
        rows = scored(subset, method)
        summary: dict[str, Any] = point(rows, method.threshold)
        routable = [row for row in rows if row[0] != -math.inf]
        summary["routable"] = point(routable, method.threshold)
        summary["apgr"] = curve(rows)[1]
        summary["day"] = day_reweighted(rows, method.threshold)
        results[method.name] = summary
    return results


def latency(records: list[dict[str, Any]]) -> dict[str, float]:
    router = Router()
    bodies = [(r["body"], r["endpoint"]) for r in records if r["split"] == "heldout"]
    for body, endpoint in bodies:
        router.decide(body, endpoint=endpoint, context=CONTEXT)
    samples = []
    for _ in range(5):
        for body, endpoint in bodies:
            start = time.perf_counter_ns()
            router.decide(body, endpoint=endpoint, context=CONTEXT)
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    big = big_agent_request()
    big_samples = []
    for _ in range(300):
        start = time.perf_counter_ns()
        router.decide(big, endpoint="/v1/chat/completions", context=CONTEXT)
        big_samples.append((time.perf_counter_ns() - start) / 1000)
    big_samples.sort()
    return {
        "median_us": statistics.median(samples),
        "p99_us": samples[int(len(samples) * 0.99) - 1],
        "agent_30k_tokens": extract_features(big, "/v1/chat/completions").prompt_tokens,
        "agent_30k_median_us": statistics.median(big_samples),
        "agent_30k_p99_us": big_samples[int(len(big_samples) * 0.99) - 1],
    }


def big_agent_request() -> dict[str, Any]:
    """A Cline act-mode turn 12 tool calls deep: ~30k tokens of system prompt, tools and file reads."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from routing_set import clients
    from routing_set.code_pool import big_file

    reads = []
    for index in range(12):
        path, _, text = big_file(900 + index, 9_000)
        reads.append((path, text))
    body = clients.cline("Refactor the report exports so every module shares one CSV writer.", mode="act",
                         reads=reads, rules=[f"Rule {i}: keep the house style." for i in range(20)])
    return body


# --- replay through the real proxy -----------------------------------------------------------------

def replay(records: list[dict[str, Any]], *, rules_only: bool = False) -> dict[str, Any]:
    """Round trips (%) cold, after learning from the training split, and on a second pass."""
    import os
    import tempfile

    import hybridcoder.proxy.state as proxy_state

    saved_env = {k: os.environ.get(k) for k in ("HYBRIDCODER_HOME", "HYBRIDCODER_TOKEN", "ANTHROPIC_API_KEY")}
    saved_router = getattr(proxy_state, "Router")  # noqa: B009
    if rules_only:
        # The proxy builds its own Router; for the baseline replay it gets the rules (plus learning).
        setattr(proxy_state, "Router", lambda learner=None: Router(learner=learner, rules_only=True))  # noqa: B010
    try:
        with tempfile.TemporaryDirectory() as home:
            from tests.emulators.anthropic import DEFAULT_KEY, AnthropicEmulator
            from tests.emulators.ollama import OllamaEmulator

            os.environ["HYBRIDCODER_TOKEN"] = "hc-replay-token-0123456789abcdefghij"
            os.environ["ANTHROPIC_API_KEY"] = DEFAULT_KEY
            heldout = [r for r in records if r["split"] == "heldout"]
            train = [r for r in records if r["split"] == "train"]
            with OllamaEmulator() as ollama, AnthropicEmulator() as anthropic:
                cold = _replay_pass(heldout, ollama, anthropic, state=Path(home) / "cold")
                second = _replay_pass(heldout, ollama, anthropic, state=Path(home) / "cold")
                training = _replay_pass(train, ollama, anthropic, state=Path(home) / "warm")
                warm = _replay_pass(heldout, ollama, anthropic, state=Path(home) / "warm")
            return {"requests": len(heldout), "cold": cold, "after_training_escalations": warm,
                    "second_pass": second, "training_pass": training}
    finally:
        setattr(proxy_state, "Router", saved_router)  # noqa: B010
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _replay_pass(records: list[dict[str, Any]], ollama: Any, anthropic: Any, *, state: Path) -> dict[str, Any]:
    import os

    import httpx
    from tests.emulators.ollama import ScriptedToolCall

    from hybridcoder.proxy.server import ProxyServer
    from hybridcoder.routing.learning import Learner
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
    round_trips = escalated = sent_local = sent_cloud = errors = capable_sent_cloud = 0
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
                errors += response.status_code != 200
                went_local = any(r.path in ("/api/chat", "/api/generate", "/v1/chat/completions")
                                 for r in ollama.requests[local_before:])
                sent_local += went_local
                sent_cloud += not went_local
                capable_sent_cloud += (not cloud_needed) and not went_local
                if cloud_needed and went_local:
                    round_trips += 1
                    if not is_agent:
                        # The local answer was not good enough: the user presses regenerate.
                        client.post(record["endpoint"], json=body).read()
                    escalated += len(anthropic.message_bodies()) > cloud_before
                ollama.replies.clear()
                ollama.faults.clear()
    finally:
        server.stop()
    learner = Learner(state / "data" / "state" / "routing_learning.json")
    return {
        "round_trips_pct": 100.0 * round_trips / max(len(records), 1),
        "round_trips": round_trips,
        "escalated_to_cloud": escalated,
        "first_sent_local": sent_local,
        "first_sent_cloud": sent_cloud,
        "non_200": errors,
        "local_capable_sent_cloud_pct": 100.0 * capable_sent_cloud / max(
            sum(r["label"] == "local" for r in records), 1),
        "learned_examples": learner.examples,
        "avoided_round_trips": learner.avoided_round_trips,
    }


# --- report --------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", action="store_true", help="also replay the set through the proxy")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    records = load()
    results = evaluate(records)
    timing = latency(records)
    replayed = {"learned": replay(records), "rules": replay(records, rules_only=True)} if args.replay else None
    if args.json:
        print(json.dumps({"heldout": results, "latency": timing, "replay": replayed}, indent=2))
        return 0
    heldout = [r for r in records if r["split"] == "heldout"]
    cloud = sum(r["label"] == "cloud" for r in heldout)
    print(f"Held-out split: {len(heldout)} requests ({cloud} need the cloud, "
          f"{sum(r['category'] == 'autocomplete' for r in heldout)} autocomplete); local window {LOCAL_CONTEXT}")
    print()
    header = (f"{'method':26} {'acc':>6} {'cloud':>7} {'local':>7} {'kept':>6} {'APGR':>6}   "
              f"{'routable: acc/cloud/local':>26}   {'day: local/acc':>15}")
    print(header)
    print(f"{'':26} {'':>6} {'recall':>7} {'kept':>7} {'local':>6}")
    for name, r in results.items():
        routable = r["routable"]
        print(f"{name:26} {r['accuracy']:6.1%} {r['cloud_recall']:7.1%} {r['local_kept']:7.1%} "
              f"{r['share_local']:6.1%} {r['apgr']:6.3f}   {routable['accuracy']:8.1%} "
              f"{routable['cloud_recall']:8.1%} {routable['local_kept']:8.1%}   "
              f"{r['day']['share_local']:7.1%} {r['day']['accuracy']:6.1%}")
    print()
    print("APGR = area under (share sent to cloud, recall on cloud-needed) over all thresholds; random = 0.5.")
    print("'routable' leaves autocomplete out (no method decides it). Day mix: "
          + ", ".join(f"{k} {v:.1%}" for k, v in DAY_MIX.items()))
    print()
    print(f"Decision latency (Router.decide, learned scorer): median {timing['median_us']:.1f} µs, "
          f"p99 {timing['p99_us']:.1f} µs over held-out bodies; "
          f"{timing['agent_30k_tokens']:,}-token Cline agent request: median "
          f"{timing['agent_30k_median_us']:.1f} µs, p99 {timing['agent_30k_p99_us']:.1f} µs")
    if replayed:
        print()
        print(f"Replay through the proxy ({replayed['learned']['requests']} held-out requests; the local model fails "
              "every cloud-needed request it gets): failed-local-then-cloud round trips, % of requests")
        print(f"  {'':28} {'cold':>6} {'after learning':>15} {'same again':>11}")
        for name, label in (("learned", "learned scorer"), ("rules", "first-version rules")):
            data = replayed[name]
            print(f"  {label:28} {data['cold']['round_trips_pct']:5.1f}% {data['after_training_escalations']['round_trips_pct']:14.1f}% "
                  f"{data['second_pass']['round_trips_pct']:10.1f}%")
        for name in ("learned", "rules"):
            data = replayed[name]
            print(f"  {name}: training pass {data['training_pass']['round_trips']} round trips, "
                  f"{data['training_pass']['learned_examples']} examples learned; cold pass escalated "
                  f"{data['cold']['escalated_to_cloud']}/{data['cold']['round_trips']}, non-200 answers "
                  f"{sum(data[k]['non_200'] for k in ('cold', 'second_pass', 'training_pass', 'after_training_escalations'))}; "
                  f"avoided round trips counted {data['after_training_escalations']['avoided_round_trips']}; "
                  f"local-capable sent to the cloud: cold {data['cold']['local_capable_sent_cloud_pct']:.1f}%, after "
                  f"learning {data['after_training_escalations']['local_capable_sent_cloud_pct']:.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
