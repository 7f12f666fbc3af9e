"""Count PostgreSQL round trips on the wire: a small TCP proxy between Tizim and the server.

Every query cycle of the PostgreSQL protocol ends with the server's ReadyForQuery ('Z')
message — a simple query, an extended-protocol Sync, psycopg's own BEGIN, COMMIT and
ROLLBACK, SQLAlchemy's pre-ping alike — so counting those messages counts round trips,
whatever layer sent them. The ReadyForQuery that ends a connection's start-up is counted
as a connection, not a round trip (a new connection costs several: TCP, start-up, auth).

    with RoundTripProxy() as proxy:          # listens on 127.0.0.1:<free port>
        url = proxy.url(real_database_url)   # the same database through the proxy
        before = proxy.snapshot()
        ...                                  # one request
        proxy.since(before)                  # -> {"round_trips": 2, "connections": 0}

SSL and GSS encryption are disabled on the proxied URL (the proxy reads the messages).
Used by bench/round_trips.py and by tests/test_round_trips.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class RoundTripProxy:
    def __init__(self, host: str = "127.0.0.1", port: int = 5432) -> None:
        self.target = (host, port)
        self.round_trips = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._closed = False
        self._live = 0  # server connections whose end has not yet been passed to the client
        self._ended = threading.Condition(self._lock)

    # --- what a caller uses ---------------------------------------------------------------

    def url(self, database_url: str) -> str:
        """``database_url`` (host 127.0.0.1:5432) rewritten to pass through this proxy."""
        parts = urlsplit(database_url)
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
        query = dict(parse_qsl(parts.query))
        query.update(sslmode="disable", gssencmode="disable")
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.round_trips, self.connections

    def since(self, snapshot: tuple[int, int]) -> dict:
        with self._lock:
            return {"round_trips": self.round_trips - snapshot[0],
                    "connections": self.connections - snapshot[1]}

    def wait_until_ended(self, timeout: float = 10.0) -> bool:
        """Wait until every server connection that ended has had its last message and its end
        passed on to the client: a server process's exit is seen by ``pg_stat_activity``
        before this proxy's thread has forwarded it."""
        with self._ended:
            return self._ended.wait_for(lambda: self._live == 0, timeout)

    def kill_all(self) -> None:
        """Cut every proxied connection, as a restarted server would."""
        with self._lock:
            sockets, self._open = self._open, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    # --- the proxy ------------------------------------------------------------------------

    def __enter__(self) -> RoundTripProxy:
        threading.Thread(target=self._accept, daemon=True, name="wire-accept").start()
        return self

    def __exit__(self, *exc) -> None:
        self._closed = True
        self._listener.close()
        self.kill_all()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open += [client, server]
                self._live += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._count, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _count(self, server: socket.socket, client: socket.socket) -> None:
        """Forward the server's messages and count each ReadyForQuery."""
        buffer = b""
        started = False
        try:
            while data := server.recv(65536):
                client.sendall(data)
                buffer += data
                while len(buffer) >= 5:
                    length = int.from_bytes(buffer[1:5], "big")
                    if len(buffer) < 1 + length:
                        break
                    if buffer[:1] == b"Z":
                        with self._lock:
                            if started:
                                self.round_trips += 1
                            else:
                                self.connections += 1
                        started = True
                    buffer = buffer[1 + length:]
        except OSError:
            pass
        finally:
            for s in (server, client):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with self._ended:
                self._live -= 1
                self._ended.notify_all()
