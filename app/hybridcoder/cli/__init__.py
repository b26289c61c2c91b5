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
import os
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
    parser.add_argument("--self-test", action="store_true",
                        help="check this install (backends, data files, proxy, keyring, window) and exit")
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
    _replace_closed_streams()
    try:
        return _run(argv)
    except KeyboardInterrupt:  # Ctrl-C while the commands are still being imported
        print("Cancelled.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `hybridcoder doctor | head`: the reader left, which is fine
        _silence_stdout()
        return 0


def _run(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words:
        parser = build_parser()
        try:
            args = parser.parse_args(words)
        except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
            return int(exc.code or 0)
    else:
        # Plain `hybridcoder` opens the app: skip importing every command (and their SDKs) first,
        # which is most of the time to the first window.
        args = argparse.Namespace(command=None, self_test=False)
    try:
        setup_logging()
    except OSError as exc:
        # Without a file handler, records would reach stderr unscrubbed through logging's last resort.
        logging.getLogger("hybridcoder").addHandler(logging.NullHandler())
        print(f"hybridcoder: cannot write logs ({exc.strerror}); continuing without a log file.",
              file=sys.stderr)
    handler = getattr(args, "func", None)
    if getattr(args, "self_test", False):
        from hybridcoder.cli._self_test import run_self_test

        return run_self_test()
    if handler is None:
        from hybridcoder.cli._launch import launch_app

        return launch_app()
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
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


def _replace_closed_streams() -> None:
    """A closed stdin/stdout (``<&-``, ``>&-``) is None in Python; treat it like /dev/null."""
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _silence_stdout() -> None:
    """After a broken pipe, point stdout's descriptor at /dev/null so the exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture stdout)
        pass
