"""What happens to a pretend Razorpay payment: made on the checkout, authorised, captured (at
once, or later through the capture API when auto-capture is off), failed, or failed and then
authorised late by the bank — and the signed webhooks each step sends.

Razorpay's documented life of a payment (docs "Payment states", "Late authorisation", "Capture a
payment"): created → authorized → captured, or → failed; a failed payment whose bank answers late
moves failed → authorized (then captured if the account auto-captures); an order is `attempted`
once it has a payment and `paid` once one is captured. Only an `authorized` payment can be
captured, for exactly its amount.

Webhooks: the sandbox's merchant is subscribed to `payment.captured`, `order.paid` and
`payment.failed` (what Paydesk's docs tell a merchant to register) and to `payment.authorized`,
which it sends only where a payment is left authorized (auto-capture off) or is authorised late
— so a normal successful payment still sends exactly `payment.captured`, `order.paid`.

Locks: the order's row first, then the payment's, on every path.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.sandbox.core import new_id, object_create, switch_on, webhook_send
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.razorpay.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    webhook_signature,
)

GATEWAY = "razorpay"
FAILURE = {
    "code": "BAD_REQUEST_ERROR",
    "description": "Your payment was declined by the bank (Razorpay sandbox).",
    "source": "bank",
    "step": "payment_authorization",
    "reason": "payment_failed",
}
NO_ERROR = dict.fromkeys(FAILURE)
LATE = "_late_authorisation"  # the sandbox's own mark on a failed payment the bank will authorise


class CaptureRefused(Exception):
    """Razorpay refuses the capture: `description` and `field` as its 400 answer says them."""

    def __init__(self, description: str, field: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.field = field


def public(data: dict[str, Any]) -> dict[str, Any]:
    """A payment or order as Razorpay answers it (the sandbox's `_` marks left out)."""
    return {key: value for key, value in data.items() if not key.startswith("_")}


def fee(amount: int) -> tuple[int, int]:
    """Razorpay-like fee in subunits: 2 % plus 18 % GST on it (the fee includes the tax)."""
    base = amount * 2 // 100
    tax = base * 18 // 100
    return base + tax, tax


def _entity(order: dict[str, Any], *, email: str, notes: dict, description: str) -> dict:
    """A new payment of the whole order; its `notes` are the ones the payer's browser passed to
    Checkout (Razorpay copies the `notes` option into the payment, not the order's notes)."""
    return {
        "id": new_id("pay_"),
        "entity": "payment",
        "amount": order["amount"],
        "currency": order["currency"],
        "status": "created",
        "order_id": order["id"],
        "invoice_id": None,
        "international": False,
        "method": "card",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": False,
        "description": description,
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": email,
        "contact": "",
        "notes": dict(notes),
        "fee": None,
        "tax": None,
        **_errors(NO_ERROR),
        "acquirer_data": {},
        "created_at": int(time.time()),
    }


def _errors(error: dict[str, Any]) -> dict[str, Any]:
    return {f"error_{key}": value for key, value in error.items()}


def _authorized(payment: dict[str, Any], *, late: bool = False) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": "authorized", **_errors(NO_ERROR)}
    if late:
        changes["late_authorized"] = True
    return {key: value for key, value in payment.items() if key != LATE} | changes


def _captured(payment: dict[str, Any]) -> dict[str, Any]:
    charged, tax = fee(payment["amount"])
    return {**payment, "status": "captured", "captured": True, "fee": charged, "tax": tax}


def _failed(payment: dict[str, Any]) -> dict[str, Any]:
    return {**payment, "status": "failed", **_errors(FAILURE)}


def _order_paid(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "status": "paid", "amount_paid": order["amount"], "amount_due": 0}


# --- webhooks --------------------------------------------------------------------------------


def send(event: str, payment: dict[str, Any], order: dict[str, Any] | None = None) -> None:
    """One signed webhook about `payment` (and `order` for order.paid), as the switches say."""
    payload: dict[str, Any] = {"payment": {"entity": public(payment)}}
    if order is not None:
        payload["order"] = {"entity": public(order)}
    body = json.dumps(
        {
            "entity": "event",
            "account_id": "acc_PaydeskSandbox",
            "event": event,
            "contains": list(payload),
            "payload": payload,
            "created_at": int(time.time()),
        },
        separators=(",", ":"),
    ).encode()
    webhook_send(
        GATEWAY,
        about=payment["order_id"],
        event_type=event,
        body=body,
        headers={
            SIGNATURE_HEADER: webhook_signature(body, settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET),
            EVENT_ID_HEADER: new_id("evt_"),
        },
    )


# --- rows ------------------------------------------------------------------------------------


def _save(row: SandboxObject, data: dict[str, Any]) -> None:
    row.data, row.updated_at = data, timezone.now()
    row.save(update_fields=["data", "updated_at"])


def _locked_order(order_id: str) -> SandboxObject:
    return SandboxObject.objects.select_for_update().get(
        gateway=GATEWAY, kind="order", object_id=order_id
    )


def _locked_payment(payment_id: str) -> SandboxObject | None:
    return SandboxObject.objects.select_for_update().filter(
        gateway=GATEWAY, kind="payment", object_id=payment_id
    ).first()


def _capture_now(order_row: SandboxObject, payment_row: SandboxObject) -> dict[str, Any]:
    """Capture an authorized payment and mark its order paid: `payment.captured`, `order.paid`."""
    payment = _captured(payment_row.data)
    order = _order_paid(order_row.data)
    _save(payment_row, payment)
    _save(order_row, order)
    send("payment.captured", payment)
    send("order.paid", payment, order)
    return payment


# --- the checkout's outcomes ---------------------------------------------------------------


def pay(order_id: str, outcome: str, *, email: str, notes: dict, description: str) -> dict:
    """One payment attempt on the order from the checkout: `pay` (authorised, and captured at
    once unless auto-capture is off), `fail`, or `late` (failed now, authorised when
    `late_authorise` runs). A second success on a paid order gives the first payment back.
    What the checkout hands back: the payment as it is at the end of this attempt."""
    with transaction.atomic():
        order_row = _locked_order(order_id)
        order = dict(order_row.data)
        if order["status"] == "paid":
            done = SandboxObject.objects.filter(
                gateway=GATEWAY, kind="payment", lookup=order_id, data__status="captured"
            ).first()
            if done is not None:
                return public(done.data)
        payment = _entity(order, email=email, notes=notes, description=description)
        payment = _authorized(payment) if outcome == "pay" else _failed(payment)
        if outcome == "late":
            payment[LATE] = "pending"
        payment_row = object_create(GATEWAY, "payment", payment["id"], payment, lookup=order_id)
        order["attempts"] = order.get("attempts", 0) + 1
        if order["status"] == "created":
            order["status"] = "attempted"
        _save(order_row, order)
        if outcome != "pay":
            send("payment.failed", payment)
        elif switch_on("razorpay_manual_capture"):
            send("payment.authorized", payment)
        else:
            payment = _capture_now(order_row, payment_row)
    return public(payment)


def late_authorise(payment_id: str = "") -> list[str]:
    """The bank answers late for every failed payment made with "Fail, then authorise late"
    (or only `payment_id`): each moves failed → authorized (`payment.authorized`, with
    `late_authorized: true`) and, with auto-capture on, → captured (`payment.captured`,
    `order.paid`). If its order was paid meanwhile by another payment, Razorpay refunds the
    late one at once instead. The ids moved."""
    pending = SandboxObject.objects.filter(gateway=GATEWAY, kind="payment", **{
        f"data__{LATE}": "pending"
    })
    if payment_id:
        pending = pending.filter(object_id=payment_id)
    moved = []
    for found in pending.order_by("id"):
        if _late_authorise_one(found.lookup, found.object_id):
            moved.append(found.object_id)
    return moved


def _late_authorise_one(order_id: str, payment_id: str) -> bool:
    with transaction.atomic():
        order_row = _locked_order(order_id)
        payment_row = _locked_payment(payment_id)
        if payment_row is None or payment_row.data.get(LATE) != "pending":
            return False  # authorised meanwhile by another click
        payment = _authorized(payment_row.data, late=True)
        if order_row.data["status"] == "paid":
            payment = {**payment, "status": "refunded", "amount_refunded": payment["amount"],
                       "refund_status": "full"}
            _save(payment_row, payment)
            return True
        _save(payment_row, payment)
        send("payment.authorized", payment)
        if not switch_on("razorpay_manual_capture"):
            _capture_now(order_row, payment_row)
    return True


# --- the capture API ---------------------------------------------------------------------------


def capture(payment_id: str, amount: object, currency: object) -> dict[str, Any] | None:
    """POST /v1/payments/{id}/capture: the captured payment; None for an unknown id; raises
    CaptureRefused as Razorpay refuses (not authorized, captured already, another amount)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise CaptureRefused("The amount must be an integer.", "amount")
    if not isinstance(currency, str) or not currency:
        raise CaptureRefused("The currency field is required.", "currency")
    found = SandboxObject.objects.filter(
        gateway=GATEWAY, kind="payment", object_id=payment_id
    ).first()
    if found is None:
        return None
    with transaction.atomic():
        order_row = _locked_order(found.lookup)
        payment_row = _locked_payment(payment_id)
        assert payment_row is not None
        payment = payment_row.data
        if payment["status"] == "captured":
            raise CaptureRefused("This payment has already been captured")
        if payment["status"] != "authorized":
            raise CaptureRefused(
                "Only payments which have been authorized and not yet captured can be captured"
            )
        if amount != payment["amount"]:
            raise CaptureRefused("Capture amount must be equal to the amount authorized", "amount")
        if currency != payment["currency"]:
            raise CaptureRefused("The currency should be same as the payment currency",
                                 "currency")
        return public(_capture_now(order_row, payment_row))
