"""The core never reaches up into the GUI or Qt: imports flow one way (gui → core).

A reading of every module's import statements, so a stray ``import PySide6`` in the
proxy (which runs headless as ``hybridcoder serve``) fails here, not on a server.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "app" / "hybridcoder"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "hybridcoder.gui")
#: The command line is the top layer: it may start the GUI (lazily, inside the function that needs it).
TOP_LAYER_GUI_IMPORTS = {("_launch.py", "hybridcoder.gui.application"), ("_self_test.py", "hybridcoder.gui.self_check"),
                         ("gui.py", "hybridcoder.gui.screenshots")}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_core_modules_never_import_qt_or_the_gui() -> None:
    core = [p for p in PACKAGE.rglob("*.py") if "gui" not in p.relative_to(PACKAGE).parts]
    assert len(core) > 50  # the walk really found the package
    offenders = {
        str(path.relative_to(PACKAGE)): name
        for path in core
        for name in _imports(path)
        if name.startswith(FORBIDDEN) and (path.name, name) not in TOP_LAYER_GUI_IMPORTS
    }
    assert offenders == {}


def test_gui_is_the_only_place_that_imports_qt() -> None:
    gui = list((PACKAGE / "gui").rglob("*.py"))
    assert any(name.startswith("PySide6") for path in gui for name in _imports(path))
