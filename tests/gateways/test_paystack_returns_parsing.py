"""Paystack's refund and dispute webhooks, in the shapes Paystack documents, parsed into ours."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from paydesk.errors import GatewayError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.paystack.disputes import (
    REASONS,
    RESOLUTIONS,
    STATUSES,
    reason_words,
    status_words,
)
from paydesk.gateways.paystack.events import UNCONFIRMED
from paydesk.gateways.paystack.gateway import PaystackGateway
from paydesk.gateways.paystack.webhooks import parse_paystack_event
from paydesk.money import Money


def _body(kind: str, data: dict) -> bytes:
    return json.dumps({"event": kind, "data": data}).encode()


REFUND = {
    "status": "processed",
    "transaction_reference": "PD-ABC123",
    "refund_reference": "1320133",
    "amount": "5000",
    "currency": "NGN",
    "processor": "mpgs_zen",
    "customer": {"first_name": None, "last_name": None, "email": "a@example.com"},
    "integration": 412829,
    "domain": "live",
}


def test_a_processed_refund_names_the_payment_and_waits_for_its_id():
    event = parse_paystack_event(_body("refund.processed", REFUND))
    assert isinstance(event, RefundEvent)
    assert event.outcome is Outcome.COMPLETED and event.refund_id == UNCONFIRMED
    assert event.payment_reference == "PD-ABC123"
    assert event.amount == Money(Decimal("50.00"), "NGN")
    again = parse_paystack_event(_body("refund.processed", REFUND))
    assert again.event_id == event.event_id  # a redelivery has the same id


def test_needs_attention_carries_the_id_and_our_marker_and_failed_takes_an_integer():
    data = {
        **REFUND,
        "status": "needs-attention",
        "id": "123456",
        "amount": 5306,
        "merchant_note": "[paydesk:PD-REF9] Customer asked",
    }
    event = parse_paystack_event(_body("refund.needs-attention", data))
    assert (event.refund_id, event.refund_reference) == ("123456", "PD-REF9")
    assert event.outcome is Outcome.PENDING and event.amount.amount == Decimal("53.06")
    failed = parse_paystack_event(_body("refund.failed", {**REFUND, "amount": 20000}))
    assert failed.outcome is Outcome.CANCELLED and failed.amount.amount == Decimal("200.00")


def test_a_refund_without_an_amount_is_unreadable():
    with pytest.raises(GatewayError):
        parse_paystack_event(_body("refund.processed", {**REFUND, "amount": 12.5}))


DISPUTE = {
    "id": 358950,
    "refund_amount": 500000,
    "currency": "NGN",
    "status": "awaiting-merchant-feedback",
    "resolution": None,
    "category": "chargeback",
    "transaction": {"id": 896467688, "reference": "PD-ABC123", "currency": "NGN"},
    "dueAt": "2026-09-29T12:00:00.000Z",
}


@pytest.mark.parametrize(
    ("kind", "changes", "stage"),
    [
        ("charge.dispute.create", {}, DisputeStage.OPENED),
        ("charge.dispute.remind", {}, DisputeStage.UPDATED),
        ("charge.dispute.resolve", {"resolution": "merchant-accepted"}, DisputeStage.LOST),
        ("charge.dispute.resolve", {"resolution": "declined"}, DisputeStage.WON),
        ("charge.dispute.resolve", {"resolution": "something-new"}, DisputeStage.CLOSED),
    ],
)
def test_dispute_stages(kind, changes, stage):
    event = parse_paystack_event(_body(kind, {**DISPUTE, **changes}))
    assert isinstance(event, DisputeEvent) and event.stage is stage
    assert (event.dispute_id, event.transaction_id) == ("358950", "896467688")
    said = "the customer says they did not receive what they paid for, or not as promised"
    assert event.payment_reference == "PD-ABC123" and event.reason == said
    assert event.summary["category"] == "chargeback"  # the code, for the payment log
    assert event.amount == Money(Decimal("5000.00"), "NGN")
    assert event.evidence_due.isoformat() == "2026-09-29T12:00:00+00:00"


# What Paystack documents: the dispute `status` enumeration of its OpenAPI description
# (/work/shared/reference/gateways/paystack-openapi.yaml, `GET /dispute`) and `archived`, which
# its client libraries list besides; the categories of its disputes guide; the resolutions of
# `PUT /dispute/{id}/resolve`.
PAYSTACK_STATUSES = (
    "awaiting-merchant-feedback", "awaiting-bank-feedback", "pending", "resolved", "archived",
)  # fmt: skip
PAYSTACK_CATEGORIES = ("chargeback", "fraud")
PAYSTACK_RESOLUTIONS = ("merchant-accepted", "declined")


def test_every_dispute_status_and_category_paystack_documents_has_words():
    """Paystack's `fraud` reached the customer's chargeback row and the back office as it came,
    an accusation; `awaiting-merchant-feedback` as a code. Each value Paystack documents reads
    as words, and the words never call anyone a fraud."""
    assert sorted(set(PAYSTACK_STATUSES) - set(STATUSES)) == []
    assert sorted(set(PAYSTACK_CATEGORIES) - set(REASONS)) == []
    assert sorted(set(PAYSTACK_RESOLUTIONS) - set(RESOLUTIONS)) == []
    for words in [*REASONS.values(), *STATUSES.values(), *RESOLUTIONS.values()]:
        assert "-" not in words and "_" not in words and "fraud" not in words.lower(), words
    assert status_words("awaiting-merchant-feedback").startswith("Waiting for your response")
    event = parse_paystack_event(_body("charge.dispute.create", {**DISPUTE, "category": "fraud"}))
    said = "the cardholder says they did not authorise the payment or do not recognise it"
    assert event.reason == said
    assert event.summary["category"] == "fraud"


def test_a_resolved_dispute_s_status_reads_with_its_resolution():
    """Paydesk keeps a resolved dispute's status as "resolved (declined)": both in words."""
    event = parse_paystack_event(
        _body("charge.dispute.resolve", {**DISPUTE, "status": "resolved", "resolution": "declined"})
    )
    assert event.gateway_status == "resolved (declined)"
    said = PaystackGateway.dispute_status_words(event.gateway_status)
    assert said == "Resolved: you declined it and the payment stands"
    accepted = status_words("resolved (merchant-accepted)")
    assert accepted == "Resolved: you accepted it and the customer is refunded"


def test_a_code_paystack_adds_later_reads_as_itself():
    assert reason_words("friendly-fraud_claim") == "friendly fraud claim"
    assert status_words("awaiting-customer-feedback") == "awaiting customer feedback"
    assert status_words("resolved (partly-accepted)") == "Resolved: partly accepted"
    assert reason_words("") == "" and status_words("") == ""
    event = parse_paystack_event(_body("charge.dispute.create", {**DISPUTE, "category": None}))
    assert event.reason == "dispute"
