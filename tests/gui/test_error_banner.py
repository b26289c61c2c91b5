"""The app's error banner: one sentence, Retry, details; the ⚠ sits centred on the sentence's first line.

Real Qt widgets offscreen; positions are read from the laid-out widgets, the way the eye sees them.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from hybridcoder.gui.error_banner import ErrorBanner

SHORT = "Port 11480 is in use by another program; pick another port in Settings, then press Retry."
LONG = ("Ollama is not answering at http://127.0.0.1:11434, so requests go to the cloud for now; start Ollama "
        "(or check the address in Settings), then press Retry.")


def ink_rows(banner: ErrorBanner, widget: QWidget) -> list[int]:
    """The banner's pixel rows (top to bottom) where ``widget`` draws dark ink, from a real rendering."""
    image = banner.grab().toImage()
    origin = widget.mapTo(banner, QPoint(0, 0))
    left, top = origin.x(), origin.y()
    rows = []
    for y in range(top, top + widget.height()):
        if any(QColor(image.pixel(x, y)).lightness() < 200 for x in range(left, left + widget.width())):
            rows.append(y)
    return rows


def first_band(rows: list[int]) -> tuple[int, int]:
    """The first run of consecutive rows: the first line of text (or the icon)."""
    end = rows[0]
    while end + 1 in rows:
        end += 1
    return rows[0], end


def middle(band: tuple[int, int]) -> float:
    return (band[0] + band[1]) / 2


def centre(banner: ErrorBanner, widget: QWidget) -> float:
    return widget.mapTo(banner, QPoint(0, 0)).y() + widget.height() / 2


@pytest.mark.parametrize("text", [SHORT, LONG])
@pytest.mark.parametrize("height", [0, 140])  # its own height, and stretched taller by a layout
@pytest.mark.parametrize("width", [420, 600, 900])
def test_the_icon_is_centred_on_the_first_line_level_with_the_buttons(
        qtbot: QtBot, text: str, height: int, width: int) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    retried: list[bool] = []
    banner.show_error(text, details="Port 11480: address already in use", retry=lambda: retried.append(True))
    banner.show()
    banner.resize(width, max(height, banner.sizeHint().height()))
    qtbot.waitUntil(lambda: banner.message.height() > 0)
    qtbot.wait(10)
    icon, line = first_band(ink_rows(banner, banner.icon)), first_band(ink_rows(banner, banner.message))
    assert abs(middle(icon) - middle(line)) <= 2, (icon, line)
    assert abs(centre(banner, banner.retry_button) - middle(line)) <= 3, line
    assert banner.text() == text and not banner.details.isVisible()
    banner.details_button.click()
    assert banner.details.isVisible()
    banner.retry_button.click()
    assert retried == [True]
    banner.clear()
    assert banner.isHidden() and banner.text() == ""


def test_an_info_line_without_buttons_keeps_the_icon_on_its_line(qtbot: QtBot) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_info("Settings saved; the proxy uses them now.")
    banner.show()
    banner.resize(420, 80)
    qtbot.wait(10)
    assert banner.icon.text() == "✔" and banner.retry_button.isHidden() and banner.details_button.isHidden()
    icon, line = first_band(ink_rows(banner, banner.icon)), first_band(ink_rows(banner, banner.message))
    assert abs(middle(icon) - middle(line)) <= 2, (icon, line)
