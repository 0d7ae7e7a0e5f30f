"""Razorpay webhooks and the checkout's payment signature; payment events mapped to ours.

Pure: no model, no database, no setting. Both signatures are hex HMAC-SHA256: the webhook's over
the raw body with the webhook secret, the checkout's over "{order_id}|{payment_id}" with the key
secret — with the order id Paydesk stored, never the one the browser sends back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paydesk.gateways.base import AnyGatewayEvent, GatewayEvent, Outcome
from paydesk.gateways.razorpay.refunds import (
    DISPUTE_EVENTS,
    REFUND_EVENTS,
    parse_dispute_event,
    parse_refund_event,
)
from paydesk.gateways.signing import (
    fee_from,
    hmac_verify,
    json_object,
    mapping,
    money_from_minor_units,
    text,
)

GATEWAY_NAME = "razorpay"
SIGNATURE_HEADER = "X-Razorpay-Signature"
EVENT_ID_HEADER = "X-Razorpay-Event-Id"
# The notes key our Razorpay client sets, server-side, on the ORDER to the payment's reference
# (the order's receipt too). A payment entity's notes are what Razorpay Checkout was given in the
# payer's browser: they never bind an event to a payment.
REFERENCE_KEY = "paydesk_reference"

_OUTCOMES = {
    "payment.captured": Outcome.COMPLETED,
    "order.paid": Outcome.COMPLETED,
    "payment.failed": Outcome.CANCELLED,
    "payment.authorized": Outcome.PENDING,
}


def razorpay_webhook_verify(*, body: bytes, signature: str | None, secret: str) -> None:
    """WebhookSignatureInvalid unless `signature` is HMAC-SHA256(webhook secret, raw body)."""
    hmac_verify(secret=secret, message=body, signature=signature, digest="sha256")


def razorpay_payment_signature_verify(
    *, stored_order_id: str, payment_id: str, signature: str | None, key_secret: str
) -> None:
    """WebhookSignatureInvalid unless the checkout's signature matches OUR stored order id."""
    hmac_verify(
        secret=key_secret,
        message=f"{stored_order_id}|{payment_id}".encode(),
        signature=signature,
        digest="sha256",
    )


def _reference(order: Mapping[str, Any]) -> str:
    """Our reference from the order entity (set by our server when it created the order); ''
    when the event carries no order (payment.* events): the order id then binds it."""
    return text(order.get("receipt")) or text(mapping(order.get("notes")).get(REFERENCE_KEY))


def parse_razorpay_event(body: bytes, *, event_id: str = "") -> AnyGatewayEvent | None:
    """Our event for a payment, order, refund (refunds.py) or dispute event; None for any other
    type.

    `event_id` is the X-Razorpay-Event-Id header; without it the (event, payment id) pair is
    the de-duplication key. Binding: the payment's `order_id` (Razorpay's, stored by Paydesk
    when it created the order) and the order entity's receipt (ours); the payment entity's
    notes are the payer's and are ignored. The transaction is Razorpay's payment id.
    """
    event = json_object(body)
    kind = text(event.get("event"))
    payload = mapping(event.get("payload"))
    if kind in REFUND_EVENTS:
        return parse_refund_event(kind, payload, event_id)
    if kind in DISPUTE_EVENTS:
        return parse_dispute_event(kind, payload, event_id)
    outcome = _OUTCOMES.get(kind)
    if outcome is None:
        return None
    payment = mapping(mapping(payload.get("payment")).get("entity"))
    order = mapping(mapping(payload.get("order")).get("entity"))
    amount = money_from_minor_units(payment.get("amount"), text(payment.get("currency")))
    fee = money_from_minor_units(payment.get("fee"), text(payment.get("currency")))
    payment_id = text(payment.get("id"))
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=event_id or f"{kind}:{payment_id or text(order.get('id'))}",
        outcome=outcome,
        payment_reference=_reference(order),
        gateway_reference=text(payment.get("order_id")) or text(order.get("id")),
        transaction_id=payment_id,
        amount=amount,
        fee=fee_from(fee, amount) if outcome is Outcome.COMPLETED else None,
        reason=(text(payment.get("error_description")) or "Payment failed at Razorpay.")[:300]
        if outcome is Outcome.CANCELLED
        else "",
        summary={
            "event": kind,
            "status": text(payment.get("status")),
            "payment_id": payment_id,
            "order_id": text(payment.get("order_id")) or text(order.get("id")),
            "method": text(payment.get("method")),
        },
    )
