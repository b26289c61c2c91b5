#!/usr/bin/env python3
"""Fit the routing scorer on every labelled source and write resources/routing_weights.json.

The model (app/hybridcoder/routing/scorer.py): a linear model over a few bounded named
signals plus hashed word / word-pair / character n-grams of the user's instruction and
rules, then Platt-calibrated. Fitted here in pure Python (no numpy):

- the examples: every non-autocomplete request of the sources in tests/data/routing/*.jsonl
  (one file per source; autocomplete and embeddings never reach the scorer);
- terms: only n-grams that occur in at least ``--min-groups`` different tasks (a phrase that
  one task template repeats says nothing general); after fitting, terms whose weight is
  below ``--prune`` are dropped;
- fit: class-weighted logistic loss with L2, AdaGrad passes over a fixed shuffled order
  (deterministic); cloud examples weigh ``--cloud-weight`` times more, because a
  cloud-needed request sent local costs a failed attempt and a round trip while the
  opposite costs cents;
- calibration: ``sigmoid(a_named * z_named + a_terms * z_terms + b)`` fitted on out-of-fold
  scores, one fold per training source (each source's scores come from a fit on the others:
  traffic by another hand), same class weights, then folded into the weights. Two scales
  because the n-grams and the named signals do not carry equally far to unseen traffic.

    python scripts/train_router.py                  # fit on all sources, write the weights
    python scripts/train_router.py --dry-run        # fit and print only
    python scripts/train_router.py --exclude public # leave a source out (what eval_router.py does)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

from hybridcoder.routing.decision import RoutingContext  # noqa: E402
from hybridcoder.routing.features import extract_features, request_terms, term_hash  # noqa: E402
from hybridcoder.routing.scorer import FEATURE_NAMES, LogisticScorer, feature_values, sigmoid  # noqa: E402

DATA_DIR = ROOT / "tests" / "data" / "routing"
KNOWN_PACKAGES = ROOT / "scripts" / "routing_set" / "public" / "known_packages.txt"
OUT = ROOT / "resources" / "routing_weights.json"
#: The local window the sets are labelled against (the "context beyond the local window" category).
LOCAL_CONTEXT = 16384
CONTEXT = RoutingContext(cloud_available=True, local_context=LOCAL_CONTEXT)


@dataclass(frozen=True)
class Hyper:
    #: A cloud-needed example weighs 3x a local-capable one: the targets allow 5 % of cloud-needed
    #: requests sent local and 15 % of local-capable ones sent to the cloud (error budgets 1 : 3).
    cloud_weight: float = 3.0
    l2: float = 1e-4
    epochs: int = 24
    rate: float = 0.2
    min_groups: int = 2
    prune: float = 0.01
    #: L2 on term weights (the named signals get ``l2``): terms are many and each is rare.
    term_l2: float = 1e-4
    #: Fit the named signals and the terms as two models, blended by the calibration.
    separate: bool = True
    #: How the term weights are fitted when separate: "nb" (smoothed log-count ratios) or "lr".
    terms_model: str = "lr"
    nb_alpha: float = 1.0
    nb_scale: float = 0.1
    #: Stack instead of calibrating: named signals fitted together with the out-of-source term score.
    stack: bool = True
    #: Recalibrate (a_named, a_terms, b) on out-of-source scores after fitting.
    recalibrate: bool = False
    #: Names of widely used packages (scripts/routing_set/public/known_packages.txt, from the public
    #: PyPI and npm lists) count as familiar, like names the training sources mention.
    known_names: bool = True
    #: Keep only terms that occur in at least this many training sources (when there are that
    #: many): a phrase only one hand writes is that hand's template, not the task.
    min_sources: int = 1


def load_sources(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Every record of every source file, with ``source`` set to the file's stem."""
    records: list[dict[str, Any]] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                record["source"] = path.stem
                records.append(record)
    return records


@dataclass
class Example:
    dense: tuple[float, ...]
    terms: tuple[int, ...]
    names: tuple[int, ...]
    label: int
    group: str
    record: dict[str, Any]


def examples(records: Iterable[dict[str, Any]]) -> list[Example]:
    """The routable requests (autocomplete and embeddings are decided before the scorer)."""
    out = []
    for record in records:
        features = extract_features(record["body"], record["endpoint"])
        if features.kind in ("autocomplete", "embed"):
            continue
        out.append(Example(feature_values(features, CONTEXT), features.terms, features.names,
                           1 if record["label"] == "cloud" else 0,
                           f"{record.get('source', '')}/{record['group']}", record))
    return out


def term_names(records: Iterable[dict[str, Any]]) -> dict[int, str]:
    """Hash -> the most frequent n-gram behind it in these records (for readable reasons)."""
    counts: dict[int, dict[str, int]] = {}
    for record in records:
        for term in request_terms(record["body"], record["endpoint"]):
            bucket = counts.setdefault(term_hash(term), {})
            bucket[term] = bucket.get(term, 0) + 1
    return {h: max(names.items(), key=lambda kv: (kv[1], kv[0]))[0] for h, names in counts.items()}


def _fit_raw(data: Sequence[Example], hyper: Hyper, *, use_dense: bool = True,
             use_terms: bool = True) -> tuple[float, list[float], dict[int, float]]:
    """(bias, dense weights, term weights) by AdaGrad on the class-weighted, L2-penalised log loss."""
    from hybridcoder.routing.scorer import term_scale

    groups_of: dict[int, set[str]] = {}
    for example in data:
        for h in example.terms:
            groups_of.setdefault(h, set()).add(example.group)
    sources = len({e.group.split("/", 1)[0] for e in data})
    min_sources = min(hyper.min_sources, sources)
    kept = {h for h, groups in groups_of.items() if len(groups) >= hyper.min_groups
            and (min_sources <= 1 or len({g.split("/", 1)[0] for g in groups}) >= min_sources)} if use_terms else set()
    dense_size = len(data[0].dense) if data else len(FEATURE_NAMES)
    index_of = {h: dense_size + i for i, h in enumerate(sorted(kept))}
    rows: list[tuple[list[tuple[int, float]], int, float]] = []
    for example in data:
        scale = term_scale(len(example.terms))
        row = [(i, v) for i, v in enumerate(example.dense) if v] if use_dense else []
        row += [(index_of[h], scale) for h in example.terms if h in index_of]
        rows.append((row, example.label, hyper.cloud_weight if example.label else 1.0))
    size = dense_size + len(index_of)
    weights = [0.0] * size
    squares = [1e-8] * size
    bias = 0.0
    bias_square = 1e-8
    order = list(range(len(rows)))
    rng = random.Random(20261204)
    rate, l2, term_l2 = hyper.rate, hyper.l2, hyper.term_l2
    sqrt = math.sqrt
    for _ in range(hyper.epochs):
        rng.shuffle(order)
        for position in order:
            row, label, weight = rows[position]
            z = bias
            for i, v in row:
                z += weights[i] * v
            p = sigmoid(z)
            g = weight * (p - label)
            bias_square += g * g
            bias -= rate * g / sqrt(bias_square)
            for i, v in row:
                gi = g * v + (l2 if i < dense_size else term_l2) * weights[i]
                squares[i] += gi * gi
                weights[i] -= rate * gi / sqrt(squares[i])
    terms = {h: weights[i] for h, i in index_of.items() if abs(weights[i]) >= hyper.prune}
    return bias, weights[:dense_size], terms


def _fold(group: str, folds: int) -> int:
    return int(hashlib.sha256(("calibration" + group).encode()).hexdigest(), 16) % folds


def _calibrate(scores: Sequence[tuple[float, float, int]], cloud_weight: float) -> tuple[float, float, float]:
    """(a_named, a_terms, b) minimising the class-weighted log loss of
    ``sigmoid(a_named * z_named + a_terms * z_terms + b)`` on out-of-fold scores (Newton's method).

    Two scales, not one: how far the named signals and the n-grams each carry to traffic the
    fit never saw differs, and the out-of-source folds measure it. Platt's smoothed targets and a
    pull of (a_named, a_terms, b) towards (1, 1, 0) keep it finite when the folds separate.
    """
    positives = sum(y for _, _, y in scores)
    negatives = len(scores) - positives
    high, low = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    prior = 1.0
    theta = [1.0, 1.0, 0.0]
    anchor = (1.0, 1.0, 0.0)
    for _ in range(200):
        grad = [prior * (t - a) for t, a in zip(theta, anchor, strict=True)]
        hess = [[prior if i == j else 0.0 for j in range(3)] for i in range(3)]
        for zd, zt, y in scores:
            x = (zd, zt, 1.0)
            w = cloud_weight if y else 1.0
            p = sigmoid(theta[0] * zd + theta[1] * zt + theta[2])
            r = w * (p - (high if y else low))
            c = w * p * (1 - p)
            for i in range(3):
                grad[i] += r * x[i]
                for j in range(3):
                    hess[i][j] += c * x[i] * x[j]
        step = _solve3(hess, grad)
        largest = max(abs(v) for v in step)
        if largest > 0.5:  # a damped Newton step: the loss is far from quadratic out there
            step = [v * 0.5 / largest for v in step]
        theta = [t - v for t, v in zip(theta, step, strict=True)]
        if largest < 1e-9:
            break
    return min(max(theta[0], 0.02), 10.0), min(max(theta[1], 0.0), 10.0), theta[2]


def _solve3(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination for the small positive-definite Newton system."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (a[r][n] - sum(a[r][c] * out[c] for c in range(r + 1, n))) / a[r][r]
    return out


def _fit_parts(data: Sequence[Example], hyper: Hyper) -> tuple[float, list[float], dict[int, float], float]:
    """The named signals and the terms fitted as two models (``hyper.separate``) or one.

    Two models: the terms cannot soak up what the few named signals explain (a fit on one
    source's templates otherwise lets the n-grams memorise everything), and the calibration
    then weighs the two by how well each carries to another source. Their biases are summed;
    the calibration refits the intercept anyway.
    """
    if not hyper.separate:
        return (*_fit_raw(data, hyper), 0.0)
    if hyper.stack:
        return _stacked(data, hyper)
    named_bias, dense, _ = _fit_raw(data, hyper, use_terms=False)
    if hyper.terms_model == "nb":
        return named_bias, dense, _naive_bayes_terms(data, hyper), 0.0
    terms_bias, _, terms = _fit_raw(data, hyper, use_dense=False)
    return named_bias + terms_bias, dense, terms, 0.0


def _source_folds(data: Sequence[Example]) -> list[list[Example]]:
    """One fold per source when there are several (traffic by another hand), else 3 grouped folds."""
    sources = sorted({e.group.split("/", 1)[0] for e in data})
    if len(sources) >= 2:
        return [[e for e in data if e.group.startswith(source + "/")] for source in sources]
    return [[e for e in data if _fold(e.group, 3) == fold] for fold in range(3)]


def _stacked(data: Sequence[Example], hyper: Hyper) -> tuple[float, list[float], dict[int, float], float]:
    """Stacking: the terms model's out-of-source score becomes one input of a small model over the
    named signals, so their weights are learnt where the words fail to carry to another source.

    1. terms-only logistic model on all data (the shipped term weights);
    2. the same fitted once per source without it, scoring that source (out-of-source scores);
    3. a logistic model over [named signals..., out-of-source term score];
    4. shipped: named weights from 3, term weights scaled by 3's weight for the term score, and
       3's weight for the out-of-source "unfamiliar names" share (the fourth value returned).
    """
    from hybridcoder.routing.scorer import term_scale

    terms_bias, _, terms = _fit_raw(data, hyper, use_dense=False)
    out_of_source: dict[int, float] = {}
    for test in _source_folds(data):
        held = {id(e) for e in test}
        train = [e for e in data if id(e) not in held]
        if not train:
            continue
        fold_bias, _, fold_terms = _fit_raw(train, hyper, use_dense=False)
        for e in test:
            hits = [fold_terms[h] for h in e.terms if h in fold_terms]
            out_of_source[id(e)] = fold_bias + (term_scale(len(e.terms)) * sum(hits) if hits else 0.0)
    unfamiliar = _out_of_source_unfamiliar(data, hyper)
    level2 = [Example((*e.dense, unfamiliar[id(e)], out_of_source.get(id(e), 0.0)), (), (), e.label, e.group,
                      e.record) for e in data]
    bias, weights, _ = _fit_raw(level2, hyper, use_terms=False)
    scale = max(weights[-1], 0.0)
    return (bias + scale * terms_bias, list(weights[:-2]),
            {h: scale * w for h, w in terms.items() if abs(scale * w) >= hyper.prune}, weights[-2])


_KNOWN_CACHE: list[frozenset[int]] = []


def known_package_names() -> frozenset[int]:
    """Name hashes ("n:react") of widely used PyPI / npm packages (see routing_set/known_packages.py)."""
    if not _KNOWN_CACHE:
        lines = KNOWN_PACKAGES.read_text(encoding="utf-8").splitlines() if KNOWN_PACKAGES.exists() else []
        _KNOWN_CACHE.append(frozenset(term_hash("n:" + line.strip()) for line in lines
                                      if line.strip() and not line.startswith("#")))
    return _KNOWN_CACHE[0]


def _out_of_source_unfamiliar(data: Sequence[Example], hyper: Hyper | None = None) -> dict[int, float]:
    """For each example: how many of its names no *other* source mentions (0..1, 3 or more = 1).

    Inside one source every name is familiar to itself; what the shipped model meets is traffic
    whose names may be new, and the other sources are the honest stand-in for that. Names of
    widely used packages are familiar either way (``hyper.known_names``).
    """
    folds = _source_folds(data)
    extra = known_package_names() if hyper is None or hyper.known_names else frozenset()
    out: dict[int, float] = {}
    for test in folds:
        held = {id(e) for e in test}
        known = {h for e in data if id(e) not in held for h in e.names} | extra
        for e in test:
            out[id(e)] = min(sum(1 for h in e.names if h not in known), 3) / 3.0
    return out


def _naive_bayes_terms(data: Sequence[Example], hyper: Hyper) -> dict[int, float]:
    """Term weights as smoothed log-count ratios (Naive Bayes; Wang & Manning's NBSVM features).

    With a few hundred requests and thousands of n-grams, a ratio of smoothed counts carries
    to unseen wording better than a free weight per n-gram: a term seen in two tasks cannot get
    a large weight. Counted once per task (group), so a template rendered many times counts once.
    """
    cloud_groups: dict[int, set[str]] = {}
    local_groups: dict[int, set[str]] = {}
    cloud_total = {e.group for e in data if e.label}
    local_total = {e.group for e in data if not e.label}
    for e in data:
        target = cloud_groups if e.label else local_groups
        for h in e.terms:
            target.setdefault(h, set()).add(e.group)
    alpha = hyper.nb_alpha
    out: dict[int, float] = {}
    for h in set(cloud_groups) | set(local_groups):
        c = len(cloud_groups.get(h, ()))
        n = len(local_groups.get(h, ()))
        if c + n < hyper.min_groups:
            continue
        ratio = math.log((c + alpha) / (len(cloud_total) + 2 * alpha)) - math.log((n + alpha) / (len(local_total) + 2 * alpha))
        if abs(ratio) >= hyper.prune:
            out[h] = ratio * hyper.nb_scale
    return out


def split_score(bias: float, dense: Sequence[float], terms: dict[int, float], example: Example) -> tuple[float, float]:
    """(named-signal part with the bias, term part) of the raw logit."""
    from hybridcoder.routing.scorer import term_scale

    z = bias + sum(w * v for w, v in zip(dense, example.dense, strict=True))
    hits = [terms[h] for h in example.terms if h in terms]
    return z, (term_scale(len(example.terms)) * sum(hits) if hits else 0.0)


def raw_score(bias: float, dense: Sequence[float], terms: dict[int, float], example: Example) -> float:
    from hybridcoder.routing.scorer import term_scale

    z = bias + sum(w * v for w, v in zip(dense, example.dense, strict=True))
    hits = [terms[h] for h in example.terms if h in terms]
    return z + term_scale(len(example.terms)) * sum(hits) if hits else z


def fit_scorer(records: Sequence[dict[str, Any]], hyper: Hyper = Hyper(), *, calibrate: bool = True,
               names: bool = True) -> LogisticScorer:
    """Train on ``records`` (any mix of sources) and return the calibrated scorer."""
    data = examples(records)
    if not data:
        raise ValueError("no routable training examples")
    bias, dense, terms, unfamiliar_weight = _fit_parts(data, hyper)
    calibration = (1.0, 1.0, 0.0)
    if calibrate and hyper.recalibrate:
        # Out-of-fold scores for the calibration: one fold per training source when there are
        # several (what deployment looks like: traffic written by another hand), else 3 grouped folds.
        sources = sorted({e.group.split("/", 1)[0] for e in data})
        if len(sources) >= 2:
            folds_of = [[e for e in data if e.group.startswith(source + "/")] for source in sources]
        else:
            folds_of = [[e for e in data if _fold(e.group, 3) == fold] for fold in range(3)]
        out_of_fold: list[tuple[float, int]] = []
        for test in folds_of:
            held = {id(e) for e in test}
            train = [e for e in data if id(e) not in held]
            if not train or not test:
                continue
            fold = _fit_parts(train, hyper)
            out_of_fold += [(*split_score(*fold[:3], e), e.label) for e in test]
        a_named, a_terms, b = _calibrate(out_of_fold, hyper.cloud_weight)
        # Folded into the weights: the shipped model stays one linear score.
        bias = a_named * bias + b
        dense = [a_named * w for w in dense]
        terms = {h: a_terms * w for h, w in terms.items() if abs(a_terms * w) >= hyper.prune}
        calibration = (a_named, a_terms, b)
    means = {name: sum(e.dense[i] for e in data) / len(data) for i, name in enumerate(FEATURE_NAMES)}
    means["terms"] = sum(raw_score(0.0, [0.0] * len(dense), terms, e) for e in data) / len(data)
    unfamiliar_weight *= calibration[0]
    unfamiliar = _out_of_source_unfamiliar(data, hyper)
    means["unfamiliar_names"] = sum(unfamiliar.values()) / len(data)
    scorer = LogisticScorer(
        familiar=frozenset(h for e in data for h in e.names) | (known_package_names() if hyper.known_names
                                                                else frozenset()),
        weights={**{name: round(w, 5) for name, w in zip(FEATURE_NAMES, dense, strict=True) if w},
                 **({"unfamiliar_names": round(unfamiliar_weight, 5)} if unfamiliar_weight else {})},
        bias=round(bias, 5),
        means={k: round(v, 5) for k, v in means.items()},
        terms={h: round(w, 4) for h, w in terms.items()},
    )
    scorer.meta["calibration_folded_in"] = [round(v, 5) for v in calibration]
    if names:
        all_names = term_names(records)
        scorer.term_names = {h: all_names[h] for h in scorer.terms if h in all_names}
    return scorer


#: The settings hyper-parameter selection chooses among (``select_hyper``): the L2 penalty of the
#: terms and whether they must occur in two training sources (how much they may memorise one
#: hand), and whether widely used package names count as familiar. Fixed in advance; nothing here
#: was picked by a held-out figure. The cost weight of a cloud-needed example is not searched: it
#: moves the decision boundary, and an inner search over it swung the outer figures by 15 points
#: from one held-out source to the next; it is set from the targets' error budgets instead.
GRID: tuple[Hyper, ...] = tuple(
    Hyper(term_l2=term_l2, known_names=known, min_sources=sources)
    for term_l2 in (1e-4, 1e-3) for known in (True, False) for sources in (1, 2)
)
#: The issue's targets: what selection aims for (recall on cloud-needed, local-capable kept local).
TARGET_RECALL, TARGET_KEPT = 0.95, 0.85


def select_hyper(records: Sequence[dict[str, Any]], grid: Sequence[Hyper] = GRID) -> tuple[Hyper, list[dict[str, Any]]]:
    """The grid setting whose worst leave-one-source-out margin *inside ``records``* is best.

    For each setting: fit on all of ``records``' sources but one, measure on that one, for each
    source; the margin of one such fold is ``min(recall - 0.95, kept - 0.85)`` (how far the worse
    of the two targets is missed or beaten), and the setting's score is its mean over the folds
    (ties: the worst fold; the mean, because the folds differ in size and the smallest one's noise
    would otherwise decide). Used by eval_router.py inside the training sources of each held-out source (nested
    cross-validation: the held-out source never takes part), and here on every source for the
    shipped weights. With one source there is nothing to hold out: the default setting.
    """
    sources = sorted({r["source"] for r in records})
    if len(sources) < 2:
        return Hyper(), []
    table: list[dict[str, Any]] = []
    for hyper in grid:
        margins = []
        for held in sources:
            scorer = fit_scorer([r for r in records if r["source"] != held], hyper, names=False)
            m = metrics(scorer, [r for r in records if r["source"] == held])
            margins.append(min(m["cloud_recall"] - TARGET_RECALL, m["local_kept"] - TARGET_KEPT))
        table.append({"hyper": hyper, "worst": min(margins), "mean": sum(margins) / len(margins)})
    best = max(table, key=lambda row: (round(row["mean"], 4), round(row["worst"], 4)))
    return best["hyper"], table


def describe_hyper(hyper: Hyper) -> str:
    return (f"cloud_weight={hyper.cloud_weight:g}, term_l2={hyper.term_l2:g}, terms from >= {hyper.min_sources} "
            f"source(s), known package names {'familiar' if hyper.known_names else 'not used'}")


def metrics(scorer: LogisticScorer, records: Sequence[dict[str, Any]], threshold: float = 0.5) -> dict[str, float]:
    tp = tn = fp = fn = 0
    for record in records:
        features = extract_features(record["body"], record["endpoint"])
        if features.kind in ("autocomplete", "embed"):
            continue
        cloud = scorer.probability(features, CONTEXT) >= threshold
        label = record["label"] == "cloud"
        tp += cloud and label
        fn += (not cloud) and label
        fp += cloud and not label
        tn += (not cloud) and not label
    return {
        "cloud_recall": round(tp / max(tp + fn, 1), 4),
        "local_kept": round(tn / max(tn + fp, 1), 4),
        "n": tp + tn + fp + fn,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Hyper()
    parser.add_argument("--cloud-weight", type=float, default=None,
                        help="fix the cloud weight instead of selecting the settings by cross-validation")
    parser.add_argument("--l2", type=float, default=defaults.l2)
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--exclude", action="append", default=[], help="leave this source out (repeatable)")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    records = [r for r in load_sources() if r["source"] not in args.exclude]
    sources = sorted({r["source"] for r in records})
    if args.cloud_weight is not None:
        hyper = Hyper(cloud_weight=args.cloud_weight, l2=args.l2, epochs=args.epochs)
        print(f"settings given: {describe_hyper(hyper)}")
    else:
        # The shipped settings: leave-one-source-out cross-validation over every source.
        hyper, table = select_hyper(records)
        hyper = Hyper(**{**hyper.__dict__, "l2": args.l2, "epochs": args.epochs})
        for row in sorted(table, key=lambda r: -r["worst"]):
            print(f"  cv {describe_hyper(row['hyper']):55} worst margin {row['worst']:+.3f}  mean {row['mean']:+.3f}")
        print(f"settings selected by leave-one-source-out cross-validation: {describe_hyper(hyper)}")
    scorer = fit_scorer(records, hyper)
    train_metrics = metrics(scorer, records)
    print(f"sources: {', '.join(sources)}; {train_metrics['n']} routable training requests")
    print("train (for information; scripts/eval_router.py is the report):", json.dumps(train_metrics))
    print(f"calibration (named, terms, bias), folded into the weights: {scorer.meta['calibration_folded_in']}; "
          f"{len(scorer.terms)} terms kept")
    for name, weight in sorted(scorer.weights.items(), key=lambda kv: -abs(kv[1])):
        print(f"  {name:20} {weight:+.3f}")
    readable = sorted(((w, scorer.term_names.get(h, "?")) for h, w in scorer.terms.items()), reverse=True)
    print("  cloud-most terms:", ", ".join(n for _, n in readable[:15]))
    print("  local-most terms:", ", ".join(n for _, n in readable[-15:]))
    if args.dry_run:
        return 0
    counts = {s: sum(r["source"] == s for r in records) for s in sources}
    scorer.meta = {
        **scorer.meta,
        "source": "scripts/train_router.py: class-weighted L2 logistic regression (pure-Python AdaGrad) over "
                  "bounded request signals and hashed n-grams of the user's instruction and rules, stacked on "
                  "out-of-source term scores; trained on tests/data/routing/*.jsonl",
        "date": dt.date.today().isoformat(),
        "local_context": LOCAL_CONTEXT,
        "training_sources": counts,
        "hyperparameters": {"cloud_weight": hyper.cloud_weight, "l2": hyper.l2, "epochs": hyper.epochs,
                            "rate": hyper.rate, "min_groups": hyper.min_groups, "prune": hyper.prune,
                            "term_l2": hyper.term_l2, "known_names": hyper.known_names,
                            "selected_by": "leave-one-source-out cross-validation over the training sources "
                                           "(scripts/train_router.py GRID)" if args.cloud_weight is None
                                           else "given on the command line"},
        "train_metrics": train_metrics,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(scorer.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
