"""A local HTTP server that answers a byte at a time: a gateway (or anything between) that keeps
a connection busy without ever going quiet for as long as a per-read timeout."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

GAP = 0.1  # seconds between two bytes: well under any per-read timeout the tests use
BODY = json.dumps(
    {"id": "pi_trickled", "object": "payment_intent", "status": "succeeded", "pad": "x" * 60}
).encode()


def _answer() -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + BODY


class _Trickler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)  # the request (small: one read is enough)
        answer = _answer()
        if self.server.trickle_head:  # type: ignore[attr-defined]
            start = 0
        else:  # the status line and headers at once, then the body
            start = answer.index(b"\r\n\r\n") + 4
            self.request.sendall(answer[:start])
        try:
            for index in range(start, len(answer)):
                self.request.sendall(answer[index : index + 1])
                time.sleep(GAP)
        except OSError:
            return  # the client gave up: what the deadline is for


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def trickling_server(*, trickle_head: bool) -> Iterator[str]:
    """`http://127.0.0.1:<port>` of a server answering every request with a JSON payment intent,
    one byte every GAP seconds (about 20 s in all) — from its status line on (`trickle_head`)
    or from its body on."""
    server = _Server(("127.0.0.1", 0), _Trickler)
    server.trickle_head = trickle_head  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
