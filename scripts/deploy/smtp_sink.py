"""The deploy test's SMTP server (aiosmtpd): accepts every message and appends one JSON line per
recipient — `{"to", "subject", "message_id"}` — to the file given, flushed at once, so the test
can hold the outbox against what really arrived. Never a body: it could hold bank details.

    python scripts/deploy/smtp_sink.py --port 2525 --out var/deploy/smtp.jsonl
"""

from __future__ import annotations

import argparse
import email
import json
import signal
import threading
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=default_policy
        )
        subject = " ".join(str(message.get("Subject", "")).split())
        with self.lock, self.out.open("a") as fh:
            for rcpt in envelope.rcpt_tos:
                fh.write(
                    json.dumps(
                        {
                            "to": rcpt,
                            "subject": subject,
                            "message_id": str(message.get("Message-ID", "")),
                        }
                    )
                    + "\n"
                )
                fh.flush()
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(Sink(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"smtp sink listening on 127.0.0.1:{args.port}", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
