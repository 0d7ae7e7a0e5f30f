"""Refunds and disputes at the pretend Razorpay, and the signed webhooks each sends.

Refunds (docs "Refunds", "Create a Normal Refund", "Idempotent Request"): only a `captured`
payment is refunded, in full or in parts, never for more than is left; the payment keeps
`amount_refunded` and `refund_status` (partial, full) and becomes `refunded` when nothing is left.
A refund answers `processed` (the sandbox's merchant is in test mode, where refunds process at
once) and sends `refund.created` (pending) then `refund.processed`. With "fail the next refund"
armed (the switches page), the next refund answers `pending`, sends `refund.created` then
`refund.failed`, and the money stays with the merchant; with "answer the next refund pending"
armed, the next refund answers `pending` and is processed right after (`refund.processed`).
`GET /v1/refunds/{id}` answers a refund as it stands. `X-Refund-Idempotency`: the same key and
body answer the same refund; the same key with another body is refused.

Disputes (docs "Disputes Entity", "Disputes webhooks"): opened on a captured payment (status
open, phase chargeback, respond_by a week on; `amount_deducted` 0, or the whole amount when
opened with "deduct at onset"), then under_review (contested), action_required, won
(amount_deducted back to 0), lost (amount_deducted = amount) or closed — each sends
`payment.dispute.<status>` with the dispute and the payment.

Locks: the payment's row first, then its refunds or the dispute.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.sandbox.core import new_id, object_create, webhook_send
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.razorpay.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, webhook_signature

GATEWAY = "razorpay"
MINIMUM = {"INR": 100}
FAIL_NEXT = "fail_next_refund"
SLOW_NEXT = "slow_next_refund"  # the next refund is answered pending, processed right after
RESPOND_WITHIN = 7 * 24 * 3600
DISPUTE_MOVES = {
    # button → (status it moves the dispute to, webhook event, statuses it may move from)
    "review": ("under_review", "payment.dispute.under_review", ("open", "action_required")),
    "action_required": (
        "action_required",
        "payment.dispute.action_required",
        ("under_review",),
    ),
    "win": ("won", "payment.dispute.won", ("open", "under_review", "action_required")),
    "lose": ("lost", "payment.dispute.lost", ("open", "under_review", "action_required")),
    "close": ("closed", "payment.dispute.closed", ("open", "under_review", "action_required")),
}


class Refused(Exception):
    """Razorpay refuses the request (400 BAD_REQUEST_ERROR with this description)."""

    def __init__(self, description: str, field: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.field = field


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if not key.startswith("_")}


def _save(row: SandboxObject, data: dict[str, Any]) -> None:
    row.data, row.updated_at = data, timezone.now()
    row.save(update_fields=["data", "updated_at"])


def _send(event: str, about: str, payload: dict[str, Any]) -> None:
    body = json.dumps(
        {
            "entity": "event",
            "account_id": "acc_PaydeskSandbox",
            "event": event,
            "contains": list(payload),
            "payload": {name: {"entity": _public(value)} for name, value in payload.items()},
            "created_at": int(time.time()),
        },
        separators=(",", ":"),
    ).encode()
    webhook_send(
        GATEWAY,
        about=about,
        event_type=event,
        body=body,
        headers={
            SIGNATURE_HEADER: webhook_signature(body, settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET),
            EVENT_ID_HEADER: new_id("evt_"),
        },
    )


def _locked_payment(payment_id: str) -> SandboxObject | None:
    return (
        SandboxObject.objects.select_for_update()
        .filter(gateway=GATEWAY, kind="payment", object_id=payment_id)
        .first()
    )


# --- "fail the next refund" --------------------------------------------------------------------


def fail_next_armed(name: str = FAIL_NEXT) -> bool:
    row = SandboxObject.objects.filter(gateway=GATEWAY, kind="setting", object_id=name).first()
    return bool(row and row.data.get("armed"))


def fail_next_set(armed: bool, name: str = FAIL_NEXT) -> None:
    """Arm (or disarm) a one-shot switch: the next refund fails at the bank (FAIL_NEXT), or is
    answered pending and processed right after (SLOW_NEXT)."""
    updated = SandboxObject.objects.filter(gateway=GATEWAY, kind="setting", object_id=name).update(
        data={"armed": bool(armed)}, updated_at=timezone.now()
    )
    if not updated:
        object_create(GATEWAY, "setting", name, {"armed": bool(armed)})


def _fail_next_take(name: str = FAIL_NEXT) -> bool:
    """Whether the switch `name` applies to this refund (and it is used up)."""
    row = (
        SandboxObject.objects.select_for_update()
        .filter(gateway=GATEWAY, kind="setting", object_id=name)
        .first()
    )
    if row is None or not row.data.get("armed"):
        return False
    _save(row, {"armed": False})
    return True


# --- refunds -----------------------------------------------------------------------------------


def _check_amount(payment: dict[str, Any], amount: object) -> int:
    left = payment["amount"] - payment.get("amount_refunded", 0)
    if amount is None:
        amount = left
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise Refused("The amount must be an integer.", "amount")
    minimum = MINIMUM.get(payment["currency"], 1)
    if amount < minimum:
        raise Refused(f"The amount must be at least {payment['currency']} 1.00", "amount")
    if amount > left:
        raise Refused("The refund amount provided is greater than amount captured", "amount")
    return amount


def refund_create(
    payment_id: str, body: dict[str, Any], *, idempotency_key: str = ""
) -> dict[str, Any] | None:
    """POST /v1/payments/{id}/refund: the refund as it is answered; None for an unknown payment;
    Refused as Razorpay refuses."""
    with transaction.atomic():
        payment_row = _locked_payment(payment_id)
        if payment_row is None:
            return None
        if idempotency_key:
            earlier = SandboxObject.objects.filter(
                gateway=GATEWAY, kind="refund", lookup=f"key:{idempotency_key}"
            ).first()
            if earlier is not None:
                if earlier.data.get("_request") != body or earlier.data["payment_id"] != payment_id:
                    raise Refused("The idempotency key was used with a different request.")
                return _public(earlier.data)
        payment = dict(payment_row.data)
        if payment["status"] not in ("captured",):
            raise Refused("Only captured payments can be refunded", "payment_id")
        notes = body.get("notes") or {}
        if not isinstance(notes, dict) or len(notes) > 15:
            raise Refused("The notes must be at most 15 keys of 256 characters.", "notes")
        receipt = body.get("receipt")
        if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
            raise Refused("The receipt may not be greater than 40 characters.", "receipt")
        amount = _check_amount(payment, body.get("amount"))
        return _refund_now(payment_row, payment, amount, notes, receipt, idempotency_key, body)


def _refund_now(
    payment_row: SandboxObject,
    payment: dict[str, Any],
    amount: int,
    notes: dict,
    receipt: str | None,
    idempotency_key: str,
    request: dict[str, Any],
) -> dict[str, Any]:
    fails = _fail_next_take()
    slow = not fails and _fail_next_take(SLOW_NEXT)
    refund = {
        "id": new_id("rfnd_"),
        "entity": "refund",
        "amount": amount,
        "currency": payment["currency"],
        "payment_id": payment["id"],
        "notes": {str(k): str(v)[:256] for k, v in notes.items()},
        "receipt": receipt,
        "acquirer_data": {"arn": None},
        "created_at": int(time.time()),
        "batch_id": None,
        "status": "pending",
        "speed_processed": "normal",
        "speed_requested": "normal",
    }
    stored = {**refund, "_request": request}
    row = object_create(
        GATEWAY,
        "refund",
        refund["id"],
        stored,
        lookup=f"key:{idempotency_key}" if idempotency_key else f"payment:{payment['id']}",
    )
    _send("refund.created", payment["id"], {"refund": refund, "payment": payment})
    if fails:
        _save(row, {**stored, "status": "failed"})
        _send(
            "refund.failed",
            payment["id"],
            {"refund": {**refund, "status": "failed"}, "payment": payment},
        )
        return refund  # answered while still pending: the bank's failure came after
    refunded = payment.get("amount_refunded", 0) + amount
    payment = {
        **payment,
        "amount_refunded": refunded,
        "refund_status": "full" if refunded == payment["amount"] else "partial",
        "status": "refunded" if refunded == payment["amount"] else payment["status"],
    }
    _save(payment_row, payment)
    processed = {**refund, "status": "processed", "acquirer_data": {"arn": new_id("", 12)}}
    _save(row, {**processed, "_request": request})
    _send("refund.processed", payment["id"], {"refund": processed, "payment": payment})
    return refund if slow else processed  # slow: answered while still pending


def payment_refunds(payment_id: str) -> list[dict[str, Any]]:
    """GET /v1/payments/{id}/refunds: the payment's refunds, newest first."""
    rows = SandboxObject.objects.filter(gateway=GATEWAY, kind="refund", data__payment_id=payment_id)
    return [_public(r.data) for r in rows.order_by("-id")]


def refund_get(refund_id: str) -> dict[str, Any] | None:
    row = SandboxObject.objects.filter(gateway=GATEWAY, kind="refund", object_id=refund_id).first()
    return _public(row.data) if row is not None else None


# --- disputes ----------------------------------------------------------------------------------


def dispute_open(payment_id: str, *, deduct: bool = False) -> dict[str, Any]:
    """The payer's bank disputes a captured payment: `payment.dispute.created`."""
    with transaction.atomic():
        payment_row = _locked_payment(payment_id)
        if payment_row is None or payment_row.data["status"] not in ("captured", "refunded"):
            raise Refused("Only a captured payment can be disputed.")
        payment = payment_row.data
        now = int(time.time())
        dispute = {
            "id": new_id("disp_"),
            "entity": "dispute",
            "payment_id": payment_id,
            "amount": payment["amount"],
            "currency": payment["currency"],
            "amount_deducted": payment["amount"] if deduct else 0,
            # A code Razorpay's dispute webhook payloads show (it publishes no list of codes).
            "reason_code": "goods_or_services_not_received_or_partially_received",
            "reason_description": "Goods or services not received or partially received",
            "respond_by": now + RESPOND_WITHIN,
            "status": "open",
            "phase": "chargeback",
            "created_at": now,
        }
        object_create(GATEWAY, "dispute", dispute["id"], dispute, lookup=payment_id)
        _send("payment.dispute.created", payment_id, {"payment": payment, "dispute": dispute})
    return dispute


def dispute_move(dispute_id: str, move: str) -> dict[str, Any]:
    """One step of a dispute's life (DISPUTE_MOVES): its webhook, with the dispute as it is now."""
    status, event, allowed_from = DISPUTE_MOVES[move]
    with transaction.atomic():
        found = SandboxObject.objects.filter(
            gateway=GATEWAY, kind="dispute", object_id=dispute_id
        ).first()
        if found is None:
            raise Refused("No such dispute.")
        payment_row = _locked_payment(found.lookup)
        row = SandboxObject.objects.select_for_update().get(pk=found.pk)
        dispute = dict(row.data)
        if dispute["status"] not in allowed_from:
            raise Refused(f"A dispute that is {dispute['status']} cannot be moved to {status}.")
        dispute["status"] = status
        if status == "lost":
            dispute["amount_deducted"] = dispute["amount"]
        elif status == "won":
            dispute["amount_deducted"] = 0
        _save(row, dispute)
        payment = payment_row.data if payment_row is not None else {}
        _send(event, found.lookup, {"payment": payment, "dispute": dispute})
    return dispute
