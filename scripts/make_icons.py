"""Render the app icon for every OS from the one SVG: PNGs (Linux, tray), .ico (Windows), .icns (macOS).

    python scripts/make_icons.py [OUT_DIR]      # default build/icons

Qt's SVG renderer draws each size from the vector (sharp at 16 px and at 1024 px); Pillow packs the
PNGs into .ico and .icns. Generated files are build outputs, never committed: the SVG is the source.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "hybridcoder.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int, path: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    if not image.save(str(path)):
        raise SystemExit(f"could not write {path}")


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    for size in PNG_SIZES:
        render(renderer, size, out / f"hybridcoder-{size}.png")
    biggest = Image.open(out / "hybridcoder-1024.png").convert("RGBA")
    biggest.save(out / "hybridcoder.ico", sizes=[(s, s) for s in ICO_SIZES])
    biggest.save(out / "hybridcoder.icns")
    (out / "hybridcoder.png").write_bytes((out / "hybridcoder-256.png").read_bytes())
    print(f"icons written to {out}: {len(PNG_SIZES)} PNGs, hybridcoder.ico, hybridcoder.icns")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
