"""The main window: its two pages, keyboard reach, nothing clipped at the minimum size, errors that clear."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from hybridcoder.app_service import ProxyService
from hybridcoder.gui.main_window import MINIMUM_SIZE, MainWindow
from hybridcoder.gui.proxy_status import StatusSnapshot
from hybridcoder.settings import Settings


def window(qtbot: QtBot) -> MainWindow:
    win = MainWindow(ProxyService(Settings.load()))
    qtbot.addWidget(win)
    return win


def test_pages_and_switching(qtbot: QtBot) -> None:
    win = window(qtbot)
    win.show()
    assert win.current_page == "dashboard"
    assert type(win.dashboard).__name__ in ("DashboardView", "QLabel")
    win.show_page("settings")
    assert win.current_page == "settings" and win.stack.currentWidget() is win.settings_page
    win.nav.setFocus()
    qtbot.keyClick(win.nav, Qt.Key.Key_Up)  # the page list is reachable with the keyboard
    assert win.current_page == "dashboard"


def test_closing_only_hides(qtbot: QtBot) -> None:
    win = window(qtbot)
    win.show()
    win.close()
    assert win.isHidden()
    win.show_page("dashboard")
    assert win.isVisible()


def test_nothing_is_clipped_at_the_minimum_size(qtbot: QtBot) -> None:
    win = window(qtbot)
    win.resize(MINIMUM_SIZE)
    win.show_page("settings")
    qtbot.waitExposed(win)
    scroll = win.settings_page.findChild(QScrollArea)
    assert scroll is not None and scroll.widget() is not None
    body = scroll.widget()
    # The page scrolls vertically; it never needs to scroll sideways, and every field is wide enough to use.
    assert body.minimumSizeHint().width() <= scroll.viewport().width()
    for field in body.findChildren(QWidget):
        if isinstance(field, QLineEdit | QComboBox | QAbstractButton) and field.isVisibleTo(body):
            assert field.width() >= min(field.minimumSizeHint().width(), 40), field.objectName() or field


def test_a_problem_shows_with_retry_and_leaves_when_it_is_gone(qtbot: QtBot) -> None:
    win = window(qtbot)
    win.show()
    retries: list[bool] = []
    win.retry_requested.connect(lambda: retries.append(True))
    win.update_status(StatusSnapshot(False, "error", "Port 11480 on 127.0.0.1 is already in use; stop the other "
                                                    "program or pick another port."))
    assert win.banner.text().startswith("Port 11480")
    assert not win.banner.retry_button.isHidden()
    win.banner.retry_button.click()
    assert retries == [True]
    win.update_status(StatusSnapshot(False, "paused", "Setup is not finished; open Hybrid Coder to finish it."))
    assert win.banner.text() == ""
    assert win.state_label.text() == "Proxy not running"
