"""An automatic top-up sent again with its Idempotency-Key while Stripe still runs the first
request under that key: Stripe answers HTTP 409 `idempotency_error` (docs.stripe.com/idempotency:
a request that conflicts with one executing concurrently saves no result) — the first request may
still charge the card, so Paydesk must neither cancel the payment as never charged nor count the
top-up as failed. It stays in flight; once Stripe has finished, the next run gets the first
request's answer under the same key and credits it once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from paydesk.autotopup.jobs import balance_watch_job
from paydesk.autotopup.models import TopupSettings, TopupStatus
from paydesk.checkout.models import Quote
from paydesk.gateways.http import public_url
from paydesk.gateways.stripe.client import StripeApi
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.methods.services import stripe_customer_id
from paydesk.money import Money
from paydesk.sandbox.models import SandboxObject
from tests.autotopup.support import balance, emails, purchase, topup_customer, topups
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_top_up_whose_key_is_still_running_at_stripe_stays_in_flight(sandbox, online_customer):
    user, pm = topup_customer(sandbox, online_customer)
    customer = user.customer
    start = timezone.now()
    purchase(customer, "85")  # 15: under the threshold of 20 → queued
    # The first send is rate limited: the payment exists, pending, and Stripe has nothing yet.
    sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "intent_rate_limited", "intent_rate_limited": "on"}
    )
    balance_watch_job(now=start)
    [topup] = topups(customer)
    payment = topup.payment
    assert (topup.status, payment.status) == (TopupStatus.CHARGING, PaymentStatus.PENDING)

    sandbox.switch(webhooks="none")  # only Paydesk's own calls can settle it
    # Another sender's request under the top-up's key reached Stripe and is still running there
    # (the same parameters as Paydesk's; its record at Stripe has no answer yet).
    key = f"checkout:{topup.key}"
    quote = Quote.objects.get(customer=customer, idempotency_key=topup.key)
    StripeApi().payment_intent_create(
        amount=Money(quote.total_charged, quote.currency),
        payment_method=pm,
        return_url=public_url(reverse("checkout:return", args=[payment.reference])),
        payment_reference=payment.reference,
        description=payment.description,
        idempotency_key=key,
        customer=stripe_customer_id(customer=customer),
        off_session=True,
    )
    record = SandboxObject.objects.get(gateway="stripe", kind="idempotency", object_id=key)
    answered = dict(record.data)
    record.data = {"fingerprint": answered["fingerprint"]}
    record.save()

    resumed = start + timedelta(seconds=settings.PAYDESK_AUTOTOPUP_RESUME_SECONDS + 1)
    balance_watch_job(now=resumed)

    [topup] = topups(customer)
    payment.refresh_from_db()
    assert topup.status == TopupStatus.CHARGING
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == (
        "Stripe is still working on an earlier request with the same idempotency key (HTTP 409) "
        "and did not run this one. Paydesk will ask again."
    )
    assert TopupSettings.objects.get(customer=customer).consecutive_failures == 0
    assert emails("autotopup") == []

    # Stripe finished the first request: the next run is answered with its charge.
    record.data = answered
    record.save()
    balance_watch_job(now=resumed + timedelta(seconds=settings.PAYDESK_AUTOTOPUP_RESUME_SECONDS))

    [topup] = topups(customer)
    assert topup.status == TopupStatus.SUCCEEDED
    assert topup.payment.status == PaymentStatus.COMPLETED
    assert SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").count() == 1
    assert balance(customer) == Decimal("65")  # 15 + 50, once
    assert balance_drifts() == []
