"""A gateway played by a local HTTP server: `trickling_server` answers a byte at a time (a
gateway, or anything between, that keeps a connection busy without ever going quiet for as long
as a per-read timeout); `pending_gateway_payment` is a payment waiting at a gateway, as a
checkout leaves it."""

from __future__ import annotations

import json
import socketserver
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from tests.local_server import served

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


def pending_gateway_payment(method: str, gateway_reference: str) -> Any:
    """A pending $50.00 payment of a new customer by `method`, bound to `gateway_reference`."""
    from paydesk.ledger.models import PaymentStatus
    from paydesk.ledger.services import payment_create
    from tests.factories import CustomerFactory

    return payment_create(
        customer=CustomerFactory(),
        total=Decimal("50.00"),
        description=f"{method} $50.00 USD",
        method=method,
        gateway=method,
        gateway_reference=gateway_reference,
        status=PaymentStatus.PENDING,
    )


@contextmanager
def trickling_server(*, trickle_head: bool) -> Iterator[str]:
    """`http://127.0.0.1:<port>` of a server answering every request with a JSON payment intent,
    one byte every GAP seconds (about 20 s in all) — from its status line on (`trickle_head`)
    or from its body on."""
    server = _Server(("127.0.0.1", 0), _Trickler)
    server.trickle_head = trickle_head  # type: ignore[attr-defined]
    with served(server) as url:
        yield url
