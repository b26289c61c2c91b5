"""What plain ``hybridcoder`` (and ``./scripts/run``) does: open the desktop app.

Without a display there is no window to open, so it says how to use the app headless.
"""

from __future__ import annotations

import os
import subprocess
import sys

HEADLESS_COMMANDS = (
    ("doctor", "check this machine, Ollama and your tools"),
    ("setup --yes", "install models and configure Continue, Cline and Aider"),
    ("serve", "run the routing proxy in this terminal"),
    ("stats", "see local vs cloud share and money saved"),
)


def headless_commands(cmd: str | None = None) -> str:
    """The headless commands, spelled the way this person can run them (``./scripts/run doctor``...)."""
    if cmd is None:
        from hybridcoder.display_check import cli_command

        cmd = cli_command()
    width = max(len(f"{cmd} {sub}") for sub, _ in HEADLESS_COMMANDS) + 2
    return "\n".join(f"  {f'{cmd} {sub}':<{width}}{what}" for sub, what in HEADLESS_COMMANDS)


HEADLESS_HINT = ("No display found, so the desktop window cannot open. Hybrid Coder works headless too:\n"
                 + headless_commands("hybridcoder"))


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def display_problem() -> str | None:
    """Why Qt cannot open a window here, or None when it can.

    On Linux, Qt aborts the whole process (no exception to catch) when DISPLAY points at no X
    server or a platform library is missing, so a throwaway child process tries it first.
    """
    if sys.platform in ("win32", "darwin"):
        return None
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal"):
        return None  # these platforms need no display server and no xcb libraries
    probe = "import sys; from PySide6.QtGui import QGuiApplication; QGuiApplication(sys.argv[:1])"
    try:
        # The frozen app cannot run `-c`; its entry point answers --qt-display-probe instead.
        command = [sys.executable, "--qt-display-probe"] if getattr(sys, "frozen", False) else [
            sys.executable, "-c", probe]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the display check did not finish ({type(exc).__name__})"
    if result.returncode == 0:
        return None
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return lines[0] if lines else f"Qt stopped with exit code {result.returncode}"


def launch_app() -> int:
    if not has_display():
        print("No display found, so the desktop window cannot open. Hybrid Coder works headless too:\n"
              + headless_commands()
              + "\n(To see the window, start it from a desktop session or under a virtual display: xvfb-run.)")
        return 0
    problem = display_problem()
    if problem is not None:
        from hybridcoder.display_check import display_advice

        print(f"hybridcoder: {display_advice(problem)}", file=sys.stderr)
        print("Hybrid Coder works headless too:\n" + headless_commands())
        return 1
    try:
        from hybridcoder.gui.application import run_gui
    except ImportError as exc:
        print(f"hybridcoder: the desktop window is not available ({exc}).", file=sys.stderr)
        print("Hybrid Coder works headless too:\n" + headless_commands())
        return 1
    return run_gui(sys.argv[:1])
