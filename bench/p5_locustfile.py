"""Locust users for P5, run by bench/run.py as `locust -f bench/p5_locustfile.py --headless …`
in a process of its own, against gunicorn in another.

- `BankTransferPayer`: POST /api/v1/payments `{"method": "bank_transfer", "amount": "25.00",
  "currency": "USD"}`, each request with its own Idempotency-Key; must answer 201, outcome
  `pending`.
- `VoucherPayer`: POST /api/v1/payments `{"method": "voucher", "code": …, "currency": "USD"}`
  with a fresh single-use code each time; must answer 201, outcome `completed`.
- `Pinger`: GET /api/v1/ping; must answer 200 `{"status": "ok"}` — the trivial endpoint.

The payers run side by side (one user class each, same weight), every user as one of the seeded
customers (its API key, round-robin), with no wait between requests: a closed loop of `--users`
concurrent clients. Anything else — another status, another outcome, a connection error —
is a failure.

Environment: P5_DATA (JSON file: `keys`, and `codes` for this run only), P5_SUMMARY (where to
write this run's totals at exit: every request from the first, whatever `--reset-stats` does to
Locust's own CSV). Plain keys and codes never reach a log: failures are summarised by status and
error code.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections import Counter
from pathlib import Path

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

DATA = json.loads(Path(os.environ["P5_DATA"]).read_text())
KEYS: list[str] = DATA["keys"]
CODES = iter(DATA.get("codes", []))
NEXT_USER = itertools.count()
BANK = "POST /api/v1/payments bank_transfer"
VOUCHER = "POST /api/v1/payments voucher"
PING = "GET /api/v1/ping"

TOTALS: dict = {
    "requests": Counter(),
    "ok": Counter(),
    "failures": Counter(),
    "errors": Counter(),
    "codes_exhausted": 0,
}


@events.request.add_listener
def _count(name: str, exception: BaseException | None = None, **_kwargs: object) -> None:
    TOTALS["requests"][name] += 1
    if exception is None:
        TOTALS["ok"][name] += 1
    else:
        TOTALS["failures"][name] += 1
        TOTALS["errors"][f"{name}: {str(exception)[:160]}"] += 1


@events.quitting.add_listener
def _write_summary(**_kwargs: object) -> None:
    path = os.environ.get("P5_SUMMARY")
    if path:
        Path(path).write_text(json.dumps(TOTALS))


def _problem(response) -> str:  # noqa: ANN001 — locust's FastResponse
    """Why this answer is a failure: the connection error, or the status and the API's error
    code (a body is never echoed: it could hold a code or a key)."""
    if not response.status_code:
        return f"connection error: {type(response.error).__name__}"
    try:
        error = response.json().get("error") or {}
        code = error.get("code", "") if isinstance(error, dict) else ""
    except Exception:  # noqa: BLE001 — not JSON, or not an object
        code = ""
    return f"HTTP {response.status_code} {code}".strip()


class _Payer(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        key = KEYS[next(NEXT_USER) % len(KEYS)]
        self.auth = {"Authorization": f"Bearer {key}"}

    def pay(self, name: str, body: dict, outcome: str) -> None:
        headers = {**self.auth, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/payments", json=body, headers=headers, name=name, catch_response=True
        ) as response:
            if response.status_code == 201:
                try:
                    got = response.json().get("outcome")
                except Exception:  # noqa: BLE001
                    got = None
                if got == outcome:
                    response.success()
                else:
                    response.failure(f"HTTP 201 with outcome {got!r}, not {outcome!r}")
            else:
                response.failure(_problem(response))


class BankTransferPayer(_Payer):
    @task
    def bank_transfer(self) -> None:
        self.pay(BANK, {"method": "bank_transfer", "amount": "25.00", "currency": "USD"}, "pending")


class VoucherPayer(_Payer):
    @task
    def voucher(self) -> None:
        code = next(CODES, None)
        if code is None:
            TOTALS["codes_exhausted"] += 1
            raise StopUser()
        self.pay(VOUCHER, {"method": "voucher", "code": code, "currency": "USD"}, "completed")


class Pinger(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self) -> None:
        with self.client.get("/api/v1/ping", name=PING, catch_response=True) as response:
            ok = response.status_code == 200
            try:
                ok = ok and response.json() == {"status": "ok"}
            except Exception:  # noqa: BLE001
                ok = False
            if ok:
                response.success()
            else:
                response.failure(_problem(response))
