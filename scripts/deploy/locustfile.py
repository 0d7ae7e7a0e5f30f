"""The deploy test's mixed load (Locust, headless), sent through the proxy while faults are
injected (scripts/deploy_test.py).

- `ApiPayer`: top-ups through POST /api/v1/payments — bank transfers, vouchers (a fresh
  single-use code each) and cards through the sandbox (the card is tokenised at the sandbox's
  Stripe first, as Stripe.js does; Paydesk gets only the pm_… id, and the sandbox's webhooks
  come back through the proxy).
- `PortalViewer`: signs in through the real form, then reads the Payments page and its CSV.

Every operation is retried the way docs/api.md tells integrators to: a connection error, a 5xx,
a 409 `idempotency_key_in_use` or a 429 is retried (same Idempotency-Key, same body) with a
growing pause, for up to RETRY_SECONDS; any other answer is final. Each attempt is recorded
(time, latency, status) and written, with each operation's outcome, to DEPLOY_LOG at exit.

Environment: DEPLOY_DATA (JSON: users with email, password and key; voucher codes),
DEPLOY_LOG (where to write the records). Secrets never reach the records.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

DATA = json.loads(Path(os.environ["DEPLOY_DATA"]).read_text())
USERS = DATA["users"]
CODES = iter(DATA["codes"])
NEXT = itertools.count()
# Retry for up to this long: more than a request left in flight by a killed server needs to
# be taken over (IN_FLIGHT_ABANDONED, 90 s).
RETRY_SECONDS = 120
STRIPE_JS_KEY = "pk_test_paydesk_sandbox"  # the sandbox's public made-up publishable key
RECORDS: list[dict] = []


@events.quitting.add_listener
def _write(**_kwargs: object) -> None:
    Path(os.environ["DEPLOY_LOG"]).write_text(json.dumps(RECORDS))


def _retryable(status: int, body: str) -> bool:
    if status == 0 or status >= 500 or status == 429:
        return True
    return status == 409 and "idempotency_key_in_use" in body


class _Client(HttpUser):
    abstract = True
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.account = USERS[next(NEXT) % len(USERS)]

    def _attempt(self, method: str, path: str, name: str, **kwargs: object) -> tuple[int, str]:
        started = time.time()
        try:
            with self.client.request(
                method, path, name=name, catch_response=True, timeout=30, **kwargs
            ) as response:
                status, body = response.status_code or 0, response.text or ""
                if status >= 500 or status == 0:
                    response.failure(f"HTTP {status}")
                else:
                    response.success()
        except Exception as exc:  # noqa: BLE001 — a broken connection is an answer too here
            status, body = 0, type(exc).__name__
        self._attempts.append(
            {"t": started, "ms": (time.time() - started) * 1000, "status": status}
        )
        return status, body

    def operation(
        self,
        kind: str,
        method: str,
        path: str,
        ok: tuple[int, ...],
        clear: tuple[str, ...] = (),
        **kwargs: object,
    ) -> tuple[int, str]:
        """One operation, retried; its record (attempts, final status, whether it succeeded).
        `clear`: refusals that are a final, clear answer the deployment gives by design."""
        self._attempts: list[dict] = []
        status, body = 0, ""
        give_up = time.time() + RETRY_SECONDS
        for n in itertools.count():
            status, body = self._attempt(method, path, f"{method} {kind}", **kwargs)
            if not _retryable(status, body) or time.time() > give_up:
                break
            time.sleep(min(0.25 * 2**n, 5.0))
        error = "" if status in ok else _error_code(status, body)
        RECORDS.append(
            {
                "kind": kind,
                "attempts": self._attempts,
                "status": status,
                "ok": status in ok or error in clear,
                "error": error,
            }
        )
        return status, body


def _error_code(status: int, body: str) -> str:
    try:
        error = json.loads(body).get("error") or {}
        return f"HTTP {status} {error.get('code', '')}".strip()
    except (ValueError, AttributeError):
        return f"HTTP {status}" if status else f"connection: {body[:40]}"


class ApiPayer(_Client):
    weight = 3

    def _pay(self, kind: str, payload: dict) -> None:
        self.operation(
            kind,
            "POST",
            "/api/v1/payments",
            # No refusal is a clear answer by design here (src/paydesk/api/errors.py): a card
            # whose PaymentIntent Stripe did not answer is a 201 pending payment, which
            # reconciliation settles (state.py checks that none is left that it settled); Stripe
            # rate limiting or not answering before anything was done is a 503
            # `gateway_unavailable`, kept under no key and retried like any 5xx. Any 4xx, a
            # kept 422 `gateway_unavailable` among them, is counted as not resolved.
            ok=(200, 201),
            clear=(),
            data=json.dumps(payload),
            headers={
                "Authorization": f"Bearer {self.account['key']}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"deploy-{uuid.uuid4().hex}",
            },
        )

    @task(3)
    def bank_transfer(self) -> None:
        self._pay(
            "bank_transfer", {"method": "bank_transfer", "amount": "25.00", "currency": "USD"}
        )

    @task(3)
    def voucher(self) -> None:
        self._pay("voucher", {"method": "voucher", "code": next(CODES), "currency": "USD"})

    @task(2)
    def card(self) -> None:
        status, body = self.operation(
            "card_token",
            "POST",
            "/sandbox/stripe/v1/payment_methods",
            ok=(200,),
            data={
                "type": "card",
                "card[number]": "4242424242424242",
                "card[exp_month]": "12",
                "card[exp_year]": "2031",
                "card[cvc]": "123",
            },
            headers={"Authorization": f"Bearer {STRIPE_JS_KEY}"},
        )
        if status == 200:
            method = json.loads(body)["id"]
            self._pay(
                "card",
                {"method": "card", "amount": "20.00", "currency": "USD", "payment_method": method},
            )


class PortalViewer(_Client):
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.client.get("/accounts/login/", name="GET login")
        token = self.client.cookies.get("csrftoken", "")
        self.operation(
            "sign_in",
            "POST",
            "/accounts/login/",
            ok=(302,),  # signed in: sent on to the portal (a refusal is 200, the form again)
            data={
                "username": self.account["email"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": token,
            },
            allow_redirects=False,
        )

    @task(3)
    def payments_page(self) -> None:
        self.operation("payments_page", "GET", "/payments/", ok=(200,), allow_redirects=False)

    @task(1)
    def payments_csv(self) -> None:
        self.operation(
            "payments_csv", "GET", "/payments/export.csv", ok=(200,), allow_redirects=False
        )
