"""Start at login: the entry each OS reads, written under a temporary HOME / XDG_CONFIG_HOME."""

from __future__ import annotations

import plistlib
import shlex
import sys
from pathlib import Path

import pytest

from hybridcoder import autostart


def parse_desktop(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if "=" in line]
    return dict(line.split("=", 1) for line in lines)


def test_linux_entry_honours_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert not autostart.is_enabled(system="linux")
    path = autostart.enable(system="linux")
    assert path == tmp_path / "xdg" / "autostart" / "hybridcoder.desktop"
    assert autostart.is_enabled(system="linux")
    entry = parse_desktop(path.read_text())
    assert entry["Type"] == "Application" and entry["Name"] == "Hybrid Coder"
    assert shlex.split(entry["Exec"]) == autostart.launch_command()
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    autostart.disable(system="linux")
    assert not path.exists() and not autostart.is_enabled(system="linux")
    autostart.disable(system="linux")  # off twice is fine


def test_linux_entry_defaults_to_dot_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    path = autostart.enable(system="linux")
    assert path == Path.home() / ".config" / "autostart" / "hybridcoder.desktop"
    assert str(path).startswith(str(Path.home()))  # the test HOME, never the real one


def test_a_desktop_that_hid_the_entry_counts_as_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = autostart.enable(system="linux")
    assert path is not None
    path.write_text(path.read_text().replace("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false"))
    assert not autostart.is_enabled(system="linux")


def test_exec_line_quotes_paths_with_spaces_and_specials() -> None:
    command = ["/home/ann/My Apps/venv/bin/hybridcoder", "50%", 'say "hi"']
    exec_line = parse_desktop(autostart.desktop_entry(command))["Exec"]
    # The file escapes backslashes once more (a "string" value); undo that, then split as a shell would.
    assert exec_line.startswith('"/home/ann/My Apps/venv/bin/hybridcoder" 50%%')
    assert shlex.split(exec_line.replace("\\\\", "\\").replace("%%", "%")) == command


def test_macos_launch_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    path = autostart.enable(system="darwin")
    assert path == Path.home() / "Library" / "LaunchAgents" / "dev.hybridcoder.app.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent["Label"] == "dev.hybridcoder.app" and agent["RunAtLoad"] is True
    assert agent["ProgramArguments"] == autostart.launch_command()
    assert autostart.is_enabled(system="darwin")
    autostart.disable(system="darwin")
    assert not autostart.is_enabled(system="darwin")


def test_windows_run_key_value_is_one_quoted_command_line() -> None:
    value = autostart.run_key_value([r"C:\Program Files\Hybrid Coder\HybridCoder.exe"])
    assert value == r'"C:\Program Files\Hybrid Coder\HybridCoder.exe"'
    value = autostart.run_key_value([r"C:\Users\ann\venv\Scripts\pythonw.exe", "-m", "hybridcoder"])
    assert value == r"C:\Users\ann\venv\Scripts\pythonw.exe -m hybridcoder"
    assert autostart.autostart_file(system="win32") is None


def test_launch_command_for_a_venv_install() -> None:
    command = autostart.launch_command()
    script = Path(sys.executable).parent / "hybridcoder"
    if script.exists():
        assert command == [str(script)]
    else:
        assert command == [sys.executable, "-m", "hybridcoder"]
    windows = autostart.launch_command(system="win32")
    assert windows[1:] == ["-m", "hybridcoder"]


def test_launch_command_for_the_frozen_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "HybridCoder" / "HybridCoder"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    assert autostart.launch_command() == [str(bundle)]
    assert autostart.launch_command(system="win32") == [str(bundle)]


def test_an_unwritable_folder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    with pytest.raises(autostart.AutostartError, match="Could not turn on start at login"):
        autostart.enable(system="linux")
