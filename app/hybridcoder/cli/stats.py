"""``hybridcoder stats``: the dashboard's figures in the terminal, as text, JSON or CSV.

Everything printed comes from :func:`hybridcoder.analytics.compute_figures` (the same call
the dashboard makes) and the budget tracker; this module only formats. Never writes to
the ledger.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from typing import Any, TextIO

from hybridcoder.analytics import BudgetTracker, Figures, PeriodError, compute_figures, resolve_period
from hybridcoder.analytics.figures import GroupFigures
from hybridcoder.analytics.periods import PERIOD_HELP, check_period_word
from hybridcoder.cli._common import print_json
from hybridcoder.paths import app_paths
from hybridcoder.routing.learning import Learner
from hybridcoder.settings import Settings

ORDER = 60


def _period_word(text: str) -> str:
    try:
        return check_period_word(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("stats", help="requests, cloud spend, money saved and latency from the usage ledger")
    parser.add_argument("--since", default="7d", type=_period_word, metavar="WHEN",
                        help=f"start of the period: {PERIOD_HELP} (default 7d)")
    parser.add_argument("--until", default=None, type=_period_word, metavar="WHEN",
                        help="end of the period (a bare date includes that day; default now)")
    parser.add_argument("--reference", metavar="MODEL", default=None,
                        help="cloud model to price local requests against (default: the configured one)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print every figure as JSON")
    output.add_argument("--csv", action="store_true", help="print every figure as section,group,metric,value rows")
    parser.set_defaults(func=_stats)


def _stats(args: argparse.Namespace) -> int:
    try:
        return _print_stats(args)
    except BrokenPipeError:  # `hybridcoder stats | head`: the reader left, which is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps interpreter shutdown quiet
        return 0


def _print_stats(args: argparse.Namespace) -> int:
    settings = Settings.load()
    period = resolve_period(args.since, args.until)
    ledger = app_paths().ledger_file
    reference = (args.reference, "") if args.reference else None
    figures = compute_figures(ledger, settings, period, reference=reference)
    tracker = BudgetTracker(ledger, settings)
    try:
        budget = tracker.state()
    finally:
        tracker.close()
    learning = Learner(enabled=settings.routing.learning, autosave=False).stats()
    if args.json:
        print_json({**figures.as_json(), "budget": budget.as_json(), "routing_learning": learning})
        return 0
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("section", "group", "metric", "value"))
        writer.writerows(figures.as_rows())
        for period_name, values in budget.as_json().items():
            if isinstance(values, dict):
                writer.writerows(("budget", period_name, k, "" if v is None else v) for k, v in values.items())
        writer.writerows(("routing_learning", "", k, v) for k, v in learning.items())
        return 0
    _print_text(figures, budget.as_json(), sys.stdout)
    sys.stdout.write(f"\nRouting learned from {learning['examples']:,} escalations; "
                     f"{learning['avoided_round_trips']:,} failed-local round trips avoided since.\n")
    return 0


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"${value:.4f}"


def _count(value: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.1f}{unit}"
    return str(value)


def _ms(value: float | None) -> str:
    return "—" if value is None else (f"{value / 1000:.1f}s" if value >= 10_000 else f"{value:.0f}")


def _print_text(f: Figures, budget: dict[str, Any], out: TextIO) -> None:
    local, cloud = f.route("local"), f.route("cloud")
    w = out.write
    w(f"Usage {f.period.label}  ({f.period.since:%Y-%m-%d %H:%M} → {f.period.until:%Y-%m-%d %H:%M})\n")
    if f.requests == 0:
        w("  No requests recorded in this period.\n")
    w(f"  Requests  {f.requests:>9,}   local {local.request_share:6.1%}   cloud {cloud.request_share:6.1%}\n")
    w(f"  Tokens    {_count(f.tokens):>9}   local {local.token_share:6.1%}   cloud {cloud.token_share:6.1%}\n")
    s = f.spend
    w(f"\nCloud spend  {_usd(s.usd)}  ({s.priced_requests:,} priced requests; cache reads {_usd(s.cache_read_usd)},"
      f" cache writes {_usd(s.cache_write_usd)})\n")
    if s.unpriced_requests:
        w(f"  Price unknown: {s.unpriced_requests:,} requests on {', '.join(s.unpriced_models)} (not counted)\n")
    if s.plan_requests:
        w(f"  Plan usage (no per-token price): {s.plan_requests:,} requests, {_count(s.plan_tokens)} tokens"
          f" on {', '.join(s.plan_models)}\n")
    sv = f.savings
    w(f"\nMoney saved by answering locally (priced on {sv.reference_model})\n")
    if sv.list_price_usd is None:
        w(f"  {sv.note}\n")
    else:
        w(f"  {sv.list_label}: {_usd(sv.list_price_usd)}\n")
        w(f"  {sv.cache_label}: {_usd(sv.cache_adjusted_usd)}\n")
        w(f"  ({sv.assumption})\n")
    daily, monthly = budget["daily"], budget["monthly"]
    caps = []
    for label, part in (("today", daily), ("this month", monthly)):
        if part["cap_usd"]:
            caps.append(f"{label} {_usd(part['spent_usd'])} of {_usd(part['cap_usd'])} ({part['fraction']:.0%})")
    w(f"\nBudget  {' · '.join(caps) if caps else 'no caps set'}\n")
    if budget["message"]:
        w(f"  {budget['message']}\n")
    for dim in ("kind", "client", "model"):
        _table(out, f"By {dim}", f.breakdown[dim])
    if f.latency:
        w("\nLatency (ms)          requests   TTFT p50    p95   total p50    p95\n")
        for item in f.latency:
            w(f"  {item.route + '/' + item.kind:20} {item.count:>8,} {_ms(item.ttft_p50_ms):>9} {_ms(item.ttft_p95_ms):>6}"
              f" {_ms(item.total_p50_ms):>11} {_ms(item.total_p95_ms):>6}\n")
    for title, counts in (("Fallbacks", f.fallbacks), ("Escalations to the cloud", f.escalations)):
        causes = ", ".join(f"{cause} {n:,}" for cause, n in sorted(counts.by_cause.items(), key=lambda i: -i[1]))
        w(f"\n{title}: {counts.count:,}" + (f"  ({causes})" if causes else "") + "\n")
    if f.daily:
        w("\nPer day          local   cloud      spend      saved (list)\n")
        for p in f.daily:
            w(f"  {p.start:%Y-%m-%d}  {p.local_requests:>7,} {p.cloud_requests:>7,} {_usd(p.spend_usd):>10}"
              f" {_usd(p.saved_list_usd):>12}\n")
    for warning in f.warnings:
        w(f"\nWARNING  {warning}\n")


def _table(out: TextIO, title: str, rows: list[GroupFigures]) -> None:
    if not rows:
        return
    out.write(f"\n{title:28} requests  share   tokens  share      spend   saved (list)\n")
    for g in rows[:12]:
        out.write(f"  {g.name[:26]:26} {g.requests:>8,} {g.request_share:6.1%} {_count(g.tokens):>8}"
                  f" {g.token_share:6.1%} {_usd(g.spend_usd):>10} {_usd(g.saved_list_usd):>12}\n")
    if len(rows) > 12:
        out.write(f"  … {len(rows) - 12} more (see --json)\n")
