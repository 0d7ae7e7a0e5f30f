"""A provider's receiver, as the tests need one: a real HTTP server on 127.0.0.1 that checks each
signature with the Python snippet published in docs/outgoing-webhooks.md (read from the doc and
run as it is: never Paydesk's own signing code), de-duplicates by event id, and can misbehave
(answer 500, hang past the client's timeout, or be down)."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "outgoing-webhooks.md"


def documented_verify():
    """The `paydesk_verify` function of the doc's Python block, executed from the doc's text."""
    text = DOC.read_text()
    block = re.search(r"```python\n(.*?def paydesk_verify.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 (our own doc's snippet)
    return namespace["paydesk_verify"]


class Receiver:
    """`mode`: "ok", "error" (500), "hang" (answer after `hang_seconds`), or stop() for down."""

    def __init__(self, secret: str, port: int = 0) -> None:
        self.secret = secret
        self.verify = documented_verify()
        self.mode = "ok"
        self.hang_seconds = 3.0
        self.requests: list[dict] = []  # every request, in arrival order
        self.events: dict[str, dict] = {}  # verified, de-duplicated by id
        self.order: list[str] = []  # ids in first-arrival order
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                header = self.headers.get("Paydesk-Signature", "")
                ok = receiver.verify(receiver.secret, header, body)
                with receiver.lock:
                    receiver.requests.append({"body": body, "headers": dict(self.headers)})
                    mode = receiver.mode
                if mode == "hang":
                    time.sleep(receiver.hang_seconds)
                if mode != "ok":
                    self._answer(500, b'{"error":"down for maintenance"}')
                    return
                if not ok:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self._answer(400, b"bad signature")
                    return
                event = json.loads(body)
                with receiver.lock:
                    if event["id"] not in receiver.events:
                        receiver.events[event["id"]] = event
                        receiver.order.append(event["id"])
                receiver.arrived.set()
                self._answer(200, b"thanks")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
