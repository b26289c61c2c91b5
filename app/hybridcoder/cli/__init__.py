"""The ``hybridcoder`` command line.

Each subcommand lives in its own module in this package and exposes
``register(subparsers)``; modules are discovered, so adding a command is adding a
file. Handlers return an exit code: 0 success, 1 failure (one clear line on
stderr), 2 usage error. No traceback ever reaches the terminal: unexpected errors
are logged to the file and summarised in one line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from hybridcoder import __version__
from hybridcoder.errors import HybridCoderError
from hybridcoder.log import setup_logging

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hybridcoder",
        description="Local coder model for routine work, cloud flagship for hard work.",
    )
    parser.add_argument("--version", action="version", version=f"hybridcoder {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    modules.sort(key=lambda m: (getattr(m, "ORDER", 50), m.__name__))
    for module in modules:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m hybridcoder``."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0)
    try:
        setup_logging()
    except OSError as exc:
        print(f"hybridcoder: cannot write logs ({exc.strerror}); continuing without a log file.",
              file=sys.stderr)
    handler = getattr(args, "func", None)
    if handler is None:
        from hybridcoder.cli._launch import launch_app

        return launch_app()
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return 130
    except HybridCoderError as exc:
        log.info("command %s failed: %s", args.command, exc.message)
        print(f"hybridcoder: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:
        log.exception("unexpected error in command %s", args.command)
        print(
            f"hybridcoder: unexpected error ({type(exc).__name__}); details are in the log file.",
            file=sys.stderr,
        )
        return 1
