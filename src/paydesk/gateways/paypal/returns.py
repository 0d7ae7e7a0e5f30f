"""PayPal's refunds, reversals and disputes as Paydesk's RefundEvent and DisputeEvent (pure: no
model, no setting, no database).

Refunds (Payments v2 refund resource, from the refund API's answer or a webhook):
- PAYMENT.CAPTURE.REFUNDED → a RefundEvent: `refund_id` = the refund's id; the refunded capture
  from the refund's `up` link (`…/v2/payments/captures/{id}`, written by PayPal's server);
  `refund_reference` = the refund's `custom_id` (Paydesk sets it to its refund row's reference
  when Finance refunds; a refund made in PayPal's dashboard has none and becomes a new row).
  Status COMPLETED → completed; PENDING → pending; FAILED / CANCELLED → cancelled.

Chargebacks and disputes: one Paydesk dispute per disputed capture — `dispute_id` is the
capture's id, PayPal's case id (PP-D-…) is kept in the reason — because PayPal's
PAYMENT.CAPTURE.REVERSED (the money taken back) names the capture but not the case: keyed alike,
the reversal and the case's own money movement post one chargeback, never two.
- CUSTOMER.DISPUTE.CREATED → opened; CUSTOMER.DISPUTE.UPDATED → updated; either with a money
  movement debiting the seller (DISPUTE_SETTLEMENT) → funds withdrawn, crediting it → funds
  reinstated (the newest such movement counts);
- CUSTOMER.DISPUTE.RESOLVED by `dispute_outcome.outcome_code`: RESOLVED_BUYER_FAVOUR, ACCEPTED →
  lost; RESOLVED_SELLER_FAVOUR, DENIED, RESOLVED_WITH_PAYOUT (PayPal paid the buyer itself),
  CANCELED_BY_BUYER → won; anything else → closed;
- PAYMENT.CAPTURE.REVERSED → funds withdrawn (amount: the reversal's).
The disputed capture is `disputed_transactions[].seller_transaction_id`; the amount
`dispute_amount`; the evidence deadline `seller_response_due_date`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from paydesk.errors import GatewayError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.paypal.disputes import reason_words
from paydesk.gateways.signing import mapping, money_from_decimal, text

GATEWAY_NAME = "paypal"
REFUND_EVENTS = ("PAYMENT.CAPTURE.REFUNDED",)
REVERSAL_EVENTS = ("PAYMENT.CAPTURE.REVERSED",)
DISPUTE_EVENTS = (
    "CUSTOMER.DISPUTE.CREATED",
    "CUSTOMER.DISPUTE.UPDATED",
    "CUSTOMER.DISPUTE.RESOLVED",
)

_REFUND_OUTCOMES = {
    "COMPLETED": Outcome.COMPLETED,
    "PENDING": Outcome.PENDING,
    "FAILED": Outcome.CANCELLED,
    "CANCELLED": Outcome.CANCELLED,
}
_RESOLVED = {
    "RESOLVED_BUYER_FAVOUR": DisputeStage.LOST,
    "ACCEPTED": DisputeStage.LOST,
    "RESOLVED_SELLER_FAVOUR": DisputeStage.WON,
    "DENIED": DisputeStage.WON,
    "RESOLVED_WITH_PAYOUT": DisputeStage.WON,
    "CANCELED_BY_BUYER": DisputeStage.WON,
}


def refund_capture_id(refund: Mapping[str, Any]) -> str:
    """The capture a refund belongs to: the last part of its `up` link's path."""
    links = refund.get("links")
    for link in links if isinstance(links, list) else []:
        link = mapping(link)
        if text(link.get("rel")) != "up":
            continue
        path = urlsplit(text(link.get("href"))).path.rstrip("/")
        head, _, capture_id = path.rpartition("/")
        if head.endswith("/v2/payments/captures") and capture_id.isalnum():
            return capture_id
    return ""


def refund_event(
    refund: Mapping[str, Any],
    *,
    event_id: str,
    capture_id: str = "",
    refund_reference: str = "",
) -> RefundEvent:
    """A RefundEvent of a PayPal refund resource. `capture_id` / `refund_reference` are what
    Paydesk asked about, when it asked (the API's answer); the resource's own win otherwise."""
    status = text(refund.get("status")).upper()
    outcome = _REFUND_OUTCOMES.get(status)
    if outcome is None:
        raise GatewayError(f"PayPal refund status {status or 'missing'} is not one Paydesk knows.")
    part = mapping(refund.get("amount"))
    amount = money_from_decimal(part.get("value"), part.get("currency_code"))
    if amount is None:
        raise GatewayError("PayPal's refund has no readable amount.")
    why = text(mapping(refund.get("status_details")).get("reason"))
    reason = ""
    if outcome is Outcome.CANCELLED:
        reason = f"PayPal: refund {status.lower()}" + (f" ({why})." if why else ".")
    elif outcome is Outcome.PENDING and why:
        reason = f"PayPal holds the refund ({why})."
    return RefundEvent(
        gateway=GATEWAY_NAME,
        event_id=event_id,
        refund_id=text(refund.get("id")),
        outcome=outcome,
        amount=amount,
        transaction_id=refund_capture_id(refund) or capture_id,
        refund_reference=text(refund.get("custom_id")) or refund_reference,
        reason=reason,
        summary={
            "refund_id": text(refund.get("id")),
            "refund_status": status,
            "capture_id": refund_capture_id(refund) or capture_id,
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


def _movement_stage(dispute: Mapping[str, Any]) -> DisputeStage | None:
    """Funds withdrawn / reinstated, from the newest settlement movement on the seller."""
    movements = dispute.get("money_movements")
    found = None
    for movement in movements if isinstance(movements, list) else []:
        movement = mapping(movement)
        if text(movement.get("affected_party")) != "SELLER":
            continue
        if text(movement.get("reason")) not in ("", "DISPUTE_SETTLEMENT"):
            continue  # a fee, not the disputed money
        kind = text(movement.get("type"))
        if kind == "DEBIT":
            found = DisputeStage.FUNDS_WITHDRAWN
        elif kind == "CREDIT":
            found = DisputeStage.FUNDS_REINSTATED
    return found


def dispute_stage(event_type: str, dispute: Mapping[str, Any]) -> DisputeStage:
    if event_type == "CUSTOMER.DISPUTE.RESOLVED":
        outcome = text(mapping(dispute.get("dispute_outcome")).get("outcome_code"))
        return _RESOLVED.get(outcome, DisputeStage.CLOSED)
    moved = _movement_stage(dispute)
    if moved is not None:
        return moved
    if event_type == "CUSTOMER.DISPUTE.CREATED":
        return DisputeStage.OPENED
    return DisputeStage.UPDATED


def dispute_event(event: Mapping[str, Any]) -> DisputeEvent:
    """A DisputeEvent of a CUSTOMER.DISPUTE.* webhook."""
    kind = text(event.get("event_type"))
    dispute = mapping(event.get("resource"))
    transactions = dispute.get("disputed_transactions")
    capture_id = ""
    for item in transactions if isinstance(transactions, list) else []:
        capture_id = text(mapping(item).get("seller_transaction_id"))
        if capture_id:
            break
    if not capture_id:
        raise GatewayError("PayPal's dispute names no seller transaction.")
    part = mapping(dispute.get("dispute_amount"))
    case = text(dispute.get("dispute_id"))
    why = reason_words(text(dispute.get("reason"))) or "dispute"
    status = text(dispute.get("status"))
    return DisputeEvent(
        gateway=GATEWAY_NAME,
        event_id=text(event.get("id")),
        dispute_id=capture_id,
        stage=dispute_stage(kind, dispute),
        amount=money_from_decimal(part.get("value"), part.get("currency_code")),
        transaction_id=capture_id,
        reason=f"{why} (PayPal case {case})" if case else why,
        gateway_status=status,
        evidence_due=_when(dispute.get("seller_response_due_date")),
        summary={
            "event_type": kind,
            "dispute_id": case,
            "capture_id": capture_id,
            "status": status,
            "reason": text(dispute.get("reason")),
            "stage": text(dispute.get("dispute_life_cycle_stage")),
            "outcome": text(mapping(dispute.get("dispute_outcome")).get("outcome_code")),
        },
    )


def reversal_event(event: Mapping[str, Any]) -> DisputeEvent:
    """A PAYMENT.CAPTURE.REVERSED webhook: PayPal took the captured money back."""
    reversal = mapping(event.get("resource"))
    capture_id = refund_capture_id(reversal)
    if not capture_id:
        raise GatewayError("PayPal's reversal names no capture.")
    part = mapping(reversal.get("amount"))
    return DisputeEvent(
        gateway=GATEWAY_NAME,
        event_id=text(event.get("id")),
        dispute_id=capture_id,
        stage=DisputeStage.FUNDS_WITHDRAWN,
        amount=money_from_decimal(part.get("value"), part.get("currency_code")),
        transaction_id=capture_id,
        summary={
            "event_type": text(event.get("event_type")),
            "reversal_id": text(reversal.get("id")),
            "capture_id": capture_id,
            "status": text(reversal.get("status")),
        },
    )


def parse_return_event(event: Mapping[str, Any]) -> RefundEvent | DisputeEvent | None:
    """The refund or dispute event of a verified PayPal webhook; None for other types."""
    kind = text(event.get("event_type"))
    if kind in REFUND_EVENTS:
        return refund_event(mapping(event.get("resource")), event_id=text(event.get("id")))
    if kind in REVERSAL_EVENTS:
        return reversal_event(event)
    if kind in DISPUTE_EVENTS:
        return dispute_event(event)
    return None
