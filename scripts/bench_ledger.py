#!/usr/bin/env python3
"""Benchmark: the dashboard's figures over a 1,000,000-row usage ledger (target ≤ 200 ms).

Generates N rows spread over 30 days into a temporary ledger (executemany, then the same
roll-up rebuild the schema migration uses), then times ``compute_figures`` for 30 days, 7
days and today, the budget tracker's cached and refreshed ``state()``, and — as the
baseline, in the same process — a plain GROUP BY over the raw rows of the same 30 days.

    .venv/bin/python scripts/bench_ledger.py            # 1,000,000 rows
    .venv/bin/python scripts/bench_ledger.py --rows 200000 --runs 5

Prints numbers only; it never touches the user's ledger.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from hybridcoder.analytics import BudgetTracker, compute_figures
from hybridcoder.ledger import RequestRecord, UsageLedger, rollups
from hybridcoder.ledger.migrations import migrate
from hybridcoder.ledger.store import _COLUMNS, _INSERT, connect
from hybridcoder.settings import Settings

TARGET_MS = 200.0
DAYS = 30

# (kind, weight, local prompt range, completion range)
KINDS = [("autocomplete", 55, (300, 1_024), (5, 60)), ("chat", 20, (2_000, 30_000), (100, 1_500)),
         ("edit", 8, (1_000, 12_000), (100, 2_000)), ("agent", 15, (8_000, 160_000), (50, 1_200)),
         ("embed", 2, (100, 2_000), (0, 0))]
CLIENTS = ["continue", "cline", "aider", "openai-sdk"]
CLOUD = [("anthropic", "claude-sonnet-5-5"), ("anthropic", "claude-haiku-5-5"), ("openai", "gpt-6-sol"),
         ("ollama-cloud", "qwen3-coder:480b-cloud")]
CAUSES = ["local_unreachable", "local_ttft_timeout", "client_retry", "invalid_tool_call", "cloud_rate_limited"]


def _templates(rng: random.Random, count: int) -> list[tuple[object, ...]]:
    """Distinct request shapes (everything but id and time), sampled to build the rows fast."""
    kinds, weights = [k[0] for k in KINDS], [k[1] for k in KINDS]
    spec = {k[0]: k for k in KINDS}
    out: list[tuple[object, ...]] = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        _, _, prompt_range, completion_range = spec[kind]
        cloud = kind not in ("autocomplete", "embed") and rng.random() < (0.6 if kind == "agent" else 0.25)
        provider, model = rng.choice(CLOUD) if cloud else ("ollama", "qwen2.5-coder:7b")
        prompt = rng.randint(*prompt_range)
        cache_read = int(prompt * rng.uniform(0.5, 0.9)) if cloud else 0
        cache_write = int((prompt - cache_read) * 0.5) if cloud else 0
        cause = rng.choice(CAUSES) if rng.random() < 0.03 else None
        route = "cloud" if cloud else "local"
        first = ("local" if cause and cloud else "cloud" if cause else route)
        ttft = rng.lognormvariate(5.0 if not cloud else 6.5, 0.5)
        values = {
            "client": rng.choice(CLIENTS), "endpoint": "/v1/chat/completions", "kind": kind, "route": route,
            "first_choice": first, "provider": provider, "model": model, "requested_model": "hybrid",
            "reasons": "[]", "score": None, "fallback_cause": cause, "stream": 1, "prompt_tokens": prompt,
            "completion_tokens": rng.randint(*completion_range), "cache_read_tokens": cache_read,
            "cache_write_tokens": cache_write, "tokens_estimated": 0, "ttft_ms": ttft,
            "total_ms": ttft + rng.lognormvariate(7.0, 0.8), "status": 200, "error": None, "redactions": 0,
            "features": None, "prompt_text": None,
        }
        out.append(tuple(values[c] for c in _COLUMNS[2:]))
    return out


def generate(path: Path, rows: int, seed: int = 7) -> float:
    """Fill a fresh ledger with ``rows`` requests over the last 30 days; returns seconds taken.

    Rows go in in time order, as a proxy writes them, then the roll-ups are built by the same
    ``rollups.rebuild`` the schema migration uses.
    """
    assert _COLUMNS[:2] == ("id", "ts")
    started = time.perf_counter()
    rng = random.Random(seed)
    conn = connect(path)
    migrate(conn)
    templates = _templates(rng, 20_000)
    now = time.time()
    times = sorted(now - rng.random() * DAYS * 86400 for _ in range(rows))
    for offset in range(0, rows, 100_000):
        chunk = times[offset:offset + 100_000]
        picks = rng.choices(templates, k=len(chunk))
        with conn:
            conn.executemany(_INSERT, [(f"{offset + i:032x}", ts, *shape)
                                       for i, (ts, shape) in enumerate(zip(chunk, picks, strict=True))])
    with conn:
        rollups.rebuild(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median ms, best ms) over ``runs`` calls after one warm-up."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples)


def raw_scan(path: Path) -> Callable[[], object]:
    """Baseline: what the same figures cost straight from the raw rows (one GROUP BY, no pricing)."""
    def run() -> object:
        conn = connect(path)
        try:
            return conn.execute(
                "SELECT route, kind, client, model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), "
                "SUM(cache_read_tokens), SUM(cache_write_tokens) FROM requests WHERE ts >= ? "
                "GROUP BY route, kind, client, model", (time.time() - DAYS * 86400,)).fetchall()
        finally:
            conn.close()
    return run


def _record_cost(folder: Path, settings: Settings, count: int = 20_000) -> tuple[float, float]:
    """µs per ``UsageLedger.record`` on the request path, bare and with a BudgetTracker listening."""
    out = []
    for listen in (False, True):
        path = folder / f"record-{listen}.sqlite3"
        records = [RequestRecord(kind="chat", route="cloud", model="claude-sonnet-5-5", prompt_tokens=1_000 + i)
                   for i in range(count)]
        with UsageLedger(path) as ledger:
            tracker = BudgetTracker(path, settings)
            if listen:
                tracker.state()
                tracker.attach(ledger)
            start = time.perf_counter()
            for record in records:
                ledger.record(record)
            out.append(round((time.perf_counter() - start) / count * 1e6, 2))
            ledger.flush(60)
            tracker.close()
    return out[0], out[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    args = parser.parse_args()
    settings = Settings()
    settings.budget.daily_usd, settings.budget.monthly_usd = 50.0, 500.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage.sqlite3"
        gen_s = generate(path, args.rows)
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        conn = connect(path)
        hourly = conn.execute("SELECT COUNT(*) FROM usage_hourly").fetchone()[0]
        latency_rows = conn.execute("SELECT COUNT(*) FROM latency_daily").fetchone()[0]
        conn.close()
        results: dict[str, object] = {"rows": args.rows, "generate_s": round(gen_s, 1), "file_mb": round(size_mb, 1),
                                      "hourly_rollup_rows": hourly, "latency_rows": latency_rows}
        for label, since in (("30d", "30d"), ("7d", "7d"), ("today", "today")):
            median, best = timed(functools.partial(compute_figures, path, settings, since), args.runs)
            results[f"figures_{label}_ms"] = round(median, 1)
            results[f"figures_{label}_best_ms"] = round(best, 1)
        base_median, _ = timed(raw_scan(path), max(3, args.runs // 2))
        results["baseline_raw_groupby_30d_ms"] = round(base_median, 1)
        tracker = BudgetTracker(path, settings)
        cached, _ = timed(tracker.state, 1000)
        refreshed, _ = timed(tracker.refresh, args.runs)
        tracker.close()
        results["budget_state_cached_us"] = round(cached * 1000, 2)
        results["budget_state_refresh_ms"] = round(refreshed, 2)
        figures = compute_figures(path, settings, "30d")
        results["check_requests_30d"] = figures.requests
        results["record_us"], results["record_with_budget_us"] = _record_cost(Path(tmp), settings)
    f30 = float(results["figures_30d_ms"])  # type: ignore[arg-type]
    results["speedup_vs_raw_scan"] = round(float(results["baseline_raw_groupby_30d_ms"]) / f30, 1)  # type: ignore[arg-type]
    results["target_ms"] = TARGET_MS
    results["meets_target"] = f30 <= TARGET_MS
    if args.json:
        print(json.dumps(results))
    else:
        print(f"ledger: {args.rows:,} rows over {DAYS} days, generated in {gen_s:.1f} s, {size_mb:.0f} MB; "
              f"{hourly:,} hourly roll-up rows, {latency_rows:,} latency rows")
        for label in ("30d", "7d", "today"):
            print(f"compute_figures({label:>5}): median {results[f'figures_{label}_ms']:>7} ms "
                  f"(best {results[f'figures_{label}_best_ms']} ms)")
        print(f"baseline raw GROUP BY over 30 days: {results['baseline_raw_groupby_30d_ms']} ms "
              f"-> figures are {results['speedup_vs_raw_scan']}x faster than one raw scan")
        print(f"BudgetTracker.state(): {results['budget_state_cached_us']} µs cached, "
              f"{results['budget_state_refresh_ms']} ms on refresh")
        print(f"UsageLedger.record(): {results['record_us']} µs, {results['record_with_budget_us']} µs with the "
              "budget tracker listening")
        verdict = "MEETS" if results["meets_target"] else "MISSES"
        print(f"30-day figures {f30} ms vs target {TARGET_MS:.0f} ms: {verdict} the target")
    return 0 if results["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
