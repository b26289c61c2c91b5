"""Start Hybrid Coder at login, the way each desktop expects it.

The proxy your editor talks to runs inside the app, so the app should be up
whenever you are logged in. One small entry per OS, pointing at the command that
starts the app from this very install:

- Linux: an XDG autostart entry ``$XDG_CONFIG_HOME/autostart/hybridcoder.desktop``
  (``~/.config`` when that variable is unset), read by GNOME, KDE, Xfce and others;
- macOS: a LaunchAgent ``~/Library/LaunchAgents/<LABEL>.plist`` with ``RunAtLoad``
  (launchd reads it at the next login);
- Windows: the value ``Hybrid Coder`` under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``.

:func:`launch_command` is the frozen app itself (``sys.executable``) in a bundle,
and in a source or virtualenv install the ``hybridcoder`` script next to the
interpreter (``pythonw -m hybridcoder`` on Windows, so no console window opens).

The content of each entry is built by a pure function (:func:`desktop_entry`,
:func:`launch_agent_plist`, :func:`run_key_value`), so it can be checked on any OS.
Writes only the one entry; never touches anything else in the user's session.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

from hybridcoder.atomic import atomic_write_bytes, atomic_write_text
from hybridcoder.errors import HybridCoderError

__all__ = [
    "APP_NAME", "LABEL", "AutostartError", "autostart_file", "desktop_entry", "disable", "enable",
    "is_enabled", "launch_agent_plist", "launch_command", "run_key_value",
]

APP_NAME = "Hybrid Coder"
LABEL = "dev.hybridcoder.app"
DESKTOP_FILE = "hybridcoder.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class AutostartError(HybridCoderError):
    """The start-at-login entry could not be written or removed."""


def _system(system: str | None) -> str:
    platform = system or sys.platform
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "macos"
    return "linux"


def launch_command(*, system: str | None = None) -> list[str]:
    """The command that starts the app from this install (see the module docstring)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    here = Path(sys.executable).parent
    if _system(system) == "windows":
        windowless = here / "pythonw.exe"
        return [str(windowless if windowless.exists() else Path(sys.executable)), "-m", "hybridcoder"]
    script = here / "hybridcoder"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "hybridcoder"]


# --- what each OS gets ------------------------------------------------------------------------------

def _exec_argument(arg: str) -> str:
    """One argument of a desktop entry's Exec key, quoted and escaped as the spec asks."""
    reserved = set(' \t\n"\'\\><~|&;$*?#()`')
    arg = arg.replace("%", "%%")
    if arg and not any(c in reserved for c in arg):
        return arg
    inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return '"' + inner + '"'


def desktop_entry(command: list[str], icon: str = "hybridcoder") -> str:
    """An XDG autostart ``.desktop`` file that runs ``command``."""
    exec_line = " ".join(_exec_argument(arg) for arg in command)
    # Exec is also a "string" value: its backslashes are escaped once more in the file.
    exec_line = exec_line.replace("\\", "\\\\")
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        f"Name={APP_NAME}",
        "Comment=Local coder model for routine work, cloud flagship for hard work",
        f"Exec={exec_line}",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Development;",
        "X-GNOME-Autostart-enabled=true",
        "X-GNOME-Autostart-Delay=5",
        "X-KDE-autostart-after=panel",
        "",
    ])


def launch_agent_plist(command: list[str]) -> bytes:
    """A macOS LaunchAgent that runs ``command`` once at login."""
    return plistlib.dumps({
        "Label": LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    })


def run_key_value(command: list[str]) -> str:
    """The Windows Run-key string for ``command`` (quoted the way CreateProcess splits it)."""
    return subprocess.list2cmdline(command)


def autostart_file(*, system: str | None = None) -> Path | None:
    """Where the entry lives on this OS; None on Windows (a registry value, not a file)."""
    kind = _system(system)
    if kind == "linux":
        config = os.environ.get("XDG_CONFIG_HOME", "").strip()
        base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
        return base / "autostart" / DESKTOP_FILE
    if kind == "macos":
        return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    return None


# --- on, off, and is it on ------------------------------------------------------------------------

def is_enabled(*, system: str | None = None) -> bool:
    kind = _system(system)
    if kind == "windows":
        return _read_run_key() is not None
    path = autostart_file(system=system)
    assert path is not None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if kind == "linux":
        lowered = text.lower()
        return "hidden=true" not in lowered and "x-gnome-autostart-enabled=false" not in lowered
    return True


def enable(*, system: str | None = None) -> Path | None:
    """Start the app at login from now on; returns the file written (None on Windows: the Run key)."""
    kind = _system(system)
    command = launch_command(system=system)
    path = autostart_file(system=system)
    try:
        if kind == "windows":
            _write_run_key(run_key_value(command))
            return None
        assert path is not None
        if kind == "linux":
            atomic_write_text(path, desktop_entry(command, _icon()))
        else:
            atomic_write_bytes(path, launch_agent_plist(command))
    except OSError as exc:
        where = path if path is not None else "the Windows Run key"
        raise AutostartError(f"Could not turn on start at login ({where}: {exc.strerror or exc}); "
                             "check that folder's permissions and try again.") from None
    return path


def disable(*, system: str | None = None) -> None:
    """Stop starting the app at login; nothing happens when it was off."""
    kind = _system(system)
    try:
        if kind == "windows":
            _delete_run_key()
            return
        path = autostart_file(system=system)
        assert path is not None
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"Could not turn off start at login ({exc.strerror or exc}); "
                             "remove the entry by hand or try again.") from None


def _icon() -> str:
    """The shipped SVG's path when it is a real file (it is, in every install but a zip), else a theme name."""
    try:
        from hybridcoder.resource_files import resource_path

        path = resource_path("icons/hybridcoder.svg")
    except Exception:  # an incomplete install still gets an entry, with the theme's icon
        return "hybridcoder"
    return str(path) if path.is_file() else "hybridcoder"


# --- the Windows registry (only imported there) -------------------------------------------------

def _read_run_key() -> str | None:
    if sys.platform != "win32":
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _ = winreg.QueryValueEx(key, APP_NAME)
    except OSError:
        return None
    return str(value)


def _write_run_key(value: str) -> None:
    if sys.platform != "win32":
        raise OSError("the Windows registry exists only on Windows")
    import winreg

    with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        winreg.SetValueEx(key, APP_NAME, 0, winreg.REG_SZ, value)


def _delete_run_key() -> None:
    if sys.platform != "win32":
        return
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.DeleteValue(key, APP_NAME)
    except FileNotFoundError:
        return
