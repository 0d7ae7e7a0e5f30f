"""Paystack's refund and dispute notifications mapped to ours (pure: no model, no setting).

Refunds (`refund.pending`, `refund.processing`, `refund.needs-attention`, `refund.processed`,
`refund.failed`): `data.transaction_reference` is the transaction's reference — Paydesk's own
payment reference, set by our server at initialize — and `data.amount` (integer or digits) in
`data.currency`. Paystack's documented refund webhooks carry no refund id and no merchant note
(only `needs-attention` has them; `refund_reference` is the processor's): when either is
missing, the adapter's `notification_confirm` asks Paystack's refund list which refund it is
(gateway.py). processed → completed; failed → cancelled; the others → pending.

Disputes (`charge.dispute.create`, `.remind`, `.resolve`): `data.id` is the dispute,
`data.transaction` the disputed transaction (its `id` is Payment.gateway_transaction, its
`reference` ours), `data.refund_amount` the disputed amount in subunits, `data.dueAt` the
evidence deadline, `data.category` (chargeback, fraud) the reason, kept in words (disputes.py;
the code stays in the summary). Stages: create → opened; remind → updated; resolve with
`resolution` merchant-accepted → lost (Paystack refunds the payer from the merchant's money),
declined → won (Paystack never took the money before the resolution, so nothing comes back),
anything else → closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paydesk.errors import GatewayError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.paystack.disputes import reason_words
from paydesk.gateways.paystack.refunds import (
    PAYSTACK_EXPONENT,
    marked_reference,
    minor_units,
)
from paydesk.gateways.signing import mapping, money_from_minor_units, text

GATEWAY = "paystack"
REFUND_OUTCOMES = {
    "refund.pending": Outcome.PENDING,
    "refund.processing": Outcome.PENDING,
    "refund.needs-attention": Outcome.PENDING,
    "refund.processed": Outcome.COMPLETED,
    "refund.failed": Outcome.CANCELLED,
}
# Stands for the refund id a notification lacks until `notification_confirm` (the webhook
# Receiver's confirm step, always run for Paystack) puts Paystack's own id in its place.
UNCONFIRMED = "unconfirmed"
# Paystack's `needs-attention` refund: it cannot finish it without the customer's bank account
# details (its refund statuses); Finance is asked to look (the refund stays pending).
NEEDS_ATTENTION = (
    "Paystack needs the customer's bank details to finish the refund: see the refund in "
    "Paystack's dashboard."
)
DISPUTE_KINDS = ("charge.dispute.create", "charge.dispute.remind", "charge.dispute.resolve")
RESOLUTIONS = {"merchant-accepted": DisputeStage.LOST, "declined": DisputeStage.WON}


def refund_event_id(kind: str, *, refund_id: str, data: dict[str, Any]) -> str:
    """Deterministic: a redelivery of the same notification gets the same id."""
    if refund_id:
        return f"{kind}:{refund_id}"
    return ":".join(
        [
            kind,
            text(data.get("transaction_reference")),
            text(data.get("refund_reference")),
            text(data.get("amount")),
        ]
    )


def parse_refund(kind: str, data: dict[str, Any]) -> RefundEvent:
    currency = text(data.get("currency")).upper()
    amount = money_from_minor_units(
        minor_units(data.get("amount")), currency, exponent=PAYSTACK_EXPONENT
    )
    if amount is None or amount.amount <= 0:
        raise GatewayError("A Paystack refund notification without a usable amount.")
    refund_id = text(data.get("id"))
    reference = marked_reference(data.get("merchant_note"))
    status = text(data.get("status"))
    outcome = REFUND_OUTCOMES[kind]
    reason = ""
    if outcome is Outcome.CANCELLED:
        reason = f"Failed at Paystack ({text(data.get('processor')) or 'refund.failed'})."
    elif kind == "refund.needs-attention":
        reason = NEEDS_ATTENTION
    return RefundEvent(
        gateway=GATEWAY,
        event_id=refund_event_id(kind, refund_id=refund_id, data=data),
        refund_id=refund_id or (UNCONFIRMED if not reference else ""),
        outcome=outcome,
        amount=amount,
        payment_reference=text(data.get("transaction_reference")),
        refund_reference=reference,
        reason=reason,
        attention=NEEDS_ATTENTION if kind == "refund.needs-attention" else "",
        summary={
            "event": kind,
            "status": status,
            "transaction_reference": text(data.get("transaction_reference")),
            "refund_reference": text(data.get("refund_reference")),
            "amount": str(amount),
            "processor": text(data.get("processor")),
        },
    )


def _when(value: object) -> datetime | None:
    raw = text(value)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_dispute(kind: str, data: dict[str, Any]) -> DisputeEvent:
    dispute_id = text(data.get("id"))
    transaction = mapping(data.get("transaction"))
    currency = text(data.get("currency") or transaction.get("currency")).upper()
    units = minor_units(data.get("refund_amount"))
    amount = money_from_minor_units(units, currency, exponent=PAYSTACK_EXPONENT) if units else None
    resolution = text(data.get("resolution"))
    if kind == "charge.dispute.create":
        stage = DisputeStage.OPENED
    elif kind == "charge.dispute.remind":
        stage = DisputeStage.UPDATED
    else:
        stage = RESOLUTIONS.get(resolution, DisputeStage.CLOSED)
    status = text(data.get("status"))
    return DisputeEvent(
        gateway=GATEWAY,
        event_id=f"{kind}:{dispute_id}:{status}:{resolution}",
        dispute_id=dispute_id,
        stage=stage,
        amount=amount,
        transaction_id=text(transaction.get("id")),
        payment_reference=text(transaction.get("reference")),
        reason=reason_words(text(data.get("category"))) or "dispute",
        gateway_status=f"{status} ({resolution})" if resolution else status,
        evidence_due=_when(data.get("dueAt")),
        summary={
            "event": kind,
            "dispute_id": dispute_id,
            "status": status,
            "resolution": resolution,
            "category": text(data.get("category")),
            "refund_amount": str(amount or ""),
            "transaction_id": text(transaction.get("id")),
            "due_at": text(data.get("dueAt")),
        },
    )
