"""The app's icons, all drawn from one SVG (resources/icons/hybridcoder.svg).

The tray shows the proxy's state with a small badge in the corner of the app mark:
green = ready, amber = degraded (Ollama down, cloud fallback working), grey = paused
(the mark is also faded), red = error. Every size is rendered from the vector file, so
the icons stay sharp on high-DPI screens. Needs a QGuiApplication; never touches a window.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtSvg import QSvgRenderer

from hybridcoder.paths import resources_dir

STATES = ("ready", "degraded", "paused", "error")
#: Badge colours; chosen to read on light and dark panels alike.
BADGE_COLOURS = {"ready": "#22a55a", "degraded": "#f0a020", "paused": "#8a8f98", "error": "#e0393e"}
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
SVG_NAME = "icons/hybridcoder.svg"


def svg_path() -> str:
    """Where the app mark is; through the shipped-resources package, else the source tree."""
    try:
        from hybridcoder.resource_files import resource_path

        return str(resource_path(SVG_NAME))
    except Exception:  # an older install layout: fall back to the folder next to the package
        return str(resources_dir() / SVG_NAME)


@cache
def _renderer() -> QSvgRenderer:
    return QSvgRenderer(svg_path())


def render_mark(size: int, state: str | None = None) -> QPixmap:
    """The app mark at ``size`` pixels, with the state's badge when ``state`` is given."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if state == "paused":
        painter.setOpacity(0.45)
    renderer = _renderer()
    if renderer.isValid():
        renderer.render(painter, QRectF(0, 0, size, size))
    else:  # a broken install without resources still gets a recognisable tile
        painter.setBrush(QColor("#2f6fed"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.2, size * 0.2)
    painter.setOpacity(1.0)
    if state in BADGE_COLOURS:
        diameter = max(6.0, size * 0.42)
        rect = QRectF(size - diameter, size - diameter, diameter, diameter)
        ring = max(1.0, size / 24)
        painter.setPen(QPen(QColor("#ffffff"), ring))
        painter.setBrush(QColor(BADGE_COLOURS[state]))
        painter.drawEllipse(rect.adjusted(ring / 2, ring / 2, -ring / 2, -ring / 2))
    painter.end()
    return pixmap


@cache
def app_icon() -> QIcon:
    """The plain app mark (window icon, dialogs)."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(render_mark(size))
    return icon


@cache
def state_icon(state: str) -> QIcon:
    """The tray icon for one of :data:`STATES`; an unknown state shows as an error."""
    if state not in BADGE_COLOURS:
        state = "error"
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(render_mark(size, state))
    return icon
