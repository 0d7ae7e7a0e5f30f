"""Razorpay's refund.* and payment.dispute.* webhooks read into RefundEvent / DisputeEvent, with
bodies shaped as Razorpay's docs show its refund and dispute entities."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.razorpay.disputes import (
    PHASES,
    REASONS,
    STATUSES,
    phase_words,
    reason_words,
    status_words,
)
from paydesk.gateways.razorpay.gateway import RazorpayGateway
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
    "reason_code": "goods_or_services_not_received_or_partially_received",
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
    said = "the customer says they did not receive what they paid for, or only part of it"
    assert parsed.reason == said  # from the code, not the free text
    assert parsed.summary["reason_code"] == DISPUTE["reason_code"]  # the code, for the log
    assert parsed.summary["reason_description"] == "Goods not received"
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


# What Razorpay documents: the dispute entity's `status` values and the phases of "About
# Disputes" (razorpay.com/docs/api/disputes/entity, /docs/payments/disputes); the `reason_code`
# values its API reference, its dispute webhook payloads (/docs/webhooks/disputes) and
# razorpay-python's dispute fixtures show. Razorpay publishes no list of reason codes.
RAZORPAY_STATUSES = ("open", "under_review", "won", "lost", "closed")
RAZORPAY_PHASES = ("retrieval", "chargeback", "pre_arbitration", "arbitration", "fraud")
RAZORPAY_REASON_CODES = (
    "goods_or_services_not_received_or_partially_received",
    "processed_invalid_expired_card",
    "non_matching_account_number",
    "warning_bulletin_or_exception_file",
    "chargeback",
    "pre_arbitration",
)


def test_every_dispute_status_phase_and_reason_razorpay_documents_has_words():
    """Razorpay's codes reached the back office as they came ("open (fraud)",
    "processed_invalid_expired_card"), and its free text as the chargeback's reason. Each value
    Razorpay documents reads as words, and the words never call anyone a fraud."""
    assert sorted(set(RAZORPAY_STATUSES) - set(STATUSES)) == []
    assert sorted(set(RAZORPAY_PHASES) - set(PHASES)) == []
    assert sorted(set(RAZORPAY_REASON_CODES) - set(REASONS)) == []
    for words in [*REASONS.values(), *STATUSES.values(), *PHASES.values()]:
        assert "_" not in words and "fraud" not in words.lower(), words
    assert status_words("open").startswith("Waiting for your response")
    assert RazorpayGateway.dispute_reasons is REASONS


def test_a_status_reads_with_its_phase():
    """Paydesk keeps a dispute's status with its phase, "open (fraud)": both in words."""
    dispute = {**DISPUTE, "status": "closed", "phase": "fraud"}
    parsed = parse_razorpay_event(body("payment.dispute.closed", payment=PAYMENT, dispute=dispute))
    assert parsed.gateway_status == "closed (fraud)"
    assert RazorpayGateway.dispute_status_words(parsed.gateway_status) == (
        "Closed at Razorpay: nothing more to do "
        "(stage: risk review, raised by the customer's bank after its own checks)"
    )
    assert status_words("under_review (pre_arbitration)") == (
        "Your evidence was sent: the customer's bank is reviewing it "
        "(stage: pre-arbitration, the claim made again after you won)"
    )


def test_the_reason_comes_from_the_code_never_the_free_text():
    """`reason_description` is the bank's or Razorpay's own text: kept for the log, never the
    reason; a dispute with no code reads "dispute"."""
    dispute = {
        **DISPUTE,
        "reason_code": "processed_invalid_expired_card",
        "reason_description": "Fraudulent transaction",
    }
    parsed = parse_razorpay_event(body("payment.dispute.created", payment=PAYMENT, dispute=dispute))
    said = "the customer's bank says the card was invalid or expired when it was charged"
    assert parsed.reason == said
    assert parsed.summary["reason_description"] == "Fraudulent transaction"
    no_code = {**DISPUTE, "reason_code": None, "reason_description": "Fraudulent transaction"}
    parsed = parse_razorpay_event(body("payment.dispute.created", payment=PAYMENT, dispute=no_code))
    assert parsed.reason == "dispute"


def test_a_code_razorpay_adds_later_reads_as_itself():
    assert reason_words("duplicate_processing") == "duplicate processing"
    assert phase_words("good_faith") == "good faith"
    assert status_words("action_required") == "action required"
    assert status_words("open (good_faith)") == (
        "Waiting for your response: accept or contest it in Razorpay before the deadline "
        "(stage: good faith)"
    )
    assert status_words("on_hold (retrieval)").startswith("on hold (stage: retrieval, ")
    assert reason_words("") == "" and status_words("") == "" and phase_words("") == ""


def test_the_razorpay_guide_lists_the_words_the_code_shows():
    """docs/gateways/razorpay.md's tables are what Finance is told they will read."""
    guide = (Path(__file__).parents[2] / "docs" / "gateways" / "razorpay.md").read_text()
    for code, words in [*STATUSES.items(), *PHASES.items(), *REASONS.items()]:
        assert f"| `{code}` | {words} |" in guide, code
