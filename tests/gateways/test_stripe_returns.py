"""Stripe refund and dispute notifications: the parser (shapes from the `stripe` SDK's Refund and
Dispute objects) and POST /webhooks/stripe/ with events signed by Stripe's own library."""

from __future__ import annotations

import inspect
import json
import re
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import stripe
from django.test import Client

from paydesk.errors import GatewayError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.stripe.disputes import REASONS, STATUSES
from paydesk.gateways.stripe.webhooks import parse_stripe_event
from paydesk.ledger.models import Dispute, Payment, PaymentStatus
from paydesk.money import Money
from tests.gateways.senders import SECRETS
from tests.refunds.conftest import card_payment

DUE = 1_767_225_600  # 2026-01-01T00:00:00Z


def refund(status="succeeded", amount=1500, currency="usd", **extra) -> dict:
    return {
        "id": "re_1",
        "object": "refund",
        "amount": amount,
        "currency": currency,
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "metadata": {},
        "status": status,
        **extra,
    }


def dispute(status="needs_response", amount=5000, currency="usd", **extra) -> dict:
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": amount,
        "currency": currency,
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "reason": "product_not_received",
        "status": status,
        "evidence_details": {"due_by": DUE, "has_evidence": False, "submission_count": 0},
        **extra,
    }


def event(kind: str, obj: object, event_id: str = "evt_1") -> bytes:
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": obj}}
    return json.dumps(body).encode()


# --- the parser ---------------------------------------------------------------------------------


def test_a_refund_paydesk_asked_for_names_our_refund_row():
    metadata = {"paydesk_refund": "PD-R1", "paydesk_reference": "PD-P1", "paydesk_reason": "x"}
    parsed = parse_stripe_event(event("refund.created", refund(metadata=metadata)))
    assert isinstance(parsed, RefundEvent)
    assert (parsed.event_id, parsed.refund_id, parsed.outcome) == ("evt_1", "re_1", "completed")
    assert parsed.amount == Money(Decimal("15.00"), "USD")
    assert (parsed.transaction_id, parsed.gateway_reference) == ("pi_1", "pi_1")
    assert (parsed.refund_reference, parsed.payment_reference) == ("PD-R1", "PD-P1")


@pytest.mark.parametrize(
    ("kind", "status", "extra", "outcome", "reason"),
    [
        (
            "refund.created",
            "pending",
            {"pending_reason": "charge_pending"},
            Outcome.PENDING,
            "Pending at Stripe: charge pending.",
        ),
        ("refund.updated", "requires_action", {}, Outcome.PENDING, ""),
        (
            "refund.failed",
            "failed",
            {"failure_reason": "expired_or_canceled_card"},
            Outcome.CANCELLED,
            "Stripe: the card has expired or was cancelled.",
        ),
        ("charge.refund.updated", "canceled", {}, Outcome.CANCELLED, "Stripe: unknown reason."),
    ],
)
def test_refund_statuses(kind, status, extra, outcome, reason):
    parsed = parse_stripe_event(event(kind, refund(status, **extra)))
    assert (parsed.outcome, parsed.reason) == (outcome, reason)


def test_a_zero_decimal_refund_in_whole_yen():
    parsed = parse_stripe_event(event("refund.created", refund(amount=1500, currency="jpy")))
    assert parsed.amount == Money(Decimal("1500"), "JPY")


def test_charge_refunded_reads_the_newest_listed_refund_or_nothing():
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 2500}
    assert parse_stripe_event(event("charge.refunded", charge)) is None  # API ≥ 2022-11-15
    older = {**refund(amount=1000), "id": "re_old", "created": 10, "payment_intent": None}
    newer = {**refund(amount=1500), "id": "re_new", "created": 20, "payment_intent": None}
    listed = {**charge, "refunds": {"object": "list", "data": [older, newer]}}
    parsed = parse_stripe_event(event("charge.refunded", listed))
    assert (parsed.refund_id, parsed.transaction_id) == ("re_new", "pi_1")
    assert parsed.amount == Money(Decimal("15.00"), "USD")


@pytest.mark.parametrize(
    ("kind", "status", "stage"),
    [
        ("charge.dispute.created", "needs_response", DisputeStage.OPENED),
        ("charge.dispute.created", "warning_needs_response", DisputeStage.OPENED),
        ("charge.dispute.updated", "under_review", DisputeStage.UPDATED),
        ("charge.dispute.funds_withdrawn", "needs_response", DisputeStage.FUNDS_WITHDRAWN),
        ("charge.dispute.funds_reinstated", "won", DisputeStage.FUNDS_REINSTATED),
        ("charge.dispute.closed", "won", DisputeStage.WON),
        ("charge.dispute.closed", "lost", DisputeStage.LOST),
        ("charge.dispute.closed", "warning_closed", DisputeStage.CLOSED),
        ("charge.dispute.closed", "prevented", DisputeStage.CLOSED),
    ],
)
def test_dispute_stages(kind, status, stage):
    parsed = parse_stripe_event(event(kind, dispute(status)))
    assert isinstance(parsed, DisputeEvent)
    assert (parsed.stage, parsed.gateway_status, parsed.dispute_id) == (stage, status, "dp_1")
    assert parsed.amount == Money(Decimal("50.00"), "USD")
    assert parsed.evidence_due == datetime(2026, 1, 1, tzinfo=UTC)
    assert parsed.reason == "the cardholder says they did not receive what they paid for"
    assert parsed.summary["reason"] == "product_not_received"  # the code, for the payment log
    assert (parsed.transaction_id, parsed.gateway_reference) == ("pi_1", "pi_1")


def _sdk_values(attribute: str) -> list[str]:
    """The values stripe-python's Dispute documents for `attribute` (its source: `reason` is
    typed `str`, its values listed in the docstring; `status` a Literal)."""
    source = inspect.getsource(stripe.Dispute)
    if attribute == "reason":
        listed = re.search(r"Possible values are (.*?)\. Learn more", source, re.S)
        return re.findall(r"`(\w+)`", listed.group(1))
    listed = re.search(r"\n    status: Union\[\s*Literal\[(.*?)\]", source, re.S)
    return re.findall(r'"(\w+)"', listed.group(1))


def test_every_dispute_reason_and_status_stripe_documents_has_words():
    """Stripe's `fraudulent` reached the customer's chargeback row and the back office as
    "fraudulent", an accusation; `needs_response` as a code. Each value Stripe documents reads
    as words, and the words never call anyone a fraud."""
    reasons, statuses = _sdk_values("reason"), _sdk_values("status")
    assert len(reasons) >= 15 and "fraudulent" in reasons and "noncompliant" in reasons
    assert len(statuses) >= 10 and "needs_response" in statuses and "prevented" in statuses
    assert sorted(set(reasons) - set(REASONS)) == []
    assert sorted(set(statuses) - set(STATUSES)) == []
    for words in [*REASONS.values(), *STATUSES.values()]:
        assert "_" not in words and "fraud" not in words.lower(), words
    assert REASONS["fraudulent"] == "the cardholder says they did not authorise the payment"


def test_a_fraudulent_dispute_is_worded_as_what_the_cardholder_says():
    parsed = parse_stripe_event(event("charge.dispute.created", dispute(reason="fraudulent")))
    assert parsed.reason == "the cardholder says they did not authorise the payment"
    assert parsed.summary["reason"] == "fraudulent"
    odd = parse_stripe_event(event("charge.dispute.created", dispute(reason="brand_new_code")))
    assert odd.reason == "brand new code"  # a code Stripe adds later still reads, as itself


def test_a_dispute_of_a_charge_without_an_intent_names_only_the_charge():
    parsed = parse_stripe_event(event("charge.dispute.created", dispute(payment_intent=None)))
    assert (parsed.transaction_id, parsed.gateway_reference) == ("ch_1", "")


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("refund.created", refund(status="mystery")),
        ("refund.created", refund(amount=0)),
        ("refund.created", refund(amount=15.0)),
        ("refund.updated", [1, 2]),
        ("refund.created", {**refund(), "object": "charge"}),
        ("charge.dispute.created", {**dispute(), "id": ""}),
        ("charge.dispute.closed", "dp_1"),
    ],
)
def test_unreadable_refunds_and_disputes_are_a_gateway_error(kind, obj):
    with pytest.raises(GatewayError):
        parse_stripe_event(event(kind, obj))


@pytest.mark.parametrize("kind", ["refund.unknown", "charge.refund", "charge.dispute.fancy"])
def test_other_refund_and_dispute_types_are_ignored(kind):
    assert parse_stripe_event(event(kind, refund())) is None


# --- the endpoint, signed by Stripe's own library -----------------------------------------------


def post(body: bytes, *, secret: str = SECRETS["PAYDESK_STRIPE_WEBHOOK_SECRET"]):
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, int(time.time())
    )
    return Client().post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


@pytest.mark.django_db
def test_a_dashboard_refund_signed_by_stripes_library_posts_once():
    payment = card_payment()
    body = event("refund.created", refund(payment_intent=payment.gateway_transaction), "evt_r1")
    answers = [post(body) for _ in range(8)]
    assert [a.status_code for a in answers] == [200] * 8
    assert answers[0].json() == {"status": "applied", "duplicate": False}
    assert {a.json()["duplicate"] for a in answers[1:]} == {True}
    row = Payment.objects.get(original=payment)
    assert (row.total, row.status, row.gateway_transaction) == (
        Decimal("-15.00"),
        PaymentStatus.COMPLETED,
        "refund:re_1",
    )
    # The same refund told again by another event (charge.refund.updated) changes nothing.
    retold = event("charge.refund.updated", refund(payment_intent=payment.gateway_transaction))
    assert post(retold).json()["status"] == "ignored"
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("35.00")


@pytest.mark.django_db
def test_a_dispute_signed_by_stripes_library_is_lost_once():
    payment = card_payment()
    pi = payment.gateway_transaction
    for n, kind, status in [
        (1, "charge.dispute.created", "needs_response"),
        (2, "charge.dispute.funds_withdrawn", "needs_response"),
        (3, "charge.dispute.closed", "lost"),
    ]:
        body = event(kind, dispute(status, payment_intent=pi), f"evt_d{n}")
        assert post(body).status_code == 200
        assert post(body).json()["duplicate"] is True
    rows = Payment.objects.filter(original=payment)
    assert [(r.relation, r.total) for r in rows] == [("chargeback", Decimal("-50.00"))]
    assert Dispute.objects.get().status == "lost"
    tampered = event("charge.dispute.closed", dispute("won", payment_intent=pi), "evt_d4")
    header_for_other = stripe.WebhookSignature.generate_signature_header(
        tampered.decode(), "whsec_not_ours", int(time.time())
    )
    answer = Client().post(
        "/webhooks/stripe/",
        data=tampered,
        content_type="application/json",
        headers={"Stripe-Signature": header_for_other},
    )
    assert answer.status_code == 400 and Dispute.objects.get().status == "lost"


@pytest.mark.django_db
def test_a_dispute_naming_only_a_charge_is_refused_not_retried():
    card_payment()
    body = event("charge.dispute.created", dispute(payment_intent=None))
    answer = post(body)
    assert answer.status_code == 200 and answer.json()["status"] == "refused"
    assert not Dispute.objects.exists()


# --- a refund or dispute that overtakes the payment's own success --------------------------------


def _pending_card_payment():
    from paydesk.ledger.services import payment_create
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    return payment_create(
        customer=customer,
        total=Decimal("50.00"),
        description="Credit Card top-up",
        method="card",
        gateway="card",
        gateway_reference=f"pi_{customer.pk}_early",
        status=PaymentStatus.PENDING,
    )


def _succeeded(payment: Payment) -> None:
    from paydesk.checkout.events import gateway_event_apply
    from paydesk.gateways.base import GatewayEvent

    gateway_event_apply(
        event=GatewayEvent(
            gateway="card",
            event_id="evt_succeeded",
            outcome=Outcome.COMPLETED,
            gateway_reference=payment.gateway_reference,
            transaction_id=payment.gateway_reference,
            amount=Money(Decimal("50.00"), "USD"),
        )
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED


@pytest.mark.django_db
def test_a_refund_before_the_payment_completed_is_retried_and_then_applied_once():
    from paydesk.checkout.models import PaymentLogEntry

    payment = _pending_card_payment()
    body = event("refund.created", refund(payment_intent=payment.gateway_reference), "evt_r_early")

    early = post(body)

    assert early.status_code == 409 and early.json()["error"]["code"] == "retry_later"
    assert not PaymentLogEntry.objects.filter(event_id="evt_r_early").exists()
    assert not Payment.objects.filter(original=payment).exists()
    _succeeded(payment)
    answers = [post(body) for _ in range(3)]  # Stripe's retry, then redeliveries
    assert [a.json() for a in answers] == [
        {"status": "applied", "duplicate": False},
        {"status": "applied", "duplicate": True},
        {"status": "applied", "duplicate": True},
    ]
    rows = Payment.objects.filter(original=payment)
    assert [(r.relation, r.total) for r in rows] == [("refund", Decimal("-15.00"))]
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("35.00")


@pytest.mark.django_db
def test_a_chargeback_before_the_payment_completed_is_retried_and_then_posted_once():
    payment = _pending_card_payment()
    pi = payment.gateway_reference
    bodies = [
        event("charge.dispute.created", dispute(payment_intent=pi), "evt_d_early1"),
        event("charge.dispute.funds_withdrawn", dispute(payment_intent=pi), "evt_d_early2"),
    ]

    assert [post(b).status_code for b in bodies] == [409, 409]
    assert not Dispute.objects.exists()
    _succeeded(payment)
    assert [post(b).status_code for b in bodies] == [200, 200]
    assert [post(b).json()["duplicate"] for b in bodies] == [True, True]
    rows = Payment.objects.filter(original=payment)
    assert [(r.relation, r.total) for r in rows] == [("chargeback", Decimal("-50.00"))]
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")


@pytest.mark.django_db
def test_a_refund_of_a_cancelled_payment_is_still_refused_for_good():
    from paydesk.ledger.services import payment_cancel

    payment = _pending_card_payment()
    payment_cancel(payment=payment, reason="Declined.")
    body = event("refund.created", refund(payment_intent=payment.gateway_reference), "evt_r_gone")

    answer = post(body)

    assert answer.status_code == 200 and answer.json()["status"] == "refused"
    assert not Payment.objects.filter(original=payment).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_the_payments_success_is_retried_or_applied_once_on_postgresql():
    from paydesk.checkout.events import gateway_event_apply
    from paydesk.errors import EventTooEarly
    from tests.vouchers.conftest import run_at_once

    payment = _pending_card_payment()
    body = event("refund.created", refund(payment_intent=payment.gateway_reference), "evt_r_race")
    told = parse_stripe_event(body)

    def work(i: int):
        if i == 0:
            return _succeeded(payment)
        return gateway_event_apply(event=told)

    results = run_at_once(5, work)

    assert all(
        r is None or not isinstance(r, Exception) or isinstance(r, EventTooEarly) for r in results
    ), results
    gateway_event_apply(event=told)  # the gateway's retry (a duplicate if one got through)
    rows = Payment.objects.filter(original=payment)
    assert [(r.relation, r.total) for r in rows] == [("refund", Decimal("-15.00"))]
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("35.00")
