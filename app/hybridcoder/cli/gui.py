"""``hybridcoder gui``: open the desktop app; ``--screenshot DIR`` renders every screen to PNG instead.

The screenshots are drawn offscreen (no display needed) in a throwaway HYBRIDCODER_HOME with a
sample ledger, so they never show or touch the user's own settings, usage or keys.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hybridcoder.errors import HybridCoderError

ORDER = 70


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gui", help="open the desktop app (tray, dashboard, settings); --screenshot renders it to PNG files",
        description="Open the desktop app, the same as plain `hybridcoder`. With --screenshot DIR, render "
                    "every screen (wizard pages, dashboard with sample data, settings, tray menu, an error "
                    "state) offscreen to PNG files in DIR and exit.")
    parser.add_argument("--screenshot", metavar="DIR", type=Path, default=None,
                        help="write PNG screenshots of every screen to DIR (created if missing) and exit")
    parser.set_defaults(func=_gui)


def _gui(args: argparse.Namespace) -> int:
    if args.screenshot is None:
        from hybridcoder.cli._launch import launch_app

        return launch_app()
    return _screenshots(args.screenshot)


def _screenshots(folder: Path) -> int:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HybridCoderError(f"Cannot create {folder} ({exc.strerror or exc}); choose another folder.") from None
    try:
        from hybridcoder.gui.screenshots import save_screenshots
    except ImportError as exc:
        raise HybridCoderError(f"The desktop app's Qt libraries cannot be loaded ({exc}); "
                               "reinstall Hybrid Coder with its GUI dependencies.") from None
    shots = save_screenshots(folder)
    written = [shot for shot in shots if shot.path is not None]
    for shot in shots:
        if shot.path is not None:
            print(f"{shot.path}" + (f"  ({shot.note})" if shot.note else ""))
        else:
            print(f"skipped {shot.name}: {shot.note}", file=sys.stderr)
    print(f"{len(written)} screenshots in {folder}")
    return 0 if written else 1
