"""``hybridcoder routing status|reset-learning``: what the router learned from you, and forgetting it.

The router learns from every fallback and escalation (see ``routing/learning.py``);
this is the "Reset learning" switch for people who work in the terminal.
"""

from __future__ import annotations

import argparse

from hybridcoder.cli._common import print_json
from hybridcoder.errors import HybridCoderError
from hybridcoder.routing.learning import Learner
from hybridcoder.settings import Settings

ORDER = 65


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("routing", help="what routing learned from your escalations; reset it")
    sub = parser.add_subparsers(dest="routing_command", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="mode, threshold and what was learned")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    reset = sub.add_parser("reset-learning", help="forget everything learned from your escalations")
    reset.set_defaults(func=_reset)


def _status(args: argparse.Namespace) -> int:
    settings = Settings.load()
    learned = Learner(enabled=settings.routing.learning, autosave=False).stats()
    data = {"mode": settings.routing.mode, "threshold": settings.routing.threshold, "learning": learned}
    if args.json:
        print_json(data)
        return 0
    print(f"Routing mode: {settings.routing.mode}   threshold: {settings.routing.threshold:.2f} "
          "(higher keeps more local)")
    state = "on" if learned["enabled"] else "off"
    print(f"Learning: {state}; {learned['examples']} escalations learned from, "
          f"{learned['avoided_round_trips']} failed-local round trips avoided since.")
    return 0


def _reset(args: argparse.Namespace) -> int:
    learner = Learner(autosave=False)
    learner.reset()
    # Learner.save() only logs a failed write; what a restarted proxy would load is the truth.
    if Learner(autosave=False).stats()["examples"]:
        raise HybridCoderError(f"Could not save the reset to {learner.path}; check that folder's permissions "
                               "and try again.")
    print("Routing forgot what it learned from your escalations. "
          "A running proxy picks this up when it restarts.")
    return 0
