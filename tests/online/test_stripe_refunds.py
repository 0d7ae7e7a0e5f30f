"""Stripe refunds and disputes end to end: Finance's refund through the real card client
(`POST /v1/refunds` at the sandbox), the sandbox's signed webhooks into the real /webhooks/stripe/
endpoint, and the sandbox's switches-page buttons (refund from the Dashboard, dispute lifecycle).
Balance, rows and links are checked after each step; replays change nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.conf import settings
from django.utils import timezone

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.refunds import payment_refund
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refunds import refund_left
from paydesk.sandbox.core import object_get, webhook_deliver
from paydesk.sandbox.models import SandboxWebhook
from tests.factories import StaffFactory
from tests.online.stripe_support import card_checkout
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(sandbox, online_customer, settings):
    """A customer who paid 50.00 USD by card (Stripe, through the sandbox)."""
    # The sandbox delivers a refund's webhooks (up to four) before it answers the call, as
    # Paydesk's one server: the default timeout, not the fault tests' 2 s, so none is cut short.
    settings.PAYDESK_GATEWAY_TIMEOUT = 10
    user = online_customer("card", "USD")
    checkout = card_checkout(sandbox.url, user, amount="50.00")
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED and payment.total == Decimal("50.00")
    return payment


@pytest.fixture
def finance(db):
    return StaffFactory(staff_role="finance")


def balance(payment: Payment) -> Decimal:
    payment.customer.refresh_from_db(fields=["balance"])
    return payment.customer.balance


def returns_of(payment: Payment) -> list[tuple[str, str, Decimal]]:
    rows = Payment.objects.filter(original=payment).order_by("id")
    return [(r.relation, r.status, r.total) for r in rows]


def press(action: str, payment: Payment, **fields: str) -> None:
    """Press a button of the Stripe panel on the sandbox's switches page."""
    answer = sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": action, "intent": payment.gateway_reference, **fields}
    )
    assert answer.status_code == 302 and answer["Location"] == "/sandbox/"


def hooks(payment: Payment, event_type: str = "") -> list[SandboxWebhook]:
    found = SandboxWebhook.objects.filter(gateway="stripe", about=payment.gateway_reference)
    return list((found.filter(event_type=event_type) if event_type else found).order_by("id"))


def replay_all(payment: Payment) -> None:
    """Stripe delivers every webhook about the payment once more: each is a duplicate."""
    for hook in hooks(payment):
        again = webhook_deliver(hook.pk)
        assert again.last_response.startswith("HTTP 200"), again.last_response


def test_full_refund(paid, finance):
    refund = payment_refund(payment=paid, reason="Duplicate top-up", actor=finance)
    assert refund.status == PaymentStatus.COMPLETED
    assert (refund.original_id, refund.relation, refund.total) == (
        paid.pk,
        PaymentRelation.REFUND,
        Decimal("-50.00"),
    )
    assert refund.gateway_transaction.startswith("refund:re_")
    assert balance(paid) == Decimal("0.00") and refund_left(payment=paid) == 0
    # What Stripe holds: the refund, with our reference in the metadata Paydesk set.
    at_stripe = object_get("stripe", "refund", refund.gateway_transaction.removeprefix("refund:"))
    assert at_stripe.data["amount"] == 5000 and at_stripe.data["status"] == "succeeded"
    assert at_stripe.data["metadata"]["paydesk_refund"] == refund.reference
    assert at_stripe.data["payment_intent"] == paid.gateway_transaction
    call = PaymentLogEntry.objects.get(gateway="card", event_id="POST /v1/refunds")
    assert call.summary["idempotency_key"] == f"refund-{refund.reference}"
    assert call.summary["request.metadata.paydesk_refund"] == refund.reference
    assert call.summary["response.status"] == "succeeded" and call.http_status == 200
    assert [h.event_type for h in hooks(paid)][-2:] == ["refund.created", "charge.refunded"]
    replay_all(paid)
    assert returns_of(paid) == [("refund", "completed", Decimal("-50.00"))]
    assert balance(paid) == Decimal("0.00")


def test_two_partial_refunds(paid, finance):
    first = payment_refund(payment=paid, reason="Unused minutes", actor=finance, total="20.00")
    assert balance(paid) == Decimal("30.00")
    second = payment_refund(payment=paid, reason="Goodwill", actor=finance, total="12.50")
    assert first.gateway_transaction != second.gateway_transaction
    assert returns_of(paid) == [
        ("refund", "completed", Decimal("-20.00")),
        ("refund", "completed", Decimal("-12.50")),
    ]
    assert balance(paid) == Decimal("17.50") and refund_left(payment=paid) == Decimal("17.50")
    intent = object_get("stripe", "payment_intent", paid.gateway_reference)
    assert intent.data["sandbox"]["refunded"] == 3250
    replay_all(paid)
    assert balance(paid) == Decimal("17.50") and len(returns_of(paid)) == 2


def test_a_refund_the_gateway_declines(paid, finance):
    sandbox_staff().post("/sandbox/stripe/panel/", {"action": "refund_fails", "refund_fails": "on"})
    refund = payment_refund(payment=paid, reason="Customer asked", actor=finance, total="30.00")
    assert refund.status == PaymentStatus.CANCELLED
    assert refund.cancel_reason == "Stripe: the card's bank declined the refund."
    assert refund.gateway_transaction.startswith("refund:re_")
    assert balance(paid) == Decimal("50.00") and refund_left(payment=paid) == Decimal("50.00")
    assert [h.event_type for h in hooks(paid)][-4:] == [
        "refund.created",
        "charge.refunded",
        "refund.updated",
        "refund.failed",
    ]
    replay_all(paid)
    # The switch fails one refund only: the next goes through.
    again = payment_refund(payment=paid, reason="Customer asked", actor=finance, total="30.00")
    assert again.status == PaymentStatus.COMPLETED
    assert returns_of(paid) == [
        ("refund", "cancelled", Decimal("-30.00")),
        ("refund", "completed", Decimal("-30.00")),
    ]
    assert balance(paid) == Decimal("20.00")


def test_a_refund_stripe_refuses_before_making_one_is_cancelled(paid, finance, sandbox):
    """15.00 refunded in the Dashboard whose webhooks never came: Stripe refuses 50.00."""
    sandbox.switch(webhooks="none")
    press("dashboard_refund", paid, amount="15.00")
    refund = payment_refund(payment=paid, reason="All of it", actor=finance)
    assert refund.status == PaymentStatus.CANCELLED
    assert refund.cancel_reason.startswith("Stripe refused the request: Refund amount")  # once
    assert refund.gateway_transaction == ""
    assert balance(paid) == Decimal("50.00") and refund_left(payment=paid) == Decimal("50.00")


def test_a_refund_made_in_the_dashboard(paid, sandbox):
    sandbox.switch(webhooks="twice")
    press("dashboard_refund", paid, amount="15.00")
    refund = Payment.objects.get(original=paid)
    assert (refund.relation, refund.status, refund.total) == (
        PaymentRelation.REFUND,
        PaymentStatus.COMPLETED,
        Decimal("-15.00"),
    )
    assert refund.description == f"Refund of {paid.reference} (made through Credit Card)"
    assert balance(paid) == Decimal("35.00")
    created = hooks(paid, "refund.created")
    assert len(created) == 1 and "HTTP 200" in created[0].last_response
    assert json.loads(created[0].body)["data"]["object"]["metadata"] == {}
    replay_all(paid)
    assert returns_of(paid) == [("refund", "completed", Decimal("-15.00"))]
    assert balance(paid) == Decimal("35.00") and refund_left(payment=paid) == Decimal("35.00")


def test_a_dispute_lost(paid):
    press("dispute", paid, reason="fraudulent")
    dispute = Dispute.objects.get(payment=paid)
    # Stripe's "fraudulent", worded as what the cardholder says: the customer reads it too.
    said = "the cardholder says they did not authorise the payment"
    assert dispute.is_open and dispute.reason == said
    chargeback = Payment.objects.get(original=paid)
    assert chargeback.description == f"Chargeback of {paid.reference}: {said}"
    assert dispute.gateway_status == "needs_response"
    due = dispute.evidence_due - timezone.now()
    assert timedelta(days=6, hours=23) < due <= timedelta(days=7)
    assert returns_of(paid) == [("chargeback", "completed", Decimal("-50.00"))]
    assert balance(paid) == Decimal("0.00")
    page = sandbox_staff().get("/sandbox/").content.decode()
    assert paid.gateway_reference in page and paid.reference in page
    assert "Lose the dispute" in page and "needs_response (fraudulent)" in page
    press("evidence", paid)
    dispute.refresh_from_db()
    assert dispute.is_open and dispute.gateway_status == "under_review"
    press("lose", paid)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.gateway_status) == ("lost", "lost")
    assert dispute.chargeback == Payment.objects.get(original=paid)
    replay_all(paid)
    assert returns_of(paid) == [("chargeback", "completed", Decimal("-50.00"))]
    assert balance(paid) == Decimal("0.00") and refund_left(payment=paid) == 0
    kinds = [h.event_type for h in hooks(paid)][-4:]
    assert kinds == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.updated",
        "charge.dispute.closed",
    ]


def test_a_dispute_won(paid):
    press("dispute", paid, reason="product_not_received")
    assert balance(paid) == Decimal("0.00")
    press("win", paid)
    dispute = Dispute.objects.get(payment=paid)
    said = "the cardholder says they did not receive what they paid for"
    assert (dispute.status, dispute.reason) == ("won", said)
    assert returns_of(paid) == [
        ("chargeback", "completed", Decimal("-50.00")),
        ("chargeback_reversed", "completed", Decimal("50.00")),
    ]
    assert dispute.reversal.total == Decimal("50.00")
    replay_all(paid)
    assert balance(paid) == Decimal("50.00") and refund_left(payment=paid) == Decimal("50.00")
    assert len(returns_of(paid)) == 2


def test_an_inquiry_moves_no_money(paid):
    press("inquiry", paid)
    assert Dispute.objects.get(payment=paid).is_open
    press("win", paid)
    dispute = Dispute.objects.get(payment=paid)
    assert (dispute.status, dispute.gateway_status) == ("closed", "warning_closed")
    assert returns_of(paid) == [] and balance(paid) == Decimal("50.00")


def test_the_sandbox_signs_refund_and_dispute_webhooks_as_stripe_does(paid, finance):
    """Stripe's own library accepts every refund and dispute webhook the sandbox sent."""
    payment_refund(payment=paid, reason="Half", actor=finance, total="25.00")
    press("dispute", paid)
    sent = [h for h in hooks(paid) if h.event_type.startswith(("refund.", "charge."))]
    assert {h.event_type for h in sent} >= {
        "refund.created",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    }
    for hook in sent:
        event = stripe.Webhook.construct_event(
            hook.body, hook.headers["Stripe-Signature"], settings.PAYDESK_STRIPE_WEBHOOK_SECRET
        )
        assert event.type == hook.event_type
        assert event.data.object.payment_intent == paid.gateway_reference or (
            event.data.object.object == "charge"
        )


def test_a_refund_whose_key_is_still_running_at_stripe_stays_pending(
    paid, finance, settings, sandbox
):
    """Asked again while Stripe still runs the first request under the refund's key, Stripe
    answers HTTP 409 idempotency_error: that request may still refund, so the row stays pending
    (never cancelled as refused) and the next ask gets the first request's refund, once."""
    from paydesk.checkout.refunds import UNANSWERED, refund_ask
    from paydesk.gateways.stripe.client import StripeApi
    from paydesk.money import Money
    from paydesk.sandbox.models import SandboxObject

    stripe_api = settings.PAYDESK_STRIPE_API_BASE
    settings.PAYDESK_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: no answer
    refund = payment_refund(payment=paid, reason="Customer asked", actor=finance, total="30.00")
    assert (refund.status, refund.pending_reason) == (PaymentStatus.PENDING, UNANSWERED)
    settings.PAYDESK_STRIPE_API_BASE = stripe_api
    sandbox.switch(webhooks="none")  # only Paydesk's own asks can settle it
    # Another ask under the same key reached Stripe, which has not answered it yet.
    key = f"refund-{refund.reference}"
    StripeApi().refund_create(
        intent_id=paid.gateway_transaction,
        amount=Money(Decimal("30.00"), "USD"),
        refund_reference=refund.reference,
        payment_reference=paid.reference,
        reason=refund.description,
        idempotency_key=key,
    )
    record = SandboxObject.objects.get(gateway="stripe", kind="idempotency", object_id=key)
    answered = dict(record.data)
    record.data = {"fingerprint": answered["fingerprint"]}
    record.save()

    refund = refund_ask(refund=refund)
    assert refund.status == PaymentStatus.PENDING
    assert refund.pending_reason == UNANSWERED

    record.data = answered
    record.save()
    refund = refund_ask(refund=refund)
    assert refund.status == PaymentStatus.COMPLETED
    assert returns_of(paid) == [("refund", "completed", Decimal("-30.00"))]
    assert balance(paid) == Decimal("20.00")
    assert (
        object_get("stripe", "payment_intent", paid.gateway_reference).data["sandbox"]["refunded"]
        == 3000
    )
