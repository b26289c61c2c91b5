"""``hybridcoder gui --screenshot DIR``: every screen of the app rendered offscreen to PNG files.

Renders the wizard's pages (``gui.wizard.wizard_pages_for_screenshots``), the main window on the
dashboard (with a realistic sample ledger) and on settings, the dashboard with no requests yet,
the tray menu and an error state. Everything happens in a temporary ``HYBRIDCODER_HOME`` that is
removed afterwards: the user's real settings, ledger and keys are never read or written, and no
proxy is started.

A screen whose module is missing or fails to build is reported as skipped (with the reason); the
others are still rendered, so the command works at every stage of the app's development.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
from keyring.backend import KeyringBackend
from PySide6.QtCore import QPoint, QSize, QThreadPool
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from hybridcoder.paths import HOME_ENV, app_paths

__all__ = ["SCREEN_SIZE", "Shot", "render_screenshots", "save_screenshots"]

log = logging.getLogger(__name__)

#: The window size the README pictures are taken at.
SCREEN_SIZE = QSize(1180, 800)
WIZARD_SIZE = QSize(820, 600)


@dataclass(frozen=True)
class Shot:
    """One screen: the PNG written, or why it was skipped."""

    name: str
    path: Path | None
    note: str = ""


class _PictureKeyring(KeyringBackend):
    """An in-memory keyring for the pictures: the user's real keyring is never asked or changed.

    It is named like the common Linux backend so the settings page reads as it would for a user.
    """

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


_PictureKeyring.__module__ = "keyring.backends.SecretService"
_PictureKeyring.__name__ = _PictureKeyring.__qualname__ = "Keyring"

#: Environment variables that would leak the user's own keys or servers into the pictures.
_HIDDEN_ENV = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OLLAMA_API_KEY", "HYBRIDCODER_TOKEN", "OLLAMA_HOST",
               "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL")


@contextmanager
def temporary_home() -> Iterator[Path]:
    """A throwaway HYBRIDCODER_HOME and keyring for the duration (everything comes back afterwards)."""
    saved = {name: os.environ.get(name) for name in (HOME_ENV, *_HIDDEN_ENV)}
    previous_keyring = keyring.get_keyring()
    with tempfile.TemporaryDirectory(prefix="hybridcoder-screens-") as home:
        for name in _HIDDEN_ENV:
            os.environ.pop(name, None)
        os.environ[HOME_ENV] = home
        keyring.set_keyring(_PictureKeyring())
        try:
            yield Path(home)
        finally:
            QThreadPool.globalInstance().waitForDone(10000)
            keyring.set_keyring(previous_keyring)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def settle(until: Callable[[], bool] | None = None, timeout: float = 15.0) -> bool:
    """Run the event loop until ``until()`` is true (or briefly, without one); False on timeout."""
    app = QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout
    while True:
        app.processEvents()
        done = until() if until is not None else True
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    for _ in range(5):  # layouts and repaints queued by the last results
        app.processEvents()
        time.sleep(0.01)
    return done


def grab(widget: QWidget, path: Path, size: QSize | None = None) -> Path:
    if size is not None:
        widget.resize(size)
    widget.show()
    settle()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def save_screenshots(out_dir: Path) -> list[Shot]:
    """What ``hybridcoder gui --screenshot`` runs: an offscreen QApplication unless one exists, then every screen."""
    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the same pictures with or without a display
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Hybrid Coder")
    return render_screenshots(out_dir)


def render_screenshots(out_dir: Path) -> list[Shot]:
    """Render every screen into ``out_dir``; needs a QApplication (offscreen is fine)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []
    with temporary_home():
        from hybridcoder.ledger.sample import build_sample_ledger

        app_paths().ensure()
        build_sample_ledger(app_paths().ledger_file)
        _sample_keys()
        for name, render in (("wizard", _wizard), ("dashboard", _dashboard), ("dashboard-empty", _empty_dashboard),
                             ("settings", _settings), ("tray-menu", _tray_menu), ("error", _error),
                             ("compare", _compare), ("dashboard-dark", _dark_dashboard)):
            try:
                shots.extend(render(out))
            except ImportError as exc:
                shots.append(Shot(name, None, f"not available in this build ({exc})"))
            except Exception as exc:  # one broken screen must not stop the others
                log.exception("screenshot %s failed", name)
                shots.append(Shot(name, None, f"failed ({type(exc).__name__}: {exc})"))
        QThreadPool.globalInstance().waitForDone(10000)
        settle()
    return shots


# -- the screens ----------------------------------------------------------------------------------
def _sample_keys() -> None:
    """A made-up Anthropic key and access token in the pictures' keyring (shown masked)."""
    from hybridcoder.keys import KeyStore

    store = KeyStore()
    store.set("anthropic", "sk-ant-api03-screenshot-sample-key-not-real-0000000000000000000000XmpL")
    store.proxy_token(create=True)


def _ready(window: Any) -> None:
    """The status line as it reads with the proxy up (no proxy runs while the pictures are taken)."""
    try:
        from hybridcoder.analytics import compute_figures
        from hybridcoder.gui.proxy_status import StatusSnapshot
        from hybridcoder.settings import Settings
    except ImportError:
        return
    figures = compute_figures(app_paths().ledger_file, Settings.load(), "today")
    snapshot = StatusSnapshot(running=True, health="ready", health_reason="", status=_status(),
                              requests_today=figures.requests, local_share=figures.route("local").request_share,
                              saved_usd=figures.savings.list_price_usd, spend_usd=figures.spend.usd)
    updater = getattr(window, "update_status", None)
    if updater is not None:
        updater(snapshot)


def _status() -> Any:
    from hybridcoder.proxy.control import ControlStatus
    from hybridcoder.settings import Settings

    settings = Settings.load()
    port = settings.proxy.port
    return ControlStatus(running=True, paused=False, mode=settings.routing.mode, next_to_cloud=False,
                         chat_model=settings.models.chat or None,
                         autocomplete_model=settings.models.autocomplete or None,
                         threshold=settings.routing.threshold, daily_budget_usd=settings.budget.daily_usd,
                         monthly_budget_usd=settings.budget.monthly_usd, cloud_available=True, local_state="up",
                         cloud_state="up", health="ready", health_reason="", url=f"http://127.0.0.1:{port}",
                         port=port)


def _service() -> Any:
    """The app's proxy service, not started (the screens only read its settings and state)."""
    from hybridcoder.app_service import ProxyService

    return ProxyService()


def _main_window() -> Any:
    from hybridcoder.gui.main_window import MainWindow

    window = MainWindow(_service())
    return window


def _wait_for_dashboard(widget: Any) -> None:
    settle(lambda: getattr(widget, "figures", None) is not None)


def _dashboard(out: Path) -> list[Shot]:
    try:
        window = _main_window()
    except ImportError:
        window = None
    if window is None:
        from hybridcoder.gui.dashboard import DashboardView

        view = DashboardView(app_paths().ledger_file)
        view.resize(SCREEN_SIZE)
        view.show()
        _wait_for_dashboard(view)
        shot = Shot("dashboard", grab(view, out / "dashboard.png"), "the dashboard alone (no main window yet)")
        view.close()
        view.deleteLater()
        return [shot]
    window.resize(SCREEN_SIZE)
    window.show_page("dashboard")
    window.show()
    _ready(window)
    _wait_for_dashboard(window.dashboard)
    shot = Shot("dashboard", grab(window, out / "dashboard.png"))
    _close(window)
    return [shot]


def _dark_palette() -> QPalette:
    """A dark palette like a desktop in dark mode gives the app (the app itself follows the system's)."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in ((roles.Window, "#2b2d30"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f2023"),
                        (roles.AlternateBase, "#27292c"), (roles.Text, "#e6e6e6"), (roles.Button, "#3a3c40"),
                        (roles.ButtonText, "#e6e6e6"), (roles.Highlight, "#3b6fd4"), (roles.HighlightedText, "#ffffff"),
                        (roles.ToolTipBase, "#3a3c40"), (roles.ToolTipText, "#e6e6e6"), (roles.PlaceholderText, "#9a9a9a"),
                        (roles.Mid, "#4a4c50"), (roles.Dark, "#1a1b1d"), (roles.Light, "#45474b"), (roles.Midlight, "#3f4145")):
        palette.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def _dark_dashboard(out: Path) -> list[Shot]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    previous = app.palette()
    app.setPalette(_dark_palette())
    try:
        window = _main_window()
        window.resize(SCREEN_SIZE)
        window.show_page("dashboard")
        window.show()
        _ready(window)
        _wait_for_dashboard(window.dashboard)
        shot = Shot("dashboard-dark", grab(window, out / "dashboard-dark.png"))
        _close(window)
    finally:
        app.setPalette(previous)
    return [shot]


def _empty_dashboard(out: Path) -> list[Shot]:
    from hybridcoder.gui.dashboard import DashboardView

    view = DashboardView(app_paths().data_dir / "no-requests-yet.sqlite3")
    view.resize(QSize(980, 700))
    view.show()
    _wait_for_dashboard(view)
    shot = Shot("dashboard-empty", grab(view, out / "dashboard-empty.png"))
    view.close()
    view.deleteLater()
    return [shot]


def _settings(out: Path) -> list[Shot]:
    window = _main_window()
    window.resize(SCREEN_SIZE)
    window.show_page("settings")
    window.show()
    _ready(window)
    settle(timeout=2.0)
    shot = Shot("settings", grab(window, out / "settings.png"))
    _close(window)
    return [shot]


def _error(out: Path) -> list[Shot]:
    window = _main_window()
    window.resize(SCREEN_SIZE)
    window.show_page("dashboard")
    window.show()
    _wait_for_dashboard(window.dashboard)
    port = 11435
    with_settings = getattr(getattr(window, "keeper", None), "settings", None)
    if with_settings is not None:
        port = with_settings.proxy.port
    window.banner.show_error(
        f"Port {port} on 127.0.0.1 is already in use; stop the other program or pick another port in Settings.",
        details=f"Another program is listening on 127.0.0.1:{port}, so the proxy could not start.",
        retry=lambda: None)
    settle(timeout=0.5)
    shot = Shot("error", grab(window, out / "error.png"))
    _close(window)
    return [shot]


def _tray_menu(out: Path) -> list[Shot]:
    from hybridcoder.analytics import compute_figures
    from hybridcoder.gui.proxy_status import StatusSnapshot
    from hybridcoder.gui.tray import TrayController
    from hybridcoder.settings import Settings

    tray = TrayController(_service())
    figures = compute_figures(app_paths().ledger_file, Settings.load(), "today")
    snapshot = StatusSnapshot(running=True, health="ready", health_reason="", status=_status(),
                              requests_today=figures.requests,
                              local_share=figures.route("local").request_share,
                              saved_usd=figures.savings.list_price_usd, spend_usd=figures.spend.usd)
    tray.update_status(snapshot)
    menu = tray.menu()
    menu.popup(QPoint(0, 0))
    settle(timeout=0.5)
    shot = Shot("tray-menu", grab(menu, out / "tray-menu.png"))
    menu.hide()
    tray.close()
    tray.deleteLater()
    return [shot]


_LOCAL_ANSWER = (
    "`parse_duration` splits the text on spaces and reads each part as a number followed by a unit:\n\n"
    "    parse_duration(\"1h 30m\")  # -> 5400\n\n"
    "Units are looked up in `UNITS`; an unknown unit raises `ValueError`.")
_CLOUD_ANSWER = (
    "`parse_duration(\"1h 30m\")` returns 5400 (seconds). Two cases the code does not handle:\n\n"
    "1. `\"1h30m\"` (no space) is read as one part and raises `ValueError`; a regular expression such as "
    "`(\\d+)([hms])` accepts both forms.\n\n"
    "2. A negative value (`\"-5m\"`) is accepted and gives -300; reject it if durations must be positive.\n\n"
    "The unit table itself is fine.")


def _compare(out: Path) -> list[Shot]:
    """"Ask the cloud instead" as it looks after the cloud answered (the answers are made up)."""
    from hybridcoder.analytics.recent import recent_rows
    from hybridcoder.gui.compare_dialog import CompareDialog
    from hybridcoder.proxy.control import CloudComparison

    local = next((row for row in recent_rows(app_paths().ledger_file) if row.route == "local" and row.kind == "chat"),
                 None)
    comparison = CloudComparison(request_id=local.request_id if local else "sample", local_answer=_LOCAL_ANSWER,
                                 cloud_answer=_CLOUD_ANSWER, cloud_model="claude-sonnet-5-5", cloud_latency_ms=4210.0)
    dialog = CompareDialog(comparison, local)
    shot = Shot("compare", grab(dialog, out / "compare.png", QSize(940, 480)))
    dialog.close()
    dialog.deleteLater()
    return [shot]


def _wizard(out: Path) -> list[Shot]:
    from hybridcoder.gui.wizard import wizard_pages_for_screenshots

    pages = wizard_pages_for_screenshots()
    items = pages.items() if isinstance(pages, dict) else pages
    shots = []
    for index, item in enumerate(items, start=1):
        name, widget = item if isinstance(item, tuple) else (item.objectName() or type(item).__name__, item)
        slug = "".join(c if c.isalnum() else "-" for c in str(name).lower()).strip("-")
        stem = slug if slug.startswith("wizard-") else f"wizard-{index:02d}-{slug}"
        shots.append(Shot(stem, grab(widget, out / f"{stem}.png", WIZARD_SIZE)))
        widget.close()
    return shots


def _close(window: Any) -> None:
    window.hide()
    QThreadPool.globalInstance().waitForDone(10000)
    settle(timeout=0.2)
    window.deleteLater()
