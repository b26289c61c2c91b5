"""`hybridcoder gui --screenshot DIR` renders every screen offscreen to real PNG files, without
touching the user's own ledger, settings or keyring."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from hybridcoder.cli import main
from hybridcoder.paths import app_paths

README = Path(__file__).resolve().parents[2] / "README.md"
SCREENS = ("dashboard", "dashboard-empty", "dashboard-dark", "settings", "tray-menu", "error", "compare")


@pytest.fixture(autouse=True)
def _jobs_finish_before_teardown() -> Iterator[None]:
    yield
    QThreadPool.globalInstance().waitForDone(20000)


def test_gui_screenshot_writes_a_png_per_screen(qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                memory_keyring: keyring.backend.KeyringBackend) -> None:
    out = tmp_path / "shots"
    assert main(["gui", "--screenshot", str(out)]) == 0
    printed = capsys.readouterr()
    pngs = sorted(out.glob("*.png"))
    names = {p.stem for p in pngs}
    assert set(SCREENS) <= names, printed.err
    wizard = [p for p in pngs if p.stem.startswith("wizard-")]
    assert len(wizard) >= 5, printed.err  # every wizard page (welcome, hardware, Ollama, models, cloud, ...)
    for png in pngs:
        image = QImage(str(png))
        assert not image.isNull() and image.width() >= 200 and image.height() >= 150, png.name
        assert len({image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)}) > 3
        assert str(png) in printed.out
    assert f"{len(pngs)} screenshots in {out}" in printed.out
    # The README shows pictures of screens that exist, under the names the command gives them.
    shown = set(re.findall(r"docs/screenshots/([\w.-]+)\.png", README.read_text(encoding="utf-8")))
    assert shown and shown <= names, shown - names
    assert all((README.parent / "docs" / "screenshots" / f"{stem}.png").is_file() for stem in shown)
    # The pictures came from a throwaway home and keyring: the user's own are untouched.
    assert not app_paths().ledger_file.exists()
    assert not app_paths().settings_file.exists()
    assert keyring.get_keyring() is memory_keyring and memory_keyring.store == {}  # type: ignore[attr-defined]
