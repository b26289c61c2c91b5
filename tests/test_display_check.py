"""Which system libraries keep Qt's xcb plugin from loading, and the exact line that installs them."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from hybridcoder import display_check
from hybridcoder.cli._launch import headless_commands
from hybridcoder.display_check import (
    cli_command,
    display_advice,
    install_lines,
    missing_display_libraries,
    parse_ldd,
    xcb_plugin_files,
)

# Shaped like `ldd libqxcb.so` on a stock Debian X server (the report in issue 10).
FAKE_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd4d1f5000)
\tlibQt6XcbQpa.so.6 => /opt/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f1c8a400000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f1c8a3f0000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c8a000000)
"""


def fake_runner(output: str):  # type: ignore[no-untyped-def]
    calls: list[list[str]] = []

    def run(args: list[str], env: Mapping[str, str]) -> str:
        calls.append(args)
        return output

    run.calls = calls  # type: ignore[attr-defined]
    return run


def test_parse_names_only_the_libraries_not_found() -> None:
    assert parse_ldd(FAKE_LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert parse_ldd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n") == []


def test_install_lines_name_exactly_the_missing_packages() -> None:
    missing = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert install_lines(missing, {"debian"}, root=False) == ["sudo apt-get install libxcb-icccm4 libxcb-keysyms1"]
    assert install_lines(missing, {"fedora"}, root=True) == ["dnf install xcb-util-wm xcb-util-keysyms"]
    both = install_lines(missing, set(), root=True)
    assert both == ["apt-get install libxcb-icccm4 libxcb-keysyms1", "dnf install xcb-util-wm xcb-util-keysyms"]
    # xcb-cursor is present in the fake output, so it is never named (Qt's own message names it).
    assert "cursor" not in " ".join(both)
    assert install_lines(["libweird.so.9"], {"debian"}, root=True) == [
        "install the package that provides libweird.so.9 (Debian: apt-file search libweird.so.9)"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")
def test_advice_with_missing_libraries_gives_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(display_check, "_distro", lambda: {"debian"})
    advice = display_advice("xcb-cursor0 or libxcb-cursor0 is needed", run=fake_runner(FAKE_LDD))
    assert "libxcb-icccm4 libxcb-keysyms1" in advice
    assert "apt-get install" in advice
    assert "virtual display" not in advice and "xcb-cursor0" not in advice


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")
def test_nothing_missing_and_a_display_set_never_suggests_a_virtual_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":99")
    advice = display_advice("could not connect to display :99", run=fake_runner("\tlibc.so.6 => /x (0x1)\n"))
    assert "virtual display" not in advice and "install" not in advice
    assert ":99" in advice


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd and the xcb plugin are Linux-only")
def test_the_real_ldd_names_only_libraries_that_are_really_missing() -> None:
    files, lib_dirs = xcb_plugin_files()
    assert files and files[0].name == "libqxcb.so" and lib_dirs
    missing = missing_display_libraries()
    assert missing is not None
    for name in missing:  # each one the loader reports missing really cannot be loaded
        with pytest.raises(OSError):
            ctypes.CDLL(name)
    # ...and the plugin's other system libraries are present, so never named.
    assert not any(name.startswith("libQt6") for name in missing)


def test_the_hint_spells_commands_the_way_they_were_started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYBRIDCODER_LAUNCHER", "./scripts/run")
    assert cli_command() == "./scripts/run"
    assert "  ./scripts/run doctor" in headless_commands()
    monkeypatch.delenv("HYBRIDCODER_LAUNCHER")
    exe = tmp_path / "venv" / "bin" / "hybridcoder"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(exe)])
    monkeypatch.setenv("PATH", "/usr/bin")  # not on PATH: the absolute path is printed
    assert cli_command() == str(exe.resolve())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin exists on Linux only")
def test_the_app_names_exactly_the_missing_packages_on_this_machine(tmp_path: Path) -> None:
    """End to end, as `./scripts/run` on an X display: the real Qt probe, the real ldd, the printed line."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":59998", HYBRIDCODER_LAUNCHER="./scripts/run", HYBRIDCODER_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "hybridcoder"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert "./scripts/run doctor" in done.stdout
    assert "virtual display" not in done.stderr  # DISPLAY is set
    missing = missing_display_libraries()
    assert missing is not None
    if missing:
        expected = {display_check.PACKAGES[name][0] for name in missing if name in display_check.PACKAGES}
        line = next(ln for ln in done.stderr.splitlines() if "apt-get install" in ln)
        assert set(line.split("apt-get install ", 1)[1].split()) == expected
    else:  # every library is there: Qt fails only because no X server answers at :59998
        assert "install" not in done.stderr and ":59998" in done.stderr
