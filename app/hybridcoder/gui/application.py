"""Start the desktop app: logging, QApplication, the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from hybridcoder import __version__
from hybridcoder.log import setup_logging


def run_gui() -> int:
    setup_logging()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Hybrid Coder")
    app.setApplicationVersion(__version__)
    from hybridcoder.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    code = app.exec()
    window.shutdown()
    QThreadPool.globalInstance().waitForDone(5000)
    return int(code)
