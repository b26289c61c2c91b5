"""Every OS's icon is rendered from the one SVG: PNG sizes, a multi-size .ico and an .icns."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("PIL", reason="Pillow (the build extra) packs .ico/.icns")


def test_icons_for_every_os_come_from_the_svg(tmp_path: Path, qapp: object) -> None:
    from PIL import Image

    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    assert make_icons.main(["make_icons", str(tmp_path)]) == 0

    for size in make_icons.PNG_SIZES:
        with Image.open(tmp_path / f"hybridcoder-{size}.png") as png:
            assert png.size == (size, size)
            alpha = png.convert("RGBA").getchannel("A")
            assert alpha.getextrema()[1] == 255  # something is drawn, not a blank square
    with Image.open(tmp_path / "hybridcoder.ico") as ico:
        assert set(ico.info["sizes"]) == {(s, s) for s in make_icons.ICO_SIZES}
    with Image.open(tmp_path / "hybridcoder.icns") as icns:
        assert icns.size == (1024, 1024)
