"""``hybridcoder doctor [--json]``: what works, what does not, and how to fix it.

A report, not a command that can fail: it exits 0 even when it finds problems
(a script reads the levels from ``--json``). It never changes anything.
"""

from __future__ import annotations

import argparse
import sys

from hybridcoder.cli._common import print_json, status_line
from hybridcoder.doctor import run_doctor
from hybridcoder.settings import Settings

ORDER = 10

_AREA_TITLES = {
    "settings": "Settings",
    "hardware": "Hardware",
    "recommendation": "Recommended models",
    "ollama": "Ollama",
    "models": "Installed models",
    "disk": "Disk",
    "keys": "Keys",
    "clients": "Coding tools",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check this machine, Ollama, models, keys and coding tools (changes nothing)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    report = run_doctor(Settings.load())
    if args.json:
        print_json(report.as_json())
        return 0
    area = None
    for check in report.checks:
        if check.area != area:
            area = check.area
            sys.stdout.write(f"\n{_AREA_TITLES.get(area, area.title())}\n")
        status_line(check.level, check.text, check.fix)
    counts = report.counts()
    sys.stdout.write(f"\n{counts['problem']} problem(s), {counts['warning']} warning(s). "
                     "The doctor only reports; nothing was changed.\n")
    return 0
