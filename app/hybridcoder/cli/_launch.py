"""What plain ``hybridcoder`` (and ``./scripts/run``) does: open the desktop app.

Without a display there is no window to open, so it says how to use the app headless.
"""

from __future__ import annotations

import os
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


def launch_app() -> int:
    if not has_display():
        print(HEADLESS_HINT)
        return 0
    try:
        from hybridcoder.gui.application import run_gui
    except ImportError as exc:
        print(f"hybridcoder: the desktop window is not available ({exc}).", file=sys.stderr)
        print(HEADLESS_HINT)
        return 1
    return run_gui()
