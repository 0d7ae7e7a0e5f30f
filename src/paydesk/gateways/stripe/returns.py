"""Stripe refunds and disputes → RefundEvent / DisputeEvent (pure: no model, no setting).

A Refund (`re_…`) names the PaymentIntent it refunds (`payment_intent`, Paydesk's
`Payment.gateway_transaction` of a card payment) and, when Paydesk made it, carries our refund
row's reference in `metadata.paydesk_refund` (and the payment's in `metadata.paydesk_reference`).
A refund made in Stripe's Dashboard has neither: it is bound by its PaymentIntent alone.

A Dispute (`dp_…`) names its PaymentIntent (`payment_intent`) and its charge; Paydesk knows only
intents, so a dispute of a charge made without one binds to nothing (refused, logged).

Refund status → outcome: `succeeded` → completed; `pending`, `requires_action` → pending;
`failed`, `canceled` → cancelled (reason: Stripe's `failure_reason`).

Dispute event → stage: `charge.dispute.created` → opened, `.updated` → updated,
`.funds_withdrawn` → funds withdrawn, `.funds_reinstated` → funds reinstated, `.closed` → won /
lost by the dispute's `status` (`won`, `lost`), closed otherwise (`warning_closed` of an inquiry,
`prevented`). Its `reason` is kept in words (disputes.py; the code stays in the summary).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paydesk.errors import GatewayError, PaydeskError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.signing import mapping, money_from_minor_units, text
from paydesk.gateways.stripe.disputes import reason_words
from paydesk.gateways.stripe.webhooks import GATEWAY_NAME, REFERENCE_KEY, stripe_exponent
from paydesk.money import Money

# Metadata keys Paydesk sets on a refund it asks Stripe for.
REFUND_KEY = "paydesk_refund"
PAYMENT_KEY = REFERENCE_KEY
REASON_KEY = "paydesk_reason"

REFUND_TYPES = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)
DISPUTE_STAGES = {
    "charge.dispute.created": DisputeStage.OPENED,
    "charge.dispute.updated": DisputeStage.UPDATED,
    "charge.dispute.funds_withdrawn": DisputeStage.FUNDS_WITHDRAWN,
    "charge.dispute.funds_reinstated": DisputeStage.FUNDS_REINSTATED,
    "charge.dispute.closed": DisputeStage.CLOSED,
}
_REFUND_OUTCOMES = {
    "succeeded": Outcome.COMPLETED,
    "pending": Outcome.PENDING,
    "requires_action": Outcome.PENDING,
    "failed": Outcome.CANCELLED,
    "canceled": Outcome.CANCELLED,
}
_FAILURES = {
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "expired_or_canceled_card": "the card has expired or was cancelled",
    "charge_for_pending_refund_disputed": "the payment was disputed while the refund was pending",
    "insufficient_funds": "the Stripe balance had insufficient funds",
    "declined": "the card's bank declined the refund",
    "merchant_request": "cancelled at the merchant's request",
    "unknown": "unknown reason",
}
_REFUND_SUMMARY = ("id", "object", "status", "amount", "currency", "payment_intent", "charge")


def _id(value: Any) -> str:
    """An id field that may come expanded (an object with `id`) or as the id itself."""
    return text(mapping(value).get("id")) if isinstance(value, Mapping) else text(value)


def _stripe_money(units: Any, currency: str) -> Money | None:
    try:
        exponent = stripe_exponent(currency)
    except PaydeskError:
        return None
    return money_from_minor_units(units, currency, exponent=exponent)


def refund_summary(refund: Mapping[str, Any]) -> dict[str, str]:
    """What the payment log keeps of a Refund."""
    summary = {name: _id(refund.get(name)) for name in _REFUND_SUMMARY if refund.get(name)}
    metadata = mapping(refund.get("metadata"))
    for key in (REFUND_KEY, PAYMENT_KEY):
        if metadata.get(key):
            summary[f"metadata.{key}"] = text(metadata.get(key))
    for key in ("failure_reason", "pending_reason"):
        if refund.get(key):
            summary[key] = text(refund.get(key))
    return summary


def refund_list_summary(page: Mapping[str, Any]) -> dict[str, str]:
    """What the payment log keeps of a page of refunds: their ids and Paydesk references."""
    items = page.get("data")
    refunds = [mapping(r) for r in items] if isinstance(items, list) else []
    return {
        "refunds": " ".join(
            f"{text(r.get('id'))}={text(mapping(r.get('metadata')).get(REFUND_KEY)) or '-'}"
            for r in refunds
        )[:500],
        "has_more": str(bool(page.get("has_more"))).lower(),
    }


def refund_object_event(refund: Mapping[str, Any], *, event_id: str, kind: str) -> RefundEvent:
    """Our event for one Stripe Refund object (GatewayError when it is not one we can read)."""
    refund_id = text(refund.get("id"))
    if text(refund.get("object")) != "refund" or not refund_id:
        raise GatewayError("Stripe's answer is not a Refund.")
    status = text(refund.get("status"))
    outcome = _REFUND_OUTCOMES.get(status)
    if outcome is None:
        raise GatewayError(f"Stripe's refund {refund_id} has an unknown status '{status[:30]}'.")
    amount = _stripe_money(refund.get("amount"), text(refund.get("currency")))
    if amount is None or amount.amount <= 0:
        raise GatewayError(f"Stripe's refund {refund_id} has no readable amount.")
    metadata = mapping(refund.get("metadata"))
    reason = ""
    if outcome is Outcome.CANCELLED:
        failure = text(refund.get("failure_reason")) or "unknown"
        reason = f"Stripe: {_FAILURES.get(failure, failure.replace('_', ' '))}."
    elif outcome is Outcome.PENDING and refund.get("pending_reason"):
        reason = f"Pending at Stripe: {text(refund.get('pending_reason')).replace('_', ' ')}."
    intent = _id(refund.get("payment_intent"))
    return RefundEvent(
        gateway=GATEWAY_NAME,
        event_id=event_id,
        refund_id=refund_id,
        outcome=outcome,
        amount=amount,
        transaction_id=intent,
        gateway_reference=intent,
        payment_reference=text(metadata.get(PAYMENT_KEY)),
        refund_reference=text(metadata.get(REFUND_KEY)),
        reason=reason[:300],
        summary={**refund_summary(refund), "type": kind},
    )


def _charge_refund(charge: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The newest Refund listed on a `charge.refunded` charge (API versions before 2022-11-15
    list them; newer ones do not, and Paydesk then reads the `refund.*` events instead)."""
    listed = mapping(charge.get("refunds")).get("data")
    refunds = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
    if not refunds:
        return None
    newest = max(refunds, key=lambda r: r["created"] if isinstance(r.get("created"), int) else 0)
    if not newest.get("payment_intent"):
        newest = {**newest, "payment_intent": charge.get("payment_intent")}
    return newest


def dispute_object_event(dispute: Mapping[str, Any], *, event_id: str, kind: str) -> DisputeEvent:
    """Our event for a `charge.dispute.*` notification about `dispute`."""
    dispute_id = text(dispute.get("id"))
    if text(dispute.get("object")) != "dispute" or not dispute_id:
        raise GatewayError("Stripe's notification carries no Dispute.")
    status = text(dispute.get("status"))
    stage = DISPUTE_STAGES[kind]
    if stage is DisputeStage.CLOSED:
        stage = {"won": DisputeStage.WON, "lost": DisputeStage.LOST}.get(status, stage)
    amount = _stripe_money(dispute.get("amount"), text(dispute.get("currency")))
    due = mapping(dispute.get("evidence_details")).get("due_by")
    evidence_due = (
        datetime.fromtimestamp(due, tz=UTC)
        if isinstance(due, int) and not isinstance(due, bool) and 0 < due < 10**11
        else None
    )
    intent = _id(dispute.get("payment_intent"))
    charge = _id(dispute.get("charge"))
    return DisputeEvent(
        gateway=GATEWAY_NAME,
        event_id=event_id,
        dispute_id=dispute_id,
        stage=stage,
        amount=amount if amount is not None and amount.amount > 0 else None,
        # Paydesk knows the intent; a charge id alone (no intent) binds to nothing: refused.
        transaction_id=intent or charge,
        gateway_reference=intent,
        reason=reason_words(text(dispute.get("reason")))[:300],
        gateway_status=status[:40],
        evidence_due=evidence_due,
        summary={
            "type": kind,
            "dispute": dispute_id,
            "status": status,
            "reason": text(dispute.get("reason")),
            "payment_intent": intent,
            "charge": charge,
            "amount": text(dispute.get("amount")),
            "currency": text(dispute.get("currency")),
        },
    )


def parse_stripe_return(event: Mapping[str, Any], kind: str) -> RefundEvent | DisputeEvent | None:
    """The refund or dispute event of a verified Stripe event of type `kind`; None when it names
    nothing Paydesk can use (a `charge.refunded` that lists no refund)."""
    event_id = text(event.get("id"))
    data = mapping(mapping(event.get("data")).get("object"))
    if kind in DISPUTE_STAGES:
        return dispute_object_event(data, event_id=event_id, kind=kind)
    if kind == "charge.refunded":
        refund = _charge_refund(data) if text(data.get("object")) == "charge" else None
        return refund_object_event(refund, event_id=event_id, kind=kind) if refund else None
    if kind in REFUND_TYPES:
        return refund_object_event(data, event_id=event_id, kind=kind)
    return None
