"""``hybridcoder routing status|mode|reset-learning|pause|resume``: steer the router from the terminal.

The router learns from every fallback and escalation (see ``routing/learning.py``);
``reset-learning`` is the "Reset learning" switch for people who work in the terminal.
``mode`` and ``reset-learning`` change the running proxy at once when one answers on
the configured port (the desktop app or ``hybridcoder serve``, through its
authenticated control endpoint) and write the settings / learning file too, so the
change also holds after a restart.
"""

from __future__ import annotations

import argparse
from typing import Any

from hybridcoder.cli._common import print_json
from hybridcoder.errors import HybridCoderError
from hybridcoder.proxy.control import MODES, RemoteControl, connect_running, proxy_url
from hybridcoder.routing.learning import Learner
from hybridcoder.settings import Settings

ORDER = 65


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("routing", help="what routing learned from your escalations; reset it")
    sub = parser.add_subparsers(dest="routing_command", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="mode, threshold and what was learned")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    mode = sub.add_parser("mode", help="auto (decide per request), local (everything local) or cloud")
    mode.add_argument("mode", choices=MODES, help="the routing mode from now on")
    mode.set_defaults(func=_mode)
    reset = sub.add_parser("reset-learning", help="forget everything learned from your escalations")
    reset.set_defaults(func=_reset)
    pause = sub.add_parser("pause", help="the running proxy answers every request with 'paused' until resumed")
    pause.set_defaults(func=_pause)
    resume = sub.add_parser("resume", help="the running proxy serves requests again")
    resume.set_defaults(func=_resume)


def _status(args: argparse.Namespace) -> int:
    settings = Settings.load()
    remote = connect_running(settings)
    mode, threshold = settings.routing.mode, settings.routing.threshold
    note = ""
    learned: dict[str, Any] | None = None
    if remote is not None:  # what the running proxy knows now, not the file it saves now and then
        try:
            live = remote.status()
            mode, threshold, learned = live.mode, live.threshold, dict(live.learning)
        except HybridCoderError as exc:  # another program, or a proxy with another token: say so, show the files
            note = f"(A proxy answers at {remote.url} but did not give its status: {exc.message})"
            remote = None
    if learned is None:
        learned = Learner(enabled=settings.routing.learning, autosave=False).stats()
    data = {"mode": mode, "threshold": threshold, "running": remote is not None, "learning": learned}
    if args.json:
        print_json(data)
        return 0
    if note:
        print(note)
    print(f"Routing mode: {mode}   threshold: {threshold:.2f} (higher keeps more local)")
    for line in learning_lines(learned):
        print(line)
    return 0


def learning_lines(learned: dict[str, Any]) -> list[str]:
    """What the router learned, in words: which kinds moved, from which events, what it saved."""
    if not learned.get("enabled", True):
        return ["Learning: off."]
    examples = int(learned.get("examples", 0))
    avoided = int(learned.get("avoided_round_trips", 0))
    min_events = learned.get("min_events", 3)
    lines = [f"Learning: on; {examples} escalations learned from; {avoided} failed-local round trips avoided "
             f"since (a kind of request moves only after {min_events} consistent escalations, and it fades "
             f"with a half-life of {learned.get('half_life_days', 3):g} days)."]
    by_cause = learned.get("by_cause") or {}
    if by_cause:
        lines.append("Recent escalations: " + ", ".join(
            f"{count} {CAUSE_WORDS.get(cause, cause.replace('_', ' '))}" for cause, count in sorted(
                by_cause.items(), key=lambda item: -item[1])) + ".")
    for kind in (learned.get("classes") or [])[:8]:
        state = "goes to the cloud first" if kind.get("moved") else "not moved yet"
        causes = ", ".join(f"{n}× {CAUSE_WORDS.get(c, c.replace('_', ' '))}" for c, n in kind.get("causes", {}).items())
        lines.append(f"  {describe_kind(str(kind.get('kind', '')))}: {state} "
                     f"(weight {float(kind.get('weight', 0)):.2f}{'; ' + causes if causes else ''})")
    return lines


CAUSE_WORDS = {
    "client_retry": "regenerates",
    "invalid_tool_call": "broken local tool calls",
    "manual_cloud": "@cloud requests",
    "local_ttft_timeout": "local time-outs",
    "local_oom": "local out-of-memory",
    "local_context_exceeded": "local context overflows",
    "local_error": "local errors",
    "local_5xx": "local server errors",
    "local_bad_output": "unusable local answers",
}


def describe_kind(key: str) -> str:
    """A learning bucket key (``chat|t9|f1|r0|x0|l|i2``) in words: kind, size, files, rules, tools."""
    parts = key.split("|")
    if len(parts) < 5:
        return key
    kind, size, files, rules, tools = parts[:5]
    try:
        tokens = 2 ** int(size[1:])
    except ValueError:
        tokens = 0
    rule_words = {"r0": "no rules", "r1": "a few rules", "r2": "6-15 rules", "r3": "many rules"}.get(rules, rules)
    text = f"{kind} requests of about {tokens:,} tokens, {files[1:]} file(s), {rule_words}"
    return text + (", with tools" if tools == "x1" else "")


MODE_MEANINGS = {
    "auto": "the router decides per request",
    "local": "every request stays on the local model",
    "cloud": "every request the router may send goes to the cloud (autocomplete stays local)",
}


def _mode(args: argparse.Namespace) -> int:
    settings = Settings.load()
    remote = connect_running(settings)
    if remote is not None:
        remote.set_mode(args.mode)  # a refusal raises before anything is written
    settings.routing.mode = args.mode
    settings.save()
    meaning = MODE_MEANINGS[args.mode]
    if remote is None:
        print(f"Routing mode: {args.mode} ({meaning}); saved in your settings for the next proxy start.")
        return 0
    print(f"Routing mode: {args.mode} ({meaning}); the running proxy at {remote.url} uses it from the next "
          "request on, and it is saved in your settings.")
    if args.mode == "cloud" and not remote.status().cloud_available:
        print("Note: no cloud key is set, so requests still run locally (`hybridcoder keys set anthropic`).")
    return 0


def _reset(args: argparse.Namespace) -> int:
    remote = connect_running(Settings.load())
    if remote is not None:
        try:
            remote.reset_learning()  # the running proxy forgets and saves the empty state itself
        except HybridCoderError as exc:  # not ours to steer (another token): reset the file, and say so
            print(f"A proxy answers at {remote.url} but refused the reset ({exc.message}); "
                  "resetting the saved learning only.")
            remote = None
    learner = Learner(autosave=False)
    if learner.stats()["examples"] or remote is None:
        learner.reset()
    # Learner.save() only logs a failed write; what a restarted proxy would load is the truth.
    if Learner(autosave=False).stats()["examples"]:
        raise HybridCoderError(f"Could not save the reset to {learner.path}; check that folder's permissions "
                               "and try again.")
    where = f", in the running proxy at {remote.url} too" if remote is not None else ""
    print(f"Routing forgot what it learned from your escalations{where}.")
    return 0


def _running_or_fail(verb: str) -> RemoteControl:
    settings = Settings.load()
    remote = connect_running(settings)
    if remote is None:
        raise HybridCoderError(f"No Hybrid Coder proxy is running on {proxy_url(settings)}, so there is "
                               f"nothing to {verb}; start the app or `hybridcoder serve`.")
    return remote


def _pause(args: argparse.Namespace) -> int:
    remote = _running_or_fail("pause")
    remote.pause()
    print(f"Paused: the proxy at {remote.url} answers every request with an error until "
          "`hybridcoder routing resume` (or Resume in the tray).")
    return 0


def _resume(args: argparse.Namespace) -> int:
    remote = _running_or_fail("resume")
    remote.resume()
    print(f"Resumed: the proxy at {remote.url} serves requests again.")
    return 0
