"""Entry point of the frozen app (PyInstaller runs this file; everything else is the package).

Two jobs only the frozen app has: ``--qt-display-probe`` (the display check in cli/_launch.py runs
``sys.executable -c ...`` in a source install, which a frozen executable cannot do), and the
first-window timer used by scripts/build (``HYBRIDCODER_REPORT_FIRST_WINDOW=1``).
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _main() -> int:
    multiprocessing.freeze_support()
    if sys.argv[1:] == ["--qt-display-probe"]:
        from PySide6.QtGui import QGuiApplication

        QGuiApplication(sys.argv[:1])
        return 0
    if os.environ.get("HYBRIDCODER_REPORT_FIRST_WINDOW") == "1":
        from hybridcoder.gui.self_check import report_first_window

        report_first_window()
    from hybridcoder.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(_main())
