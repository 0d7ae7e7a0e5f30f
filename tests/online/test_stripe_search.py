"""A card payment whose PaymentIntent creation timed out: reconciliation asks Stripe's Search API
for the intent by the reference Paydesk put in its metadata before it gives up on it. Found, it is
bound by the id Stripe returned and settled through the ordinary event path; not found, it is
abandoned only once Stripe's index has had time to catch up (its documented lag)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.gateways.stripe.client import StripeApi
from paydesk.gateways.stripe.gateway import SEARCH_LAG
from paydesk.ledger.models import PaymentStatus
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.intents import intent_create_answer_lost_set
from tests.online.stripe_support import card_checkout, payment_method

pytestmark = pytest.mark.django_db(transaction=True)


def _later(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def test_an_intent_made_though_its_creation_timed_out_is_found_and_credited_once(
    sandbox, online_customer
):
    sandbox.switch(webhooks="none")
    sandbox.settings.PAYDESK_GATEWAY_TIMEOUT = 2
    user = online_customer("card")
    token = payment_method(sandbox.url)
    intent_create_answer_lost_set(True)
    payment = card_checkout(sandbox.url, user, token=token).payment
    assert payment.status == PaymentStatus.PENDING and payment.gateway_reference == ""
    assert payment.pending_reason.startswith("Stripe did not answer within 2 s.")
    made = SandboxObject.objects.get(kind="payment_intent", lookup=payment.reference).data
    assert made["status"] == "succeeded"  # Stripe charged the card all the same
    sandbox.settings.PAYDESK_GATEWAY_TIMEOUT = 20
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_RECONCILE_AFTER_MINUTES + 1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.gateway_reference == made["id"] == payment.gateway_transaction
    assert _balance(user) == Decimal("10.50")
    applied = PaymentLogEntry.objects.filter(payment=payment, result=EventResult.APPLIED)
    assert [entry.event_id for entry in applied] == [f"query:{made['id']}:succeeded"]
    assert gateway_payments_reconcile(now=_later(settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)) == 0
    assert _balance(user) == Decimal("10.50")


def test_not_found_counts_only_after_the_search_lag(sandbox, online_customer):
    """Nothing made at Stripe (the timeout fault answers before creating anything): with an
    abandonment window shorter than Stripe's search lag, the payment waits for the lag."""
    sandbox.settings.PAYDESK_ABANDON_AFTER_MINUTES = 30
    user = online_customer("card")
    token = payment_method(sandbox.url)
    sandbox.switch(fault="timeout", only="stripe")
    payment = card_checkout(sandbox.url, user, token=token).payment
    assert payment.status == PaymentStatus.PENDING and payment.gateway_reference == ""
    sandbox.switch()
    assert gateway_payments_reconcile(now=_later(31)) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == "Stripe's search finds no PaymentIntent for this payment."
    past_lag = SEARCH_LAG.total_seconds() / 60 + 1
    assert gateway_payments_reconcile(now=_later(past_lag)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason.startswith("Abandoned:") and _balance(user) == 0


def test_the_sandbox_answers_a_search_as_stripe_does(sandbox, online_customer):
    user = online_customer("card")
    payment = card_checkout(sandbox.url, user).payment
    found = StripeApi().payment_intent_search(payment.reference)
    assert [intent["id"] for intent in found] == [payment.gateway_reference]
    assert found[0]["payment_method"]["card"]["last4"] == "4242"  # data.payment_method expanded
    assert StripeApi().payment_intent_search("PD-NOTHING") == []
    key = {"Authorization": f"Bearer {settings.PAYDESK_STRIPE_SECRET_KEY}"}
    search = f"{sandbox.url}/sandbox/stripe/v1/payment_intents/search"
    answer = httpx.get(search, params={"query": "status:'succeeded'"}, headers=key, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "query"
    answer = httpx.get(search, params={"query": "metadata['x']:'y'"}, timeout=10)
    assert answer.status_code == 401
