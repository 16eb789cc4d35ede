"""A TCP relay that a test can cut and restore: a home connection going away.

``NetCut(port)`` listens on 127.0.0.1:``.port`` and relays every connection
to 127.0.0.1:``port`` (a throwaway PostgreSQL server).  ``cut()`` closes
every relayed connection at once and refuses new ones, as a dead router
would; ``restore()`` lets connections through again.  ``delay_s`` holds
every chunk that long in each direction: a link with a round trip of twice
that (benchmarks/bench_team_rtt.py).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

__all__ = ["NetCut"]


class NetCut:
    def __init__(self, target_port: int, delay_s: float = 0.0) -> None:
        self.target = ("127.0.0.1", target_port)
        self.delay_s = delay_s
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open = True
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if not self._open:
                    client.close()
                    continue
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                for end in (client, upstream):  # no Nagle: a delayed link, not a slower one
                    end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.delay_s:
                    time.sleep(self.delay_s)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            self._open = False
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        with self._lock:
            self._open = True

    def close(self) -> None:
        self.cut()
        self._closed = True
        self._listener.close()
