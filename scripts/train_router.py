#!/usr/bin/env python3
"""Fit the routing scorer (logistic regression) on the training split and write resources/routing_weights.json.

Pure Python (no numpy): full-batch gradient descent on the L2-regularised, class-
weighted log loss over ``feature_vector()`` of every non-autocomplete request in the
training split of tests/data/routing/requests.jsonl. Autocomplete and embeddings
never reach the scorer (the router keeps them local before scoring), so they are
not training examples.

Why class weights: a cloud-needed request sent local costs a failed attempt plus a
round trip; a local-capable request sent to the cloud costs cents. Cloud examples
weigh ``--cloud-weight`` (default 2) times as much, which moves the 0.5 threshold
(the settings slider's middle) towards high recall on cloud-needed work.

    python scripts/train_router.py                 # fit, print train metrics, write the weights
    python scripts/train_router.py --dry-run       # fit and print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from hybridcoder.routing.decision import RoutingContext  # noqa: E402
from hybridcoder.routing.features import extract_features  # noqa: E402
from hybridcoder.routing.scorer import LogisticScorer, feature_vector, sigmoid  # noqa: E402

DATA = ROOT / "tests" / "data" / "routing" / "requests.jsonl"
OUT = ROOT / "resources" / "routing_weights.json"
#: The local window the set is labelled against (the "context beyond the local window" category).
LOCAL_CONTEXT = 16384


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def examples(records: list[dict[str, Any]], split: str) -> list[tuple[dict[str, float], int]]:
    context = RoutingContext(cloud_available=True, local_context=LOCAL_CONTEXT)
    out = []
    for record in records:
        if record["split"] != split:
            continue
        features = extract_features(record["body"], record["endpoint"])
        if features.kind in ("autocomplete", "embed"):
            continue
        out.append((feature_vector(features, context), 1 if record["label"] == "cloud" else 0))
    return out


def fit(data: list[tuple[dict[str, float], int]], *, cloud_weight: float, l2: float, epochs: int,
        rate: float) -> tuple[float, dict[str, float]]:
    names = sorted({name for x, _ in data for name in x})
    rows = [([x.get(name, 0.0) for name in names], y) for x, y in data]
    weights = [0.0] * len(names)
    bias = 0.0
    total_weight = sum(cloud_weight if y else 1.0 for _, y in rows)
    for _ in range(epochs):
        grad = [0.0] * len(names)
        grad_bias = 0.0
        for x, y in rows:
            z = bias + sum(w * v for w, v in zip(weights, x, strict=True))
            error = (sigmoid(z) - y) * (cloud_weight if y else 1.0)
            grad_bias += error
            for index, value in enumerate(x):
                if value:
                    grad[index] += error * value
        bias -= rate * grad_bias / total_weight
        for index in range(len(weights)):
            weights[index] -= rate * (grad[index] / total_weight + l2 * weights[index])
    return bias, {name: round(w, 5) for name, w in zip(names, weights, strict=True)}


def metrics(scorer: LogisticScorer, data: list[tuple[dict[str, float], int]], threshold: float = 0.5) -> dict[str, float]:
    tp = tn = fp = fn = 0
    loss = 0.0
    for x, y in data:
        z = scorer.bias + sum(scorer.weights.get(k, 0.0) * v for k, v in x.items())
        p = sigmoid(z)
        loss -= math.log(max(p if y else 1 - p, 1e-12))
        cloud = p >= threshold
        tp += cloud and y == 1
        fn += (not cloud) and y == 1
        fp += cloud and y == 0
        tn += (not cloud) and y == 0
    return {
        "accuracy": round((tp + tn) / max(len(data), 1), 4),
        "cloud_recall": round(tp / max(tp + fn, 1), 4),
        "local_kept": round(tn / max(tn + fp, 1), 4),
        "log_loss": round(loss / max(len(data), 1), 4),
        "n": len(data),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud-weight", type=float, default=2.0)
    parser.add_argument("--l2", type=float, default=0.003)
    parser.add_argument("--epochs", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=0.8)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    records = load()
    train = examples(records, "train")
    bias, weights = fit(train, cloud_weight=args.cloud_weight, l2=args.l2, epochs=args.epochs, rate=args.rate)
    scorer = LogisticScorer(weights=weights, bias=round(bias, 5))
    train_metrics = metrics(scorer, train)
    print("train:", json.dumps(train_metrics))
    print("held out (for information; scripts/eval_router.py is the report):",
          json.dumps(metrics(scorer, examples(records, "heldout"))))
    for name, weight in sorted(weights.items(), key=lambda kv: -abs(kv[1])):
        print(f"  {name:20} {weight:+.3f}")
    if args.dry_run:
        return 0
    scorer.meta = {
        "source": "scripts/train_router.py: logistic regression (pure-Python gradient descent) on the train split "
                  "of tests/data/routing/requests.jsonl",
        "date": dt.date.today().isoformat(),
        "local_context": LOCAL_CONTEXT,
        "hyperparameters": {"cloud_weight": args.cloud_weight, "l2": args.l2, "epochs": args.epochs,
                            "rate": args.rate},
        "train_metrics": train_metrics,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(scorer.to_json(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
