"""On PostgreSQL: the worker killed (SIGKILL) between Stripe's charge and Paydesk's credit →
after a restart, one charge and one credit.

The first `paydesk autotopup run --once` (a separate process) talks to the sandbox's Stripe
through a relay that passes the PaymentIntent creation on — Stripe charges the card — and then
never answers: the process is killed while it waits, with the charge made and nothing credited
(as when a worker dies right after Stripe answered). Webhooks are off, so only the restart can
settle it. The second run resumes the top-up left "charging" and sends the SAME Idempotency-Key:
Stripe answers the charge it made instead of making another, and Paydesk credits it once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from paydesk.autotopup.models import TopupStatus
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.sandbox.models import SandboxObject
from tests.autotopup.support import balance, purchase, topup_customer, topups
from tests.reliability.test_crash import child_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Relay(ThreadingHTTPServer):
    """Passes Stripe calls on to the sandbox; the PaymentIntent creation's answer is kept, never
    sent back (the charge is made, the caller never learns it)."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), RelayHandler)
        self.target = target
        self.charged = threading.Event()
        self.release = threading.Event()


class RelayHandler(BaseHTTPRequestHandler):
    server: Relay

    def log_message(self, *args: object) -> None:
        pass

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
        }
        answer = httpx.request(
            self.command, self.server.target + self.path, headers=headers, content=body, timeout=30
        )
        if self.command == "POST" and self.path.startswith("/v1/payment_intents"):
            self.server.charged.set()
            self.server.release.wait(60)  # never answers: the caller is killed meanwhile
            return
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = _relay


def run_once(env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "paydesk", "autotopup", "run", "--once"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_a_worker_killed_between_charge_and_credit_charges_and_credits_once(
    sandbox, online_customer, tmp_path
):
    sandbox.switch(webhooks="none")
    user, _pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    purchase(customer, "90")  # 10: under the threshold of 20 → queued
    stripe = f"{sandbox.url}/sandbox/stripe"
    env = {
        **child_env(tmp_path),
        "PAYDESK_PUBLIC_URL": sandbox.url,
        **{
            name: getattr(settings, name)
            for name in (
                "PAYDESK_STRIPE_SECRET_KEY",
                "PAYDESK_STRIPE_PUBLISHABLE_KEY",
                "PAYDESK_STRIPE_WEBHOOK_SECRET",
            )
        },
        "PAYDESK_GATEWAY_TIMEOUT": "30",
    }

    relay = Relay(stripe)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    try:
        first = run_once(
            {**env, "PAYDESK_STRIPE_API_BASE": f"http://127.0.0.1:{relay.server_port}"}
        )
        assert relay.charged.wait(60), first.communicate(timeout=5)[1][-3000:]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
    finally:
        relay.release.set()
        relay.shutdown()

    # Stripe charged; Paydesk credited nothing: the top-up is left charging, its payment pending.
    [intent] = SandboxObject.objects.filter(gateway="stripe", kind="payment_intent")
    assert intent.data["status"] == "succeeded"
    [topup] = topups(customer)
    assert topup.status == TopupStatus.CHARGING
    pending = Payment.objects.get(customer=customer, status=PaymentStatus.PENDING)
    assert pending.gateway_reference == ""  # the answer never arrived
    assert balance(customer) == Decimal("10")

    second = run_once(
        {**env, "PAYDESK_STRIPE_API_BASE": stripe, "PAYDESK_AUTOTOPUP_RESUME_SECONDS": "0"}
    )
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, out + err

    [topup] = topups(customer)
    assert topup.status == TopupStatus.SUCCEEDED and topup.payment_id == pending.pk
    assert SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").count() == 1
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.COMPLETED
    assert pending.gateway_reference == intent.object_id  # Stripe's replayed answer
    credits = Payment.objects.filter(customer=customer, total__gt=0, status=PaymentStatus.COMPLETED)
    assert credits.count() == 2  # the opening top-up and one automatic top-up
    assert balance(customer) == Decimal("60")
    assert balance_drifts() == []
