"""``hybridcoder explain FILE [--json|--jsonl]``: show how the router would route a request, without sending it.

FILE holds one JSON request body (or one per line with ``--jsonl``); ``-`` reads
stdin. By default each request prints a few readable lines: where it goes and to
which model, the sentence, the score against the threshold, and each reason in
words. ``--json`` prints one JSON decision per request instead (route, model,
score, reasons, sentence, features); ``--jsonl`` reads one body per line and prints
one JSON decision per line. The routing context comes from the user's settings and keyring (mode,
threshold, whether a cloud key is present); ``--cloud-available`` / ``--mode`` /
``--threshold`` override it for what-if questions.

Never sends anything anywhere and never prints prompt text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hybridcoder.errors import HybridCoderError
from hybridcoder.routing.decision import RoutingContext, RoutingDecision
from hybridcoder.routing.features import Features
from hybridcoder.routing.override import strip_override
from hybridcoder.routing.router import Router, describe_reason
from hybridcoder.settings import Settings

ORDER = 60


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "explain", help="show where the router would send a request body (local or cloud) and why",
    )
    parser.add_argument("file", help="JSON request body file, or - for stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON decision per request (for scripts)")
    parser.add_argument("--jsonl", action="store_true",
                        help="read one request body per line and print one JSON decision per line")
    parser.add_argument("--endpoint", default="/v1/chat/completions",
                        help="the endpoint the body was sent to (default /v1/chat/completions)")
    parser.add_argument("--mode", choices=("auto", "local", "cloud"), help="routing mode (default: settings)")
    parser.add_argument("--threshold", type=float, help="0..1, higher keeps more local (default: settings)")
    parser.add_argument("--cloud-available", choices=("yes", "no"),
                        help="pretend a cloud key is present or not (default: check the keyring)")
    parser.add_argument("--rules", action="store_true", help="use the first-version rules instead of the scorer")
    parser.set_defaults(func=_explain)


def _explain(args: argparse.Namespace) -> int:
    text = _read(args.file)
    bodies = _parse(text, jsonl=args.jsonl)
    settings = Settings.load()
    context = _context(settings, args)
    router = Router(rules_only=args.rules)
    for body in bodies:
        stripped, override = strip_override(body)
        decision = router.decide(stripped, endpoint=args.endpoint, context=context, override=override,
                                 count=False)
        model = model_for(decision, settings)
        if args.json or args.jsonl:
            out = {"route": decision.route, "model": model, **_public(decision)}
            sys.stdout.write(json.dumps(out, sort_keys=False) + "\n")
        else:
            if len(bodies) > 1:
                sys.stdout.write("\n")
            sys.stdout.write(readable(decision, model, context) + "\n")
    return 0


def readable(decision: RoutingDecision, model: str, context: RoutingContext) -> str:
    """A few lines a person reads: route and model, the sentence, the score, each reason in words."""
    side = "CLOUD" if decision.route == "cloud" else "LOCAL"
    cut = context.threshold  # scores at or above the threshold go to the cloud
    lines = [f"{side} → {model}", decision.sentence,
             f"Score {decision.score:.2f} (the cloud from {cut:.2f} up; move the routing slider to change that)."]
    try:
        features = Features.from_numbers(decision.features)
    except (TypeError, ValueError):
        features = None
    if decision.reasons:
        lines.append("Why:")
        for reason in decision.reasons:
            text = describe_reason(reason, features, context) if features is not None else reason
            lines.append(f"  - {text}")
    return "\n".join(lines)


def _public(decision: RoutingDecision) -> dict[str, Any]:
    data = decision.as_json()
    data.pop("route", None)
    return data


def model_for(decision: RoutingDecision, settings: Settings) -> str:
    """The model the proxy would use for this decision, from the user's settings."""
    if decision.route == "local":
        if decision.kind == "autocomplete":
            return settings.models.autocomplete or settings.models.chat or "(no local model configured)"
        if decision.kind == "embed":
            return settings.models.embed or "(no embedding model configured)"
        return settings.models.chat or "(no local model configured)"
    cloud = settings.cloud
    return {
        "anthropic": cloud.anthropic_model,
        "openai": cloud.openai_model,
        "ollama-cloud": cloud.ollama_cloud_model,
    }.get(cloud.provider, cloud.anthropic_model)


def _context(settings: Settings, args: argparse.Namespace) -> RoutingContext:
    if args.cloud_available is not None:
        cloud_available = args.cloud_available == "yes"
    else:
        cloud_available = _cloud_key_present(settings)
    threshold = settings.routing.threshold if args.threshold is None else args.threshold
    if not 0.0 <= threshold <= 1.0:
        raise HybridCoderError(f"--threshold must be between 0 and 1, not {threshold}.")
    return RoutingContext(
        mode=args.mode or settings.routing.mode,
        cloud_available=cloud_available,
        budget_exhausted=False,
        local_context=settings.models.chat_context or RoutingContext.local_context,
        threshold=threshold,
    )


def _cloud_key_present(settings: Settings) -> bool:
    from hybridcoder.keys import KeyStore

    provider = {"ollama-cloud": "ollama"}.get(settings.cloud.provider, settings.cloud.provider)
    try:
        return bool(KeyStore(allow_file_fallback=settings.keys.allow_file_fallback).get(provider))
    except HybridCoderError:
        return False


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HybridCoderError(f"{name}: no such file.") from None
    except UnicodeDecodeError:
        raise HybridCoderError(f"{name} is not UTF-8 text; expected a JSON request body.") from None
    except OSError as exc:
        raise HybridCoderError(f"Could not read {name} ({exc.strerror}).") from None


def _parse(text: str, *, jsonl: bool) -> list[dict[str, Any]]:
    if jsonl:
        bodies = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                bodies.append(_one(line, f"line {number}"))
        if not bodies:
            raise HybridCoderError("No request bodies found (the input is empty).")
        return bodies
    if not text.strip():
        raise HybridCoderError("No request body found (the input is empty).")
    return [_one(text, "the input")]


def _one(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (use --jsonl for one body per line)" if "Extra data" in exc.msg else ""
        raise HybridCoderError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}{hint}."
        ) from None
    if not isinstance(value, dict):
        raise HybridCoderError(f"{where} is JSON but not a request body (expected an object with \"messages\").")
    # A record from the routing eval set carries the body under "body".
    if "body" in value and isinstance(value["body"], dict) and "messages" not in value:
        return dict(value["body"])
    return value
