"""A loopback HTTP server that records every request head it reads and answers with fixed
bytes: for the engine's wire tests (what reaches the server, byte for byte)."""

from __future__ import annotations

import socket
import threading


class HeadServer:
    """A loopback server answering every request on a connection with ``reply`` (one request
    per connection unless ``keep_alive``), recording each request head it read."""

    def __init__(
        self,
        reply: bytes,
        *,
        keep_alive: bool = False,
        echo: bool = False,
        trickle_from: int | None = None,
    ) -> None:
        self.reply = reply
        self.keep_alive = keep_alive
        self.echo = echo
        self.trickle_from = trickle_from
        """Send the reply from this offset on one byte every 0.2 s (until closed)."""
        self.heads: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str = "/api") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        buffer = b""
        with conn:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                self.heads.append(head)
                reply = self.reply
                if self.echo:  # every request header back as X-Echo-<name>
                    lines = head.split(b"\r\n")[1:]
                    echoed = b"".join(b"X-Echo-" + line + b"\r\n" for line in lines)
                    reply = reply.replace(b"\r\n\r\n", b"\r\n" + echoed + b"\r\n", 1)
                if self.trickle_from is None:
                    conn.sendall(reply)
                else:
                    conn.sendall(reply[: self.trickle_from])
                    for byte in reply[self.trickle_from :]:
                        if self._stop.wait(0.2):
                            return
                        try:
                            conn.sendall(bytes([byte]))
                        except OSError:
                            return
                if not self.keep_alive:
                    return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(5)


__all__ = ["HeadServer"]
