"""Plumbing shared by the emulators: a threaded HTTP/1.1 server on 127.0.0.1 with streaming.

An emulator subclasses :class:`EmulatorServer` (cloud emulators: each request recorded with
its headers) or :class:`HTTPEmulator` (its own record type) and implements ``handle(exchange)``.
The exchange reads the request, writes JSON or a chunked stream, notices promptly when the
client closes its end (that is how ``cancelled`` is counted), sleeps without missing a
disconnect, and can drop the connection on purpose (a fault).

Never binds anything but 127.0.0.1 unless an emulator is told to; never blocks a test on a
client that went away.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, NamedTuple, Protocol, Self, TypeVar


class RecordedRequest(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it was not JSON


class ClientGone(Exception):
    """The client closed the connection mid-answer."""


class Dropped(Exception):
    """The emulator cut the connection on purpose (an injected fault); not a cancellation."""


class Exchange:
    """One request and its response."""

    def __init__(self, handler: _Handler, json_content_type: str = "application/json") -> None:
        self.handler = handler
        self.json_content_type = json_content_type
        self.method = handler.command
        self.path = handler.path.split("?", 1)[0]
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.raw = handler.read_body()
        self.body: Any = None
        self.bad_json = False
        if self.raw:
            try:
                self.body = json.loads(self.raw)
            except ValueError:
                self.body, self.bad_json = self.raw.decode("utf-8", "replace"), True
        self.streaming = False

    def _start(self, status: int, content_type: str, length: int | None, headers: dict[str, str] | None) -> None:
        handler = self.handler
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if length is None:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()

    def respond(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        """A complete answer; a HEAD request gets the headers only."""
        self._start(status, content_type, len(data), headers)
        if self.method != "HEAD":
            self._write(data)

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.respond(status, json.dumps(payload).encode(), self.json_content_type, headers)

    def start_stream(self, content_type: str, headers: dict[str, str] | None = None) -> None:
        self._start(200, content_type, None, headers)
        self.streaming = True

    def send(self, data: bytes) -> None:
        if self.peer_gone():
            raise ClientGone
        self._write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_stream(self) -> None:
        self._write(b"0\r\n\r\n")
        self.streaming = False

    def _write(self, data: bytes) -> None:
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except OSError as exc:
            raise ClientGone from exc

    def peer_gone(self) -> bool:
        """True when the client closed its end (readable socket with nothing to read)."""
        sock = self.handler.connection
        try:
            if hasattr(select, "poll"):  # select() cannot watch descriptors above 1023 (a busy test process)
                poller = select.poll()
                poller.register(sock, select.POLLIN)
                readable = bool(poller.poll(0))
            else:
                readable = bool(select.select([sock], [], [], 0)[0])
            return readable and sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def sleep(self, seconds: float) -> None:
        """Wait, noticing a client that goes away."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.peer_gone():
                raise ClientGone
            time.sleep(min(left, 0.005))

    def drop(self) -> None:
        """Cut the connection now, without a word (the client sees it close mid-answer)."""
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(socket.SHUT_RDWR)
        raise Dropped


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``emulator.requests``."""

    def setup(self) -> None:
        super().setup()
        # Like Go's net/http: without this, headers and body in two writes wait ~40 ms for a delayed ACK.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.track(self.connection, add=False)

    def _handle(self) -> None:
        self.server.emulator._dispatch(self)

    do_GET = do_POST = do_DELETE = do_HEAD = _handle

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, emulator: HTTPEmulator[Any], address: tuple[str, int]) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet for connection resets (normal in cancellation tests); loud for emulator bugs, kept for the test."""
        exc = sys.exc_info()[1]
        if exc is None or isinstance(exc, OSError):
            return
        with self.emulator._lock:
            if not any(seen is exc for seen in self.emulator.server_errors):  # _dispatch may have kept it
                self.emulator.server_errors.append(exc)
        traceback.print_exc()

    def track(self, sock: socket.socket, *, add: bool) -> None:
        with self.connections_lock:
            (self.connections.add if add else self.connections.discard)(sock)

    def close_all(self) -> None:
        with self.connections_lock:
            for sock in list(self.connections):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self.connections.clear()


class _Recorded(Protocol):
    @property
    def path(self) -> str: ...


RecordT = TypeVar("RecordT", bound=_Recorded)


class HTTPEmulator(Generic[RecordT]):
    """Lifecycle, request log and cancellation count; subclasses implement :meth:`_record` and :meth:`handle`."""

    name = "emulator"
    #: Content-Type of :meth:`Exchange.json` answers.
    json_content_type = "application/json"
    #: True: ``stop()`` then ``start()`` comes back on the same port, and ``port`` is still known
    #: after ``stop()`` (a service restart). False: every start gets a fresh ephemeral port.
    keep_port = False

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[RecordT] = []
        self.cancelled = 0
        #: Unexpected exceptions inside the emulator (should stay empty; tests may assert it).
        self.server_errors: list[BaseException] = []
        self._lock = threading.RLock()
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is None:
            self._server = _Server(self, (self._host, self._port))
            if self.keep_port:
                self._port = int(self._server.server_address[1])
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                            name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop: the port refuses connections afterwards and open streams are cut."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_all()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        server = self._server
        if server is not None:
            return int(server.server_address[1])
        if self.keep_port and self._port:
            return self._port
        raise RuntimeError(f"the {self.name} is not running")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests_to(self, path: str) -> list[RecordT]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true or timeout (e.g. ``lambda: emu.cancelled >= 1``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.005)
        return bool(predicate())

    def _dispatch(self, handler: _Handler) -> None:
        ex = Exchange(handler, self.json_content_type)
        with self._lock:
            self.requests.append(self._record(ex))
        try:
            self.handle(ex)
        except ClientGone:
            with self._lock:
                self.cancelled += 1
            handler.close_connection = True
        except Dropped:
            handler.close_connection = True
        except Exception as exc:  # an emulator bug: keep it visible to the test
            with self._lock:
                self.server_errors.append(exc)
            handler.close_connection = True
            raise

    def _record(self, ex: Exchange) -> RecordT:
        """What ``requests`` keeps of one request (called under the lock, in arrival order)."""
        raise NotImplementedError

    def handle(self, ex: Exchange) -> None:
        raise NotImplementedError


class EmulatorServer(HTTPEmulator[RecordedRequest]):
    """The cloud emulators' base: ``requests`` keeps method, path, headers and body."""

    def _record(self, ex: Exchange) -> RecordedRequest:
        return RecordedRequest(ex.method, ex.path, ex.headers, ex.body)
