"""Razorpay's refund.* and payment.dispute.* webhooks read into RefundEvent / DisputeEvent, with
bodies shaped as Razorpay's docs show its refund and dispute entities."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.razorpay.webhooks import parse_razorpay_event
from paydesk.money import Money

PAYMENT = {
    "id": "pay_FgR9UMzgmKDJRi",
    "entity": "payment",
    "amount": 50000,
    "currency": "INR",
    "status": "refunded",
    "order_id": "order_FgR9TfT1vKCYwO",
    "notes": {"paydesk_refund": "FROM-THE-PAYER"},  # the payer's: never read
}
REFUND = {
    "id": "rfnd_FgRAHdNOM4ZVbO",
    "entity": "refund",
    "amount": 12550,
    "currency": "INR",
    "payment_id": "pay_FgR9UMzgmKDJRi",
    "notes": {"paydesk_refund": "7K3M9QX2TB"},
    "receipt": "7K3M9QX2TB",
    "acquirer_data": {"arn": "10000000000000"},
    "created_at": 1600856650,
    "batch_id": None,
    "status": "processed",
    "speed_processed": "normal",
    "speed_requested": "normal",
}
DISPUTE = {
    "id": "disp_AHfqOvkldwsbqt",
    "entity": "dispute",
    "payment_id": "pay_FgR9UMzgmKDJRi",
    "amount": 50000,
    "currency": "INR",
    "amount_deducted": 0,
    "reason_code": "chargeback",
    "reason_description": "Goods not received",
    "respond_by": 1590604200,
    "status": "open",
    "phase": "chargeback",
    "created_at": 1590059211,
}


def body(event: str, **entities: dict) -> bytes:
    return json.dumps(
        {
            "entity": "event",
            "event": event,
            "contains": list(entities),
            "payload": {name: {"entity": value} for name, value in entities.items()},
        }
    ).encode()


@pytest.mark.parametrize(
    ("event", "status", "outcome"),
    [
        ("refund.created", "pending", Outcome.PENDING),
        ("refund.created", "processed", Outcome.COMPLETED),
        ("refund.processed", "processed", Outcome.COMPLETED),
        ("refund.failed", "failed", Outcome.CANCELLED),
    ],
)
def test_refund_events(event, status, outcome):
    parsed = parse_razorpay_event(
        body(event, refund={**REFUND, "status": status}, payment=PAYMENT), event_id="evt_1"
    )
    assert isinstance(parsed, RefundEvent)
    assert (parsed.event_id, parsed.outcome, parsed.refund_id) == ("evt_1", outcome, REFUND["id"])
    assert parsed.amount == Money(Decimal("125.50"), "INR")
    assert parsed.transaction_id == PAYMENT["id"]
    assert parsed.gateway_reference == PAYMENT["order_id"]
    assert parsed.refund_reference == "7K3M9QX2TB"
    assert bool(parsed.reason) is (outcome is Outcome.CANCELLED)


def test_a_dashboard_refund_names_no_reference_and_never_the_payers_notes():
    refund = {**REFUND, "notes": {}, "receipt": None}
    parsed = parse_razorpay_event(body("refund.processed", refund=refund, payment=PAYMENT))
    assert parsed.refund_reference == ""
    assert parsed.event_id == f"refund.processed:{REFUND['id']}"  # same for a redelivery


@pytest.mark.parametrize(
    "refund",
    [{**REFUND, "amount": "125.50"}, {**REFUND, "amount": 0}, {**REFUND, "id": None}],
)
def test_an_unusable_refund_is_no_event(refund):
    assert parse_razorpay_event(body("refund.processed", refund=refund, payment=PAYMENT)) is None


def test_a_refund_beside_another_payment_is_no_event():
    other = {**PAYMENT, "id": "pay_Other00000000"}
    assert parse_razorpay_event(body("refund.processed", refund=REFUND, payment=other)) is None


@pytest.mark.parametrize(
    ("event", "deducted", "stage"),
    [
        ("payment.dispute.created", 0, DisputeStage.OPENED),
        ("payment.dispute.created", 50000, DisputeStage.FUNDS_WITHDRAWN),
        ("payment.dispute.under_review", 0, DisputeStage.UPDATED),
        ("payment.dispute.action_required", 0, DisputeStage.UPDATED),
        ("payment.dispute.won", 0, DisputeStage.WON),
        ("payment.dispute.lost", 50000, DisputeStage.LOST),
        ("payment.dispute.closed", 0, DisputeStage.CLOSED),
    ],
)
def test_dispute_events(event, deducted, stage):
    dispute = {**DISPUTE, "amount_deducted": deducted, "status": event.rsplit(".", 1)[1]}
    parsed = parse_razorpay_event(body(event, payment=PAYMENT, dispute=dispute), event_id="e")
    assert isinstance(parsed, DisputeEvent)
    assert (parsed.stage, parsed.dispute_id) == (stage, DISPUTE["id"])
    assert parsed.amount == Money(Decimal("500.00"), "INR")
    assert parsed.transaction_id == PAYMENT["id"]
    assert parsed.gateway_reference == PAYMENT["order_id"]
    assert parsed.reason == "Goods not received"
    assert parsed.evidence_due == datetime.fromtimestamp(1590604200, tz=UTC)
    assert parsed.gateway_status.endswith("(chargeback)")


def test_a_partial_deduction_is_the_amount_taken():
    dispute = {**DISPUTE, "amount_deducted": 20000, "status": "lost"}
    parsed = parse_razorpay_event(body("payment.dispute.lost", payment=PAYMENT, dispute=dispute))
    assert parsed.amount == Money(Decimal("200.00"), "INR")
    assert parsed.event_id == f"payment.dispute.lost:{DISPUTE['id']}"


def test_other_refund_and_dispute_types_are_ignored():
    assert parse_razorpay_event(body("refund.speed_changed", refund=REFUND)) is None
    assert parse_razorpay_event(body("payment.dispute.unknown", dispute=DISPUTE)) is None
