"""Why the desktop window cannot open on Linux, and the exact command that fixes it.

Qt's own message is often wrong ("xcb-cursor0 or libxcb-cursor0 is needed" while that library is
installed and two others are missing). So this module asks the dynamic loader the way Qt would: it
runs ``ldd`` on PySide6's xcb platform plugin (``libqxcb.so``) and on ``libQt6XcbQpa``, collects the
"not found" lines, and maps those libraries to Debian and Fedora package names. It never names a
library the loader found, and it never suggests a virtual display when ``DISPLAY`` is already set.

Qt-free on purpose (it runs when Qt cannot); never changes the system.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

__all__ = [
    "PACKAGES",
    "cli_command",
    "display_advice",
    "install_lines",
    "missing_display_libraries",
    "parse_ldd",
    "xcb_plugin_files",
]

#: soname -> (Debian/Ubuntu package, Fedora/RHEL package): every library the xcb plugin links.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libpng16.so.16": ("libpng16-16", "libpng"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
    "libbsd.so.0": ("libbsd0", "libbsd"),
    "libexpat.so.1": ("libexpat1", "expat"),
    "libbrotlidec.so.1": ("libbrotli1", "brotli"),
    "libpcre2-8.so.0": ("libpcre2-8-0", "pcre2"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


def parse_ldd(output: str) -> list[str]:
    """The libraries ``ldd`` reports as "not found", in order, each once."""
    seen: list[str] = []
    for line in output.splitlines():
        match = _NOT_FOUND.match(line)
        if match and match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def _pyside_dirs() -> list[Path]:
    dirs: list[Path] = []
    spec = importlib.util.find_spec("PySide6")  # finds the package without loading Qt
    if spec is not None and spec.submodule_search_locations:
        dirs += [Path(p) for p in spec.submodule_search_locations]
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        dirs.append(Path(frozen_root) / "PySide6")
    return list(dict.fromkeys(dirs))


def xcb_plugin_files() -> tuple[list[Path], list[Path]]:
    """(files to check, folders with Qt's own libraries): the xcb plugin and libQt6XcbQpa."""
    files: list[Path] = []
    lib_dirs: list[Path] = []
    for root in _pyside_dirs():
        for lib_dir in (root / "Qt" / "lib", root.parent):  # wheel layout; frozen bundle keeps libs at the top
            if (lib_dir / "libQt6XcbQpa.so.6").is_file():
                lib_dirs.append(lib_dir)
                files.append(lib_dir / "libQt6XcbQpa.so.6")
        plugin = root / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            files.insert(0, plugin)
    return list(dict.fromkeys(files)), list(dict.fromkeys(lib_dirs))


Runner = Callable[[list[str], Mapping[str, str]], str]


def _run_ldd(args: list[str], env: Mapping[str, str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=20, env=dict(env), check=False)
    return done.stdout


def missing_display_libraries(run: Runner = _run_ldd) -> list[str] | None:
    """System libraries the xcb plugin needs that the loader cannot find; None when it cannot tell."""
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return None
    files, lib_dirs = xcb_plugin_files()
    if not files:
        return None
    env = dict(os.environ)
    # Qt's own libraries are found through the plugin's RUNPATH (wheel) or the bundle's folder (frozen).
    env["LD_LIBRARY_PATH"] = os.pathsep.join([*map(str, lib_dirs), env.get("LD_LIBRARY_PATH", "")]).strip(os.pathsep)
    missing: list[str] = []
    for path in files:
        try:
            output = run(["ldd", str(path)], env)
        except (OSError, subprocess.SubprocessError):
            return None
        missing += [name for name in parse_ldd(output) if name not in missing]
    bundled = {p.name for d in lib_dirs for p in d.glob("lib*.so*")}
    return [name for name in missing if name not in bundled]


def _distro() -> set[str]:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return set()
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip('"').split())
    return ids


def install_lines(missing: Iterable[str], distro: set[str] | None = None, *, root: bool | None = None) -> list[str]:
    """The package-manager lines that install exactly the ``missing`` libraries."""
    names = list(missing)
    distro = _distro() if distro is None else distro
    root = (os.geteuid() == 0) if root is None and hasattr(os, "geteuid") else bool(root)
    sudo = "" if root else "sudo "
    debian = list(dict.fromkeys(PACKAGES[n][0] for n in names if n in PACKAGES))
    fedora = list(dict.fromkeys(PACKAGES[n][1] for n in names if n in PACKAGES))
    unknown = [n for n in names if n not in PACKAGES]
    lines: list[str] = []
    wants_debian = not distro or bool(distro & {"debian", "ubuntu"})
    wants_fedora = not distro or bool(distro & {"fedora", "rhel", "centos"})
    if not (wants_debian or wants_fedora):
        wants_debian = wants_fedora = True
    if debian and wants_debian:
        lines.append(f"{sudo}apt-get install {' '.join(debian)}")
    if fedora and wants_fedora:
        lines.append(f"{sudo}dnf install {' '.join(fedora)}")
    for name in unknown:
        lines.append(f"install the package that provides {name} (Debian: apt-file search {name})")
    return lines


def cli_command() -> str:
    """How the person who started us runs the command line, as they can type it here."""
    launcher = os.environ.get("HYBRIDCODER_LAUNCHER")  # set by ./scripts/run
    if launcher:
        return launcher
    if getattr(sys, "frozen", False):
        return shlex.quote(sys.executable)
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name in ("hybridcoder", "hybridcoder.exe"):
        on_path = shutil.which("hybridcoder")
        if on_path and Path(on_path).resolve() == argv0.resolve():
            return "hybridcoder"
        return shlex.quote(str(argv0.resolve()))
    return f"{shlex.quote(sys.executable)} -m hybridcoder"


def display_advice(problem: str, run: Runner = _run_ldd) -> str:
    """What to tell a person whose window could not open: the fix first, Qt's words only if no better."""
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    missing = missing_display_libraries(run)
    if missing:
        lines = install_lines(missing)
        return (f"The desktop window cannot open: the system libraries {', '.join(missing)} are missing. "
                "Install them with:\n  " + "\n  ".join(lines))
    if display:
        return (f"The desktop window cannot open on the display {display} ({problem}); check that the display "
                "server is running and lets this user connect.")
    return (f"The desktop window cannot open ({problem}): no display is set; start the app from a desktop "
            "session, or run it under a virtual display (xvfb-run).")
