"""``hybridcoder doctor [--json]``: what works, what does not, and how to fix it.

A report that never changes anything. Its exit status says what it found, so a
script can act on it without parsing: 0 when nothing is a problem (warnings
included), 1 when at least one check is a PROBLEM; ``--json`` gives the details.
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
        "doctor", help="check this machine, Ollama, models, keys and coding tools (changes nothing)",
        description="Check this machine, Ollama, models, keys and coding tools; changes nothing.",
        epilog="Exit status: 0 when no check is a PROBLEM (warnings are fine), 1 when at least one is.")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    report = run_doctor(Settings.load())
    status = 1 if report.counts()["problem"] else 0
    if args.json:
        print_json(report.as_json())
        return status
    area = None
    for check in report.checks:
        if check.area != area:
            area = check.area
            sys.stdout.write(f"\n{_AREA_TITLES.get(area, area.title())}\n")
        status_line(check.level, check.text, check.fix)
    counts = report.counts()
    sys.stdout.write(f"\n{counts['problem']} problem(s), {counts['warning']} warning(s). "
                     "The doctor only reports; nothing was changed.\n")
    return status
