"""The desktop app: one object that owns the QApplication, the tray, the windows and the proxy.

:class:`HybridCoderApp` (Vorta's ``application.py`` pattern) does, in order: claim the
single instance (a second launch hands over and exits 0), start the proxy on a worker
when setup is complete (so the tools' endpoint is up whenever the app is), then show the
tray icon — or, where no tray exists (GNOME without AppIndicator, offscreen, plain Xvfb),
the main window, adding the icon if a tray appears later. Without finished setup it
shows the setup wizard. Closing a window keeps the app running; Quit (menu, Ctrl+Q),
SIGTERM and SIGINT stop the proxy cleanly (ledger flushed, port freed).

Python runs signal handlers only between bytecodes, and Qt's event loop runs none while
it waits; a socket pair registered with ``signal.set_wakeup_fd`` wakes a QSocketNotifier,
whose slot lets the handler run at once. Ctrl-C therefore quits cleanly, without a
KeyboardInterrupt traceback. Nothing here blocks the event loop but the final stop at exit.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
import time
from collections.abc import Sequence
from types import FrameType, TracebackType
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from hybridcoder import __version__
from hybridcoder.gui.app_settings import SettingsKeeper
from hybridcoder.gui.icons import app_icon
from hybridcoder.gui.main_window import MainWindow
from hybridcoder.gui.notifications import Notifier
from hybridcoder.gui.proxy_status import ProxyStatusWatcher, StatusSnapshot
from hybridcoder.gui.single_instance import SingleInstance, tell_running_instance
from hybridcoder.gui.tray import TrayController
from hybridcoder.gui.workers import run_in_pool, wait_for_jobs
from hybridcoder.settings import Settings

log = logging.getLogger(__name__)

#: How often to look for a tray that was not there at launch (KDE starts autostart apps before its panel).
TRAY_RETRY_MS = 2000
#: A proxy that stopped on its own is started again, but not more often than this.
AUTO_RESTART_S = 60.0


def _make_service(settings: Settings) -> Any:
    from hybridcoder.app_service import ProxyService

    return ProxyService(settings)


class HybridCoderApp(QObject):
    """The running app. ``run_gui(argv)`` is the usual way in; tests build it with their own service."""

    #: A ProxyService listener event ("started", "stopped", "error"), delivered on the UI thread.
    service_event = Signal(str)
    #: The proxy came up after a start (tests and the wizard wait on it).
    proxy_started = Signal()
    #: Starting the proxy failed: the one-sentence reason.
    proxy_failed = Signal(str)
    #: ``start()`` has decided what to show (wizard, window or tray only).
    started = Signal()

    def __init__(self, argv: Sequence[str] | None = None, *, service: Any = None, settings: Settings | None = None,
                 instance_name: str | None = None, handle_signals: bool = False) -> None:
        app = QApplication.instance()
        qapp = app if isinstance(app, QApplication) else QApplication(list(argv or sys.argv[:1]))
        super().__init__()
        self.qapp: QApplication = qapp
        self.qapp.setApplicationName("Hybrid Coder")
        self.qapp.setApplicationDisplayName("Hybrid Coder")
        self.qapp.setApplicationVersion(__version__)
        self.qapp.setDesktopFileName("hybridcoder")
        self.qapp.setWindowIcon(app_icon())
        self.qapp.setQuitOnLastWindowClosed(False)
        if settings is None:
            candidate = getattr(service, "settings", None)
            settings = candidate if isinstance(candidate, Settings) else Settings.load()
        self.settings = settings
        self.service = service if service is not None else _make_service(settings)
        self.keeper = SettingsKeeper(self.service, settings, self)
        self.watcher = ProxyStatusWatcher(self.service, self.keeper.settings, self)
        self.tray = TrayController(self.service, self.keeper, self)
        self.notifier = Notifier(self.tray.icon, self)
        self.instance = SingleInstance(instance_name, self)
        self.window: MainWindow | None = None
        self.wizard: QWidget | None = None
        self.tray_shown = False
        self.quit_seconds: float | None = None
        self._starting = False
        self._shut_down = False
        self._setup_done = False
        self._last_auto_restart: float | None = None
        self._after_first_paint: QObject | None = None
        self._handle_signals = handle_signals
        self._previous_handlers: dict[int, Any] = {}
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._previous_wakeup_fd = -1
        self._signal_notifier: QSocketNotifier | None = None
        self._tray_timer = QTimer(self)
        self._tray_timer.setInterval(TRAY_RETRY_MS)
        self._tray_timer.timeout.connect(self._try_tray)

        self.watcher.updated.connect(self._status_arrived)
        self.tray.state_changed.connect(self.watcher.refresh_now)
        self.tray.dashboard_requested.connect(lambda: self.show_main_window("dashboard"))
        self.tray.settings_requested.connect(lambda: self.show_main_window("settings"))
        self.tray.quit_requested.connect(self.quit)
        self.tray.error.connect(self._action_failed)
        self.keeper.applied.connect(lambda _s: self.watcher.refresh_now())
        self.notifier.notified.connect(self._notified)
        self.instance.show_requested.connect(self.show_requested_window)
        self.service_event.connect(self._service_event)
        add_listener = getattr(self.service, "add_listener", None)
        if add_listener is not None:
            add_listener(self.service_event.emit)  # called from any thread; the signal queues it here

    # -- starting ---------------------------------------------------------------------------
    def claim_single_instance(self) -> bool:
        """True when this is the only instance; False after telling the running one to show itself."""
        if tell_running_instance(self.instance.name):
            return False
        # listen() fails when another instance won a race since; it shows itself when told so.
        return self.instance.listen() or not tell_running_instance(self.instance.name)

    def start(self) -> None:
        """Bring the app up: the tray icon at once, then (after a look at the setup state, which reads
        the keyring on a worker) the proxy and, without a tray, the window — or the wizard."""
        if self._handle_signals:
            self._install_signal_handlers()
        self.tray_shown = self.tray.show_icon()
        if not self.tray_shown:
            self._tray_timer.start()
        self.watcher.starting = True  # until we know whether the proxy starts
        run_in_pool(self._setup_complete, on_done=self._setup_checked,
                    on_error=lambda _message: self._setup_checked(False))

    def _setup_checked(self, complete: bool) -> None:
        if self._shut_down:
            return
        self._setup_done = complete
        if not complete:
            self.watcher.starting = False
        self.watcher.start()
        if not complete:
            self.show_wizard()
        elif not self.tray_shown:
            # The window first: importing the proxy stack on the worker would slow its first paint.
            window = self.show_main_window("dashboard")
            self._after_first_paint = _AfterFirstPaint(window, self.start_proxy)
        else:
            self.start_proxy()
        self.started.emit()

    def _setup_complete(self) -> bool:
        check = getattr(self.service, "setup_complete", None)
        try:
            return bool(check()) if check is not None else True
        except Exception:
            log.exception("could not read the setup state")
            return False

    def start_proxy(self) -> None:
        """Start (or restart after an error) the proxy on a worker; the UI hears back via signals."""
        if self._starting:
            return
        self._starting = True
        self.watcher.start_error = None
        self.watcher.starting = True
        run_in_pool(self._start_service, on_done=self._proxy_up, on_error=self._proxy_down)

    def retry(self) -> None:
        """Retry on a problem: start the proxy when it is down, else look at its state again."""
        if getattr(self.service, "running", False):
            self.watcher.refresh_now()
        else:
            self.start_proxy()

    def _start_service(self) -> None:
        if not getattr(self.service, "running", False):
            self.service.start()

    def _proxy_up(self, _result: object) -> None:
        self._starting = False
        self.watcher.starting = False
        self.watcher.start_error = None
        self.tray.update_status(self.watcher.last)  # its actions work from now on, before the next status
        self.watcher.refresh_now()
        self.proxy_started.emit()

    def _proxy_down(self, message: str) -> None:
        self._starting = False
        self.watcher.starting = False
        self.watcher.start_error = message
        self.watcher.refresh_now()
        self.proxy_failed.emit(message)
        self.notifier.notify("proxy_start", "The proxy could not start", message)
        if not self.tray_shown:
            self.show_main_window()

    def _service_event(self, event: str) -> None:
        """The proxy stopped on its own ("error"): start it again, at most once a minute."""
        self.watcher.refresh_now()
        if event == "error" and not self._shut_down:
            now = time.monotonic()
            if self._last_auto_restart is None or now - self._last_auto_restart >= AUTO_RESTART_S:
                self._last_auto_restart = now
                log.info("the proxy stopped unexpectedly; starting it again")
                self.start_proxy()

    # -- windows --------------------------------------------------------------------------------
    def main_window(self) -> MainWindow:
        if self.window is None:
            self.window = MainWindow(self.service, self.keeper)
            self.window.add_proxy_menu(self.tray)
            self.window.retry_requested.connect(self.retry)
            self.window.quit_requested.connect(self.quit)
            if self.watcher.last is not None:
                self.window.update_status(self.watcher.last)
        return self.window

    def show_main_window(self, page: str | None = None) -> MainWindow:
        window = self.main_window()
        window.show_page(page or window.current_page)
        return window

    def show_requested_window(self) -> None:
        """A second launch asked to see the app: the wizard while setup runs, else the main window."""
        if self.wizard is not None and (not self.wizard.isHidden() or not self._setup_done):
            self.wizard.show()
            if QGuiApplication.platformName() not in ("offscreen", "minimal"):
                self.wizard.raise_()
                self.wizard.activateWindow()
            return
        self.show_main_window()

    def show_wizard(self) -> None:
        """The first-run wizard (engineer B2's); without it, the window says how to finish setup."""
        try:
            from hybridcoder.gui.wizard import SetupWizard
        except ImportError as exc:
            log.info("setup wizard not available: %s", exc)
            window = self.show_main_window("dashboard")
            window.banner.show_error("Setup is not finished; run `hybridcoder setup` in a terminal, then choose "
                                     "Retry.", retry=self._retry_after_setup)
            return
        wizard = SetupWizard(self.service)
        wizard.setWindowIcon(app_icon())
        wizard.setup_finished.connect(self._setup_finished)
        wizard.open_dashboard_requested.connect(self._wizard_wants_dashboard)
        wizard.installEventFilter(self)
        self.wizard = wizard
        wizard.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        """Closing the wizard before anything runs, with no tray to come back to, ends the app."""
        if (watched is self.wizard and event.type() == QEvent.Type.Close and not self.tray_shown
                and not getattr(self.service, "running", False)):
            QTimer.singleShot(0, self.quit)
        return False

    def _retry_after_setup(self) -> None:
        run_in_pool(self._setup_complete, on_done=self._setup_now_complete)

    def _setup_now_complete(self, complete: bool) -> None:
        if complete:
            self._setup_finished()
            if self.window is not None:
                self.window.banner.clear()

    def _setup_finished(self) -> None:
        """Finish pressed: the wizard goes, the proxy runs (already, when the flow started it)."""
        self._setup_done = True
        if self.wizard is not None:
            self.wizard.hide()
        self.keeper.reload()  # the wizard saved its choices (models, Ollama URL, cloud) to settings.toml
        self.start_proxy()
        if not self.tray_shown:
            self.show_main_window("dashboard")

    def _wizard_wants_dashboard(self) -> None:
        self._setup_finished()  # the Done page's button: setup is over
        self.show_main_window("dashboard")

    # -- status ---------------------------------------------------------------------------------
    def _status_arrived(self, snapshot: StatusSnapshot) -> None:
        if self._shut_down:
            return
        self.tray.update_status(snapshot)
        self.keeper.follow_status(getattr(snapshot.status, "mode", None))
        self.notifier.observe(snapshot)
        if self.window is not None:
            self.window.update_status(snapshot)

    def _notified(self, cause: str, title: str, message: str) -> None:
        if cause == "proxy_start":
            return  # the window's status banner already says it, with Retry
        if not self.tray_shown and self.window is not None:
            self.window.show_message(message)

    def _action_failed(self, message: str) -> None:
        if self.tray_shown:
            self.notifier.tell("Hybrid Coder", message)  # an answer to a click: never held back
        else:
            self.show_main_window().show_message(message)

    def _try_tray(self) -> None:
        if self.tray.show_icon():
            self.tray_shown = True
            self._tray_timer.stop()

    # -- quitting ----------------------------------------------------------------------------------
    def quit(self) -> None:
        """Leave the event loop; :meth:`exec` then stops the proxy."""
        self.qapp.quit()

    def exec(self) -> int:
        code = int(self.qapp.exec())
        self.shutdown()
        return code

    def shutdown(self) -> None:
        """Stop the proxy (ledger flushed, port freed), wait for workers, release the instance name."""
        if self._shut_down:
            return
        self._shut_down = True
        started = time.perf_counter()
        self._tray_timer.stop()
        self.watcher.stop()
        self.tray.close()
        for widget in (self.window, self.wizard):
            if widget is not None:
                widget.hide()
        try:
            self.service.stop()
        except Exception:
            log.exception("the proxy did not stop cleanly")
        self.keeper.wait(5000)
        wait_for_jobs(5000)
        self.instance.close()
        self._restore_signal_handlers()
        self.quit_seconds = time.perf_counter() - started
        log.info("app stopped in %.2f s", self.quit_seconds)

    # -- signals --------------------------------------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM quit through the event loop (see the module docstring)."""
        try:
            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._previous_wakeup_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except (OSError, ValueError) as exc:  # not the main thread, or no socket pair: poll instead
            log.info("no signal wakeup socket (%s); polling", exc)
            timer = QTimer(self)
            timer.setInterval(200)
            timer.timeout.connect(lambda: None)  # a Python slot gives handlers a chance to run
            timer.start()
        else:
            self._wakeup = (reader, writer)
            self._signal_notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, self)
            self._signal_notifier.activated.connect(self._drain_wakeup)
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _drain_wakeup(self, *_args: object) -> None:
        if self._wakeup is None:
            return
        with contextlib.suppress(OSError):
            while self._wakeup[0].recv(512):
                pass

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d received: quitting", signum)
        QTimer.singleShot(0, self.quit)

    def _restore_signal_handlers(self) -> None:
        for signum, handler in self._previous_handlers.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
        self._previous_handlers.clear()
        if self._wakeup is not None:
            with contextlib.suppress(ValueError):
                signal.set_wakeup_fd(self._previous_wakeup_fd)
            if self._signal_notifier is not None:
                self._signal_notifier.setEnabled(False)
            for sock in self._wakeup:
                sock.close()
            self._wakeup = None


class _AfterFirstPaint(QObject):
    """Calls ``then`` once ``window`` has painted (or after a second, if it never does)."""

    def __init__(self, window: QWidget, then: Any) -> None:
        super().__init__(window)
        self._then: Any = then
        window.installEventFilter(self)
        QTimer.singleShot(1000, self._fire)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # Qt's name
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self._fire)  # after this paint has reached the screen
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            parent = self.parent()
            if isinstance(parent, QObject):
                parent.removeEventFilter(self)
            then()


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """No traceback reaches the user: unexpected errors go to the log with one line on stderr."""
    if issubclass(kind, KeyboardInterrupt):
        return
    log.error("unexpected error in the app", exc_info=(kind, value, tb))
    with contextlib.suppress(Exception):
        print(f"hybridcoder: unexpected error ({kind.__name__}); details are in the log file.", file=sys.stderr)


def run_gui(argv: Sequence[str] | None = None) -> int:
    """``hybridcoder`` with no subcommand: the whole desktop app. Returns the exit code."""
    sys.excepthook = _log_uncaught
    existing = QApplication.instance()
    if not isinstance(existing, QApplication):
        QApplication(list(argv or sys.argv[:1]))
    if tell_running_instance():  # before building anything: the running app takes it from here
        print("Hybrid Coder is already running; its window is shown.")
        return 0
    app = HybridCoderApp(argv, handle_signals=True)
    if not app.claim_single_instance():
        print("Hybrid Coder is already running; its window is shown.")
        return 0
    app.start()
    return app.exec()
