"""``hybridcoder configure continue|cline|aider|all``: point the coding tools at the proxy.

Every write is backed up first; ``--dry-run`` shows a diff and writes nothing;
``--undo`` restores the exact previous bytes of the last run. A file that cannot be
parsed is left alone unless ``--reset-broken`` is given.
"""

from __future__ import annotations

import argparse
import sys

from hybridcoder.cli._common import print_json, status_line
from hybridcoder.clients.configure import (
    TOOL_LABELS,
    ConfigureReport,
    client_models_from_settings,
    configure_tools,
    persistent_proxy_token,
    proxy_url_from_settings,
)
from hybridcoder.clients.rules import why_short_note
from hybridcoder.keys import KeyStore
from hybridcoder.settings import Settings

ORDER = 30


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "configure", help="point Continue, Cline and Aider at the Hybrid Coder proxy (backed up, undoable)")
    parser.add_argument("tools", nargs="+", choices=["continue", "cline", "aider", "all"], metavar="TOOL",
                        help="continue, cline, aider or all (all skips tools that are not installed)")
    parser.add_argument("--dry-run", action="store_true", help="show a diff of what would change; write nothing")
    parser.add_argument("--undo", action="store_true", help="restore the files as they were before the last run")
    parser.add_argument("--proxy-url", metavar="URL", help="the proxy's address (default: from settings)")
    rules = parser.add_mutually_exclusive_group()
    rules.add_argument("--rules", dest="rules", action="store_true", default=None,
                       help="also install the short rule set for small local models")
    rules.add_argument("--no-rules", dest="rules", action="store_false",
                       help="remove the small-model rule set again")
    parser.add_argument("--reset-broken", action="store_true",
                        help="back up a config file that cannot be parsed and start a fresh one")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=_configure)


def print_report(report: ConfigureReport, *, show_diff: bool) -> None:
    """Doctor-style lines per tool (also used by ``hybridcoder setup``)."""
    levels = {"configured": "ok", "unchanged": "ok", "undone": "ok", "would change": "info",
              "skipped": "info", "nothing to undo": "info", "error": "problem"}
    for tool in report.tools:
        status_line(levels.get(tool.status, "info"), tool.message)
        for note in tool.notes:
            status_line("info", f"  {note}")
        backups = sorted({str(f.backup.parent) for f in tool.files if f.backup})
        if backups and tool.status == "configured":
            status_line("info", f"  backup: {', '.join(backups)}")
        if show_diff and tool.diff:
            sys.stdout.write(tool.diff)


def _configure(args: argparse.Namespace) -> int:
    settings = Settings.load()
    if args.undo:
        report = configure_tools(args.tools, proxy_url="", token="", models=client_models_from_settings(settings),
                                 undo=True, dry_run=args.dry_run)
    else:
        token = persistent_proxy_token(KeyStore(allow_file_fallback=settings.keys.allow_file_fallback))
        report = configure_tools(
            args.tools, proxy_url=args.proxy_url or proxy_url_from_settings(settings), token=token,
            models=client_models_from_settings(settings), dry_run=args.dry_run, rules=args.rules,
            reset_broken=args.reset_broken,
        )
    if args.json:
        print_json(report.to_dict())
    else:
        print_report(report, show_diff=args.dry_run)
        if args.rules:
            status_line("info", f"Small-model rules: {why_short_note()}")
        if args.dry_run:
            status_line("info", "Dry run: nothing was written.")
    if report.errors:
        labels = ", ".join(TOOL_LABELS[t.tool] for t in report.errors)
        print(f"hybridcoder: {labels} could not be configured; see above.", file=sys.stderr)
        return 1
    return 0
