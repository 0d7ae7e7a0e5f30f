"""Razorpay refunds and disputes as Paydesk's events (RefundEvent, DisputeEvent). Pure: no model,
no database, no setting.

Refund entity (docs "Refunds Entity"): `{id: "rfnd_…", amount (subunits), currency, payment_id,
notes, receipt, status: pending | processed | failed, speed_requested, speed_processed,
created_at}`. Webhooks `refund.created`, `refund.processed`, `refund.failed` carry it as
`payload.refund.entity`, with the refunded payment as `payload.payment.entity`.

Dispute entity (docs "Disputes Entity"): `{id: "disp_…", payment_id, amount, currency,
amount_deducted, reason_code, reason_description, respond_by (unix time), status: open |
under_review | won | lost | closed, phase}`. Webhooks `payment.dispute.created`,
`.under_review`, `.action_required`, `.won`, `.lost`, `.closed` carry it as
`payload.dispute.entity`, with the payment as `payload.payment.entity`. Its reason is kept in
words from `reason_code` (disputes.py says why not `reason_description`); the code and the text
stay in the summary.

Binding (only what Paydesk's server set or Razorpay's server returned): the refunded or disputed
payment by its Razorpay payment id (`payment_id` = Payment.gateway_transaction) and its order id
(= Payment.gateway_reference); a refund row by the refund id, or by our refund reference in the
refund's `notes.paydesk_refund` / `receipt` (set by Paydesk's server when it asked for the
refund). Never a payment entity's notes: the payer's browser sets those.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paydesk.gateways.base import (
    DisputeEvent,
    DisputeStage,
    Outcome,
    RefundEvent,
)
from paydesk.gateways.razorpay.client import GATEWAY
from paydesk.gateways.razorpay.disputes import reason_words
from paydesk.gateways.signing import mapping, money_from_minor_units, text

# The notes key Paydesk sets on a refund it asks for: the refund row's reference.
REFUND_KEY = "paydesk_refund"
REFUND_EVENTS = ("refund.created", "refund.processed", "refund.failed")
FAILED_REASON = "Razorpay could not send the refund back (refund failed)."
_REFUND_STATUS = {
    "processed": Outcome.COMPLETED,
    "failed": Outcome.CANCELLED,
    "pending": Outcome.PENDING,
    "created": Outcome.PENDING,
}
_DISPUTE_STAGES = {
    "payment.dispute.created": DisputeStage.OPENED,
    "payment.dispute.under_review": DisputeStage.UPDATED,
    "payment.dispute.action_required": DisputeStage.UPDATED,
    "payment.dispute.won": DisputeStage.WON,
    "payment.dispute.lost": DisputeStage.LOST,
    "payment.dispute.closed": DisputeStage.CLOSED,
}
DISPUTE_EVENTS = tuple(_DISPUTE_STAGES)


def refund_reference_of(refund: Mapping[str, Any]) -> str:
    """Our refund reference on a refund Paydesk asked for ('' on one made in the dashboard
    without it)."""
    return text(mapping(refund.get("notes")).get(REFUND_KEY)) or text(refund.get("receipt"))


def refund_event(
    refund: Mapping[str, Any],
    *,
    event_id: str,
    kind: str = "",
    gateway_reference: str = "",
) -> RefundEvent | None:
    """Our event for a refund entity (`kind`, a webhook's event type, decides the outcome when
    given; else the refund's status); None when it names no refund or amount."""
    refund_id = text(refund.get("id"))
    status = text(refund.get("status"))
    amount = money_from_minor_units(refund.get("amount"), text(refund.get("currency")))
    if not refund_id or amount is None or amount.amount <= 0:
        return None
    if kind == "refund.processed":
        outcome = Outcome.COMPLETED
    elif kind == "refund.failed":
        outcome = Outcome.CANCELLED
    else:
        outcome = _REFUND_STATUS.get(status, Outcome.PENDING)
    payment_id = text(refund.get("payment_id"))
    return RefundEvent(
        gateway=GATEWAY,
        event_id=event_id or f"{kind or 'refund'}:{refund_id}:{status}",
        refund_id=refund_id,
        outcome=outcome,
        amount=amount,
        transaction_id=payment_id,
        gateway_reference=gateway_reference,
        refund_reference=refund_reference_of(refund),
        reason=FAILED_REASON if outcome is Outcome.CANCELLED else "",
        summary={
            "event": kind,
            "refund_id": refund_id,
            "payment_id": payment_id,
            "status": status,
            "speed_processed": text(refund.get("speed_processed")),
            "receipt": text(refund.get("receipt")),
        },
    )


def parse_refund_event(kind: str, payload: Mapping[str, Any], event_id: str) -> RefundEvent | None:
    """A `refund.*` webhook's event (None when the body names no usable refund)."""
    refund = mapping(mapping(payload.get("refund")).get("entity"))
    payment = mapping(mapping(payload.get("payment")).get("entity"))
    if text(payment.get("id")) and text(payment.get("id")) != text(refund.get("payment_id")):
        return None  # a payment entity that is not the refund's: bound to neither
    return refund_event(
        refund,
        event_id=event_id or f"{kind}:{text(refund.get('id'))}",
        kind=kind,
        gateway_reference=text(payment.get("order_id")),
    )


def _when(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_dispute_event(
    kind: str, payload: Mapping[str, Any], event_id: str
) -> DisputeEvent | None:
    """A `payment.dispute.*` webhook's event. Stages: created → opened, or funds withdrawn when
    Razorpay deducted the amount at once (`amount_deducted` above 0: "deduct at onset");
    under_review, action_required → updated; won, lost, closed as they say. The amount is the
    deducted one when money was taken, else the disputed one (in the paid currency)."""
    dispute = mapping(mapping(payload.get("dispute")).get("entity"))
    payment = mapping(mapping(payload.get("payment")).get("entity"))
    dispute_id = text(dispute.get("id"))
    payment_id = text(dispute.get("payment_id")) or text(payment.get("id"))
    if not dispute_id or not payment_id:
        return None
    if text(payment.get("id")) and text(payment.get("id")) != payment_id:
        return None
    currency = text(dispute.get("currency"))
    disputed = money_from_minor_units(dispute.get("amount"), currency)
    deducted = money_from_minor_units(dispute.get("amount_deducted"), currency)
    taken = deducted is not None and deducted.amount > 0
    stage = _DISPUTE_STAGES[kind]
    if stage is DisputeStage.OPENED and taken:
        stage = DisputeStage.FUNDS_WITHDRAWN
    amount = deducted if taken else disputed
    status = text(dispute.get("status"))
    phase = text(dispute.get("phase"))
    reason = reason_words(text(dispute.get("reason_code"))) or "dispute"
    return DisputeEvent(
        gateway=GATEWAY,
        event_id=event_id or f"{kind}:{dispute_id}",
        dispute_id=dispute_id,
        stage=stage,
        amount=amount if amount is not None and amount.amount > 0 else None,
        transaction_id=payment_id,
        gateway_reference=text(payment.get("order_id")),
        reason=reason[:300],
        gateway_status=f"{status} ({phase})" if phase else status,
        evidence_due=_when(dispute.get("respond_by")),
        summary={
            "event": kind,
            "dispute_id": dispute_id,
            "payment_id": payment_id,
            "status": status,
            "phase": phase,
            "reason_code": text(dispute.get("reason_code")),
            "reason_description": text(dispute.get("reason_description"))[:300],
        },
    )
