"""What plain ``hybridcoder`` (and ``./scripts/run``) does: open the desktop app.

Without a display there is no window to open, so it says how to use the app headless.
"""

from __future__ import annotations

import os
import subprocess
import sys

HEADLESS_HINT = """No display found, so the desktop window cannot open. Hybrid Coder works headless too:
  hybridcoder doctor          check this machine, Ollama and your tools
  hybridcoder setup --yes     install models and configure Continue, Cline and Aider
  hybridcoder serve           run the routing proxy in this terminal
  hybridcoder stats           see local vs cloud share and money saved
(To force the window anyway, set QT_QPA_PLATFORM=offscreen or run under a virtual display.)"""


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
    probe = "import sys; from PySide6.QtGui import QGuiApplication; QGuiApplication(sys.argv[:1])"
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the display check did not finish ({type(exc).__name__})"
    if result.returncode == 0:
        return None
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return lines[0] if lines else f"Qt stopped with exit code {result.returncode}"


def launch_app() -> int:
    if not has_display():
        print(HEADLESS_HINT)
        return 0
    problem = display_problem()
    if problem is not None:
        print(f"hybridcoder: the desktop window cannot open on this display ({problem}).", file=sys.stderr)
        print("Hybrid Coder works headless too:\n" + HEADLESS_HINT.split("\n", 1)[1])
        return 1
    try:
        from hybridcoder.gui.application import run_gui
    except ImportError as exc:
        print(f"hybridcoder: the desktop window is not available ({exc}).", file=sys.stderr)
        print(HEADLESS_HINT)
        return 1
    return run_gui()
