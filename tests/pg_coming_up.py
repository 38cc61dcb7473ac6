"""A PostgreSQL server coming up, for the start-up wait tests (`run` and `sprintback db`).

:func:`late_server` gives a port where nothing listens (connection refused) until the event
it yields is set; then a server answers connections as one still starting does (SQLSTATE
57P03, with a message in the server's language), then forwards them to the real PostgreSQL.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator

STARTING_UP = b"the database system is starting up"


def free_port() -> int:
    """Return a local TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _refuse_now(client: socket.socket, message: bytes) -> None:
    """Answer a client as a server still starting does: no SSL, then FATAL 57P03 with
    ``message``."""
    with client:
        while True:
            head = client.recv(8)
            if len(head) < 8:
                return
            length, code = struct.unpack("!ii", head)
            if code in (80877103, 80877104):  # SSLRequest, GSSENCRequest
                client.sendall(b"N")
                continue
            client.recv(length - 8)
            fields = b"SFATAL\0VFATAL\0C57P03\0M" + message + b"\0\0"
            client.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)
            return


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def late_server(
    upstream: tuple[str, int],
    *,
    starting_for: float | None = None,
    refusals: int | None = None,
    message: bytes = STARTING_UP,
) -> Iterator[tuple[int, threading.Event]]:
    """Yield the port and the event that opens it. Once open, connections are refused as by a
    server still starting (``message``, 57P03) for ``starting_for`` seconds, or for the first
    ``refusals`` connections, then forwarded to ``upstream`` (the real PostgreSQL)."""
    port = free_port()
    stop = threading.Event()
    listen = threading.Event()
    opened: list[socket.socket] = []

    def serve() -> None:
        while not listen.wait(0.05):
            if stop.is_set():
                return
        server = socket.create_server(("127.0.0.1", port))
        opened.append(server)
        server.settimeout(0.1)
        ready_at = time.monotonic() + (starting_for or 0.0)
        refused = 0
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            starting = refused < refusals if refusals is not None else time.monotonic() < ready_at
            if starting:
                refused += 1
                threading.Thread(target=_refuse_now, args=(client, message), daemon=True).start()
                continue
            backend = socket.create_connection(upstream)
            opened.extend((client, backend))
            for a, b in ((client, backend), (backend, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, listen
    finally:
        stop.set()
        thread.join(5)
        for sock in opened:
            sock.close()
