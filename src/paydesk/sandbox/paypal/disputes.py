"""The pretend PayPal's disputes (the Disputes API's shapes): opened (CUSTOMER.DISPUTE.CREATED, an
inquiry), funds withdrawn (a chargeback: PAYMENT.CAPTURE.REVERSED and CUSTOMER.DISPUTE.UPDATED
with the seller's DEBIT), lost or won (CUSTOMER.DISPUTE.RESOLVED; won after a chargeback
credits the seller back), each webhook signed as PayPal signs (signing.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from paydesk.sandbox.core import object_create, object_find
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paypal import common as paypal
from paydesk.sandbox.paypal.refunds import (
    GATEWAY,
    Refused,
    _links,
    _locked_capture,
    _text,
    capture_left,
)

# --- disputes ------------------------------------------------------------------------------


def _dispute_send(dispute: SandboxObject, event_type: str, summary: str) -> None:
    order_id = dispute.data["_sandbox"]["order_id"]
    resource = {key: value for key, value in dispute.data.items() if not key.startswith("_")}
    paypal.send(order_id, event_type, "dispute", summary, resource)


def dispute_open(capture_id: str, *, reason: str = "MERCHANDISE_OR_SERVICE_NOT_RECEIVED") -> str:
    """The buyer opens a dispute (an inquiry) on a completed capture; its case id."""
    with transaction.atomic():
        order, capture = _locked_capture(capture_id)
        if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
            raise Refused("NOT_DISPUTABLE", f"Capture {capture_id} is {capture['status']}.")
        current = object_find(GATEWAY, "dispute", capture_id)
        if current is not None and current.data["status"] != "RESOLVED":
            raise Refused("DISPUTE_OPEN", f"Capture {capture_id} has an open dispute already.")
        case = f"PP-D-{secrets.randbelow(10**8):08d}"
        amount = {
            "currency_code": capture["amount"]["currency_code"],
            "value": _text(capture_left(capture), capture["amount"]["currency_code"]),
        }
        now = timezone.now()
        data = {
            "dispute_id": case,
            "create_time": paypal.now_text(),
            "update_time": paypal.now_text(),
            "disputed_transactions": [
                {
                    "seller_transaction_id": capture_id,
                    "buyer_transaction_id": paypal.paypal_id(),
                    "create_time": capture["create_time"],
                    "transaction_status": "COMPLETED",
                    "gross_amount": capture["amount"],
                    "invoice_number": capture.get("invoice_id", ""),
                    "custom": capture.get("custom_id", ""),
                    "seller": {"merchant_id": paypal.MERCHANT_ID},
                }
            ],
            "reason": reason,
            "status": "WAITING_FOR_SELLER_RESPONSE",
            "dispute_amount": amount,
            "dispute_life_cycle_stage": "INQUIRY",
            "dispute_channel": "INTERNAL",
            "seller_response_due_date": (now + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": [],
            "_sandbox": {"order_id": order.object_id},
        }
        dispute = object_create(GATEWAY, "dispute", case, data, lookup=capture_id)
        _dispute_send(
            dispute, "CUSTOMER.DISPUTE.CREATED", f"A new dispute opened with Case # {case}"
        )
    return case


def _movement(dispute: dict[str, Any], kind: str) -> None:
    dispute.setdefault("money_movements", []).append(
        {
            "affected_party": "SELLER",
            "amount": dispute["dispute_amount"],
            "initiated_time": paypal.now_text(),
            "type": kind,
            "reason": "DISPUTE_SETTLEMENT",
        }
    )


def _withdrawn(dispute: dict[str, Any]) -> bool:
    kinds = [
        m["type"] for m in dispute.get("money_movements", []) if m["affected_party"] == "SELLER"
    ]
    return bool(kinds) and kinds[-1] == "DEBIT"


def dispute_move(capture_id: str, step: str) -> str:
    """Move the capture's open dispute: `withdraw` (a chargeback), `lose` or `win`."""
    with transaction.atomic():
        found = object_find(GATEWAY, "dispute", capture_id)
        if found is None or found.data["status"] == "RESOLVED":
            raise Refused("NO_OPEN_DISPUTE", f"Capture {capture_id} has no open dispute.")
        dispute = SandboxObject.objects.select_for_update().get(pk=found.pk)
        data, case = dispute.data, dispute.object_id
        data["update_time"] = paypal.now_text()
        if step == "withdraw":
            if _withdrawn(data):
                raise Refused("ALREADY_WITHDRAWN", f"{case}: the funds are withdrawn already.")
            _movement(data, "DEBIT")
            data.update(status="UNDER_REVIEW", dispute_life_cycle_stage="CHARGEBACK")
            _save(dispute)
            _reversal_send(capture_id, data)
            _dispute_send(dispute, "CUSTOMER.DISPUTE.UPDATED", f"Case # {case} was updated")
            return f"{case}: funds withdrawn (chargeback)"
        if step not in ("lose", "win"):
            raise Refused("UNKNOWN_STEP", f"No dispute step {step!r}.")
        lost = step == "lose"
        if lost and not _withdrawn(data):
            _movement(data, "DEBIT")
        elif not lost and _withdrawn(data):
            _movement(data, "CREDIT")
        outcome = "RESOLVED_BUYER_FAVOUR" if lost else "RESOLVED_SELLER_FAVOUR"
        data["status"] = "RESOLVED"
        data["dispute_outcome"] = {"outcome_code": outcome}
        if lost:
            data["dispute_outcome"]["amount_refunded"] = data["dispute_amount"]
        _save(dispute)
        _dispute_send(dispute, "CUSTOMER.DISPUTE.RESOLVED", f"Case # {case} was resolved")
        return f"{case}: {'lost' if lost else 'won'}"


def _save(dispute: SandboxObject) -> None:
    dispute.updated_at = timezone.now()
    dispute.save(update_fields=["data", "updated_at"])


def _reversal_send(capture_id: str, dispute: dict[str, Any]) -> None:
    """PAYMENT.CAPTURE.REVERSED: PayPal takes the disputed money back (a refund-shaped resource)."""
    amount = dispute["dispute_amount"]
    reversal_id = paypal.paypal_id()
    resource = {
        "id": reversal_id,
        "amount": amount,
        "note_to_payer": "Payment reversed",
        "status": "COMPLETED",
        "create_time": paypal.now_text(),
        "update_time": paypal.now_text(),
        "links": _links(reversal_id, capture_id),
    }
    paypal.send(
        dispute["_sandbox"]["order_id"],
        "PAYMENT.CAPTURE.REVERSED",
        "refund",
        f"A {amount['value']} {amount['currency_code']} capture payment was reversed",
        resource,
    )
