"""One app per user: a second launch tells the first to show its window, then exits.

The first instance listens on a QLocalServer whose name is derived from the user and the
app's config folder (so a test with its own HYBRIDCODER_HOME never meets the user's real
app). A later launch connects, sends one line (``show``) and quits with exit code 0.
A server name left behind by a crashed instance is detected (nobody answers) and removed.

Only the startup handshake blocks, briefly (under a second), before the event loop runs.
"""

from __future__ import annotations

import getpass
import hashlib
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from hybridcoder.paths import app_paths

log = logging.getLogger(__name__)

SHOW = b"show"
PING = b"ping"
CONNECT_TIMEOUT_MS = 500


def server_name() -> str:
    """A short, per-user, per-app-folder name (local socket names have a small length limit)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment: the folder alone still separates apps
        user = "user"
    digest = hashlib.sha256(f"{user}\0{app_paths().config_dir}".encode()).hexdigest()[:16]
    return f"hybridcoder-{digest}"


def tell_running_instance(name: str | None = None, message: bytes = SHOW) -> bool:
    """Send ``message`` to an instance that is already running; False when there is none."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(message + b"\n")
    socket.flush()
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return True


class SingleInstance(QObject):
    """The first instance's listener; ``show_requested`` fires when a later launch asks."""

    show_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        """Start listening unless a live instance answers; a stale name from a crash is cleared first."""
        if tell_running_instance(self.name, PING):
            return False  # Qt would happily take the name over from a live instance on Unix
        QLocalServer.removeServer(self.name)
        if self.server.listen(self.name):
            return True
        log.warning("single-instance server could not listen: %s", self.server.errorString())
        return False

    def close(self) -> None:
        self.server.close()

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            if socket is None:
                break
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).strip()
            if line == SHOW:
                self.show_requested.emit()
