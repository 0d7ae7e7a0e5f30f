"""An automatic top-up whose off-session PaymentIntent Stripe rate limited (HTTP 429, the
sandbox's panel switch): Stripe did nothing, so it is not a failure — no failure counted, no
email — and the top-up stays in flight with its payment pending, saying the charge is sent
again; the next run after the resume delay sends it with the SAME Idempotency-Key (a
rate-limited request leaves the key free at Stripe), and it is charged and credited once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import TopupSettings, TopupStatus
from paydesk.checkout.models import PaymentLogEntry
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.sandbox.models import SandboxObject
from tests.autotopup.support import balance, emails, purchase, topup_customer, topups
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)

RATE_LIMITED = (
    "Stripe is rate limiting requests (HTTP 429). Nothing was charged: Paydesk will send the "
    "charge again."
)


def test_a_rate_limited_top_up_is_sent_again_with_the_same_key_and_credited_once(
    sandbox, online_customer
):
    user, pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    start = timezone.now()
    purchase(customer, "85")  # 15: under the threshold of 20 → queued
    armed = sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "intent_rate_limited", "intent_rate_limited": "on"}
    )
    assert armed.status_code == 302

    balance_watch_job(now=start)

    [topup] = topups(customer)
    assert topup.status == TopupStatus.CHARGING
    assert topup.detail == RATE_LIMITED
    assert topup.payment.status == PaymentStatus.PENDING
    assert topup.payment.pending_reason == RATE_LIMITED
    assert TopupSettings.objects.get(customer=customer).consecutive_failures == 0
    assert emails("autotopup") == []
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()

    resumed = start + timedelta(seconds=settings.PAYDESK_AUTOTOPUP_RESUME_SECONDS + 1)
    balance_watch_job(now=resumed)

    [topup] = topups(customer)
    assert topup.status == TopupStatus.SUCCEEDED
    assert topup.payment.status == PaymentStatus.COMPLETED
    [intent] = SandboxObject.objects.filter(gateway="stripe", kind="payment_intent")
    assert (intent.data["payment_method"], intent.data["status"]) == (pm, "succeeded")
    keys = [
        entry.summary.get("idempotency_key")
        for entry in PaymentLogEntry.objects.filter(
            direction="sent", event_id__contains="payment_intents", payment=topup.payment
        ).order_by("pk")
    ]
    assert keys == [f"checkout:{topup.key}"] * 2
    assert balance(customer) == Decimal("65")  # 15 + 50, once
    assert [e.subject for e in emails("autotopup")] == ["Automatic top-up: $50.00 USD credited"]
    assert balance_drifts() == []
