"""The pretend PayPal's refunds, reversals and disputes (Payments v2 and the Disputes API shapes).

- `POST /v2/payments/captures/{capture_id}/refund`: bearer token; JSON `{amount?, custom_id?,
  invoice_id?, note_to_payer?}` (no amount: all that is left). `PayPal-Request-Id` makes it
  idempotent (the same id answers the same refund). Refusals as PayPal's 422s:
  CAPTURE_FULLY_REFUNDED, REFUND_AMOUNT_EXCEEDED, REFUND_CAPTURE_CURRENCY_MISMATCH,
  DECIMALS_NOT_SUPPORTED; the control page's "Decline the next PayPal refund" makes the next one
  answer REFUND_FAILED_INSUFFICIENT_FUNDS (and no refund is made). A refund is COMPLETED at once;
  the capture becomes PARTIALLY_REFUNDED or REFUNDED; PAYMENT.CAPTURE.REFUNDED is sent, its
  resource the refund (custom_id echoed, `up` link to the capture).
- The control page's PayPal panel plays the merchant's dashboard and PayPal's dispute desk: a
  refund made in the dashboard (no custom_id), and a dispute's lifecycle — opened
  (CUSTOMER.DISPUTE.CREATED, an inquiry), funds withdrawn (a chargeback: PAYMENT.CAPTURE.REVERSED
  and CUSTOMER.DISPUTE.UPDATED with the seller's DEBIT), lost or won
  (CUSTOMER.DISPUTE.RESOLVED, RESOLVED_BUYER_FAVOUR / RESOLVED_SELLER_FAVOUR; won after a
  chargeback credits the seller back). Every webhook is signed as PayPal signs (signing.py).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from paydesk.sandbox.core import object_create, object_find, object_get, public_url, sandbox_api
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paypal import common as paypal
from paydesk.sandbox.paypal.oauth import authorized

GATEWAY = paypal.GATEWAY
DECLINE_SWITCH = ("switch", "refund_decline")  # (kind, object_id) of the one-shot switch


class Refused(Exception):
    """A refusal PayPal answers with its 422 shape (or a dashboard message)."""

    def __init__(self, issue: str, description: str, status: int = 422) -> None:
        super().__init__(description)
        self.issue, self.description, self.status = issue, description, status


def _places(currency: str) -> int:
    return 0 if currency in paypal.NO_DECIMALS else 2


def _text(value: Decimal, currency: str) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-_places(currency))):f}"


# --- the one-shot decline switch -----------------------------------------------------------


def decline_next_refund(on: bool = True) -> None:
    """Make the next refund (API or dashboard) fail with REFUND_FAILED_INSUFFICIENT_FUNDS."""
    kind, name = DECLINE_SWITCH
    now = timezone.now()
    SandboxObject.objects.update_or_create(
        gateway=GATEWAY,
        kind=kind,
        object_id=name,
        defaults={"data": {"on": bool(on)}, "updated_at": now},
    )


def decline_armed() -> bool:
    found = object_get(GATEWAY, *DECLINE_SWITCH)
    return bool(found and found.data.get("on"))


# --- captures and refunds ------------------------------------------------------------------


def _locked_capture(capture_id: str) -> tuple[SandboxObject, dict[str, Any]]:
    """The order holding `capture_id`, row-locked, and the capture inside it."""
    index = object_get(GATEWAY, "capture", capture_id)
    if index is None:
        raise Refused("INVALID_RESOURCE_ID", "Specified resource ID does not exist.", 404)
    order = SandboxObject.objects.select_for_update().get(
        gateway=GATEWAY, kind="order", object_id=index.data["order_id"]
    )
    for unit in order.data["purchase_units"]:
        for capture in unit.get("payments", {}).get("captures", []):
            if capture["id"] == capture_id:
                return order, capture
    raise Refused("INVALID_RESOURCE_ID", "Specified resource ID does not exist.", 404)


def _refunded(capture: dict[str, Any]) -> Decimal:
    return sum((Decimal(value) for value in capture.get("_refunded", [])), Decimal(0))


def capture_left(capture: dict[str, Any]) -> Decimal:
    return Decimal(capture["amount"]["value"]) - _refunded(capture)


def _links(refund_id: str, capture_id: str) -> list[dict[str, str]]:
    return [
        {
            "href": public_url(f"/sandbox/paypal/v2/payments/refunds/{refund_id}"),
            "rel": "self",
            "method": "GET",
        },
        {
            "href": public_url(reverse("sandbox:paypal:capture_get", args=[capture_id])),
            "rel": "up",
            "method": "GET",
        },
    ]


def refund_make(
    capture_id: str, *, amount: dict[str, Any] | None = None, fields: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    """Refund `amount` (None: what is left) of a capture; the refund and its order's id.
    Raises Refused as PayPal would refuse."""
    with transaction.atomic():
        order, capture = _locked_capture(capture_id)
        currency = capture["amount"]["currency_code"]
        if (
            capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED")
            or capture_left(capture) <= 0
        ):
            raise Refused("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded.")
        if amount is None:
            value = capture_left(capture)
        else:
            value = _checked_value(amount, currency)
            if value > capture_left(capture):
                raise Refused(
                    "REFUND_AMOUNT_EXCEEDED",
                    "The refund amount must be less than or equal to the capture amount that "
                    "has not yet been refunded.",
                )
        declined = decline_armed()
        if not declined:
            refund = _refund_made(order, capture, value, fields or {})
    if declined:  # the switch is one-shot: off again, and nothing was refunded
        decline_next_refund(False)
        raise Refused(
            "REFUND_FAILED_INSUFFICIENT_FUNDS",
            "Capture could not be refunded due to insufficient funds.",
        )
    return refund, order.object_id


def _refund_made(
    order: SandboxObject, capture: dict[str, Any], value: Decimal, fields: dict[str, str]
) -> dict[str, Any]:
    """Record the refund on the locked order's capture and send PAYMENT.CAPTURE.REFUNDED."""
    currency = capture["amount"]["currency_code"]
    refund = _refund_resource(capture, value, fields or {})
    capture.setdefault("_refunded", []).append(_text(value, currency))
    capture["status"] = "REFUNDED" if capture_left(capture) <= 0 else "PARTIALLY_REFUNDED"
    capture["update_time"] = paypal.now_text()
    order.updated_at = timezone.now()
    order.save(update_fields=["data", "updated_at"])
    object_create(GATEWAY, "refund", refund["id"], refund, lookup=capture["id"])
    amount_text = f"{refund['amount']['value']} {currency}"
    paypal.send(
        order.object_id,
        "PAYMENT.CAPTURE.REFUNDED",
        "refund",
        f"A {amount_text} capture payment was refunded",
        refund,
    )
    return refund


def _checked_value(amount: dict[str, Any], currency: str) -> Decimal:
    value = amount.get("value") if isinstance(amount, dict) else None
    if not isinstance(value, str) or not paypal.VALUE.match(value):
        raise Refused("INVALID_PARAMETER_SYNTAX", "The value of a field does not conform.", 400)
    if amount.get("currency_code") != currency:
        raise Refused(
            "REFUND_CAPTURE_CURRENCY_MISMATCH",
            "Refund must be in the same currency as the capture.",
        )
    if "." in value and _places(currency) == 0:
        raise Refused("DECIMALS_NOT_SUPPORTED", "Currency does not support decimals.")
    if len(value.partition(".")[2]) > 2 or Decimal(value) <= 0:
        raise Refused("INVALID_PARAMETER_VALUE", "The value of a field is invalid.")
    return Decimal(value)


def _refund_resource(capture: dict[str, Any], value: Decimal, fields: dict[str, str]) -> dict:
    currency = capture["amount"]["currency_code"]
    fee = paypal.round_half_up(value * Decimal("0.0349"), _places(currency))
    refund_id = paypal.paypal_id()
    refund: dict[str, Any] = {
        "id": refund_id,
        "amount": {"currency_code": currency, "value": _text(value, currency)},
        **{key: text for key, text in fields.items() if text},
        "seller_payable_breakdown": {
            "gross_amount": {"currency_code": currency, "value": _text(value, currency)},
            "paypal_fee": {"currency_code": currency, "value": _text(fee, currency)},
            "net_amount": {"currency_code": currency, "value": _text(value - fee, currency)},
            "total_refunded_amount": {
                "currency_code": currency,
                "value": _text(_refunded(capture) + value, currency),
            },
        },
        "status": "COMPLETED",
        "create_time": paypal.now_text(),
        "update_time": paypal.now_text(),
        "links": _links(refund_id, capture["id"]),
    }
    return refund


def _problem(refused: Refused) -> JsonResponse:
    name = {400: "INVALID_REQUEST", 404: "RESOURCE_NOT_FOUND"}.get(
        refused.status, "UNPROCESSABLE_ENTITY"
    )
    return paypal.problem(refused.status, name, refused.issue, refused.description)


@sandbox_api(GATEWAY, auth=authorized)
@require_POST
def capture_refund(request: HttpRequest, capture_id: str) -> HttpResponse:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return paypal.problem(
            400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed."
        )
    request_id = request.headers.get("PayPal-Request-Id", "")[:108]
    if request_id and (earlier := object_get(GATEWAY, "request", f"refund:{request_id}")):
        return JsonResponse(object_get(GATEWAY, "refund", earlier.data["refund_id"]).data)
    fields = {
        key: str(body[key])[:limit]
        for key, limit in (("custom_id", 127), ("invoice_id", 127), ("note_to_payer", 255))
        if body.get(key)
    }
    try:
        refund, _order_id = refund_make(capture_id, amount=body.get("amount"), fields=fields)
    except Refused as refused:
        return _problem(refused)
    if request_id:
        object_create(GATEWAY, "request", f"refund:{request_id}", {"refund_id": refund["id"]})
    return JsonResponse(refund, status=201)


@sandbox_api(GATEWAY, auth=authorized)
def capture_get(request: HttpRequest, capture_id: str) -> HttpResponse:
    """`GET /v2/payments/captures/{id}`: the capture as it stands (refunds counted)."""
    with transaction.atomic():
        try:
            order, capture = _locked_capture(capture_id)
        except Refused as refused:
            return _problem(refused)
    shown = {key: value for key, value in capture.items() if not key.startswith("_")}
    return JsonResponse(
        {**shown, "supplementary_data": {"related_ids": {"order_id": order.object_id}}}
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
                    "seller": {"merchant_id": "PAYDESKSANDBOX1"},
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


# --- the control page's panel --------------------------------------------------------------


def capture_named(name: str) -> str:
    """A capture id from what the tester typed: a capture id, or a Paydesk payment reference
    (the order's custom_id)."""
    name = name.strip()
    if object_get(GATEWAY, "capture", name) is not None:
        return name
    order = object_find(GATEWAY, "order", name)
    for unit in order.data["purchase_units"] if order else []:
        for capture in unit.get("payments", {}).get("captures", []):
            return capture["id"]
    raise Refused("NOT_FOUND", f"No PayPal capture or payment {name!r} in the sandbox.")


@require_POST
def dashboard(request: HttpRequest) -> HttpResponse:
    """One press of the PayPal panel on the control page."""
    action = request.POST.get("action", "")
    try:
        if action == "decline_next_refund":
            decline_next_refund(True)
            messages.success(request, "PayPal will decline the next refund.")
            return redirect("sandbox:control")
        capture_id = capture_named(request.POST.get("capture", ""))
        if action == "refund":
            raw = request.POST.get("amount", "").strip()
            amount = None
            if raw:
                currency = _currency_of(capture_id)
                try:
                    amount = {"currency_code": currency, "value": f"{Decimal(raw):f}"}
                except InvalidOperation:
                    raise Refused("INVALID_AMOUNT", "That amount is not a number.") from None
            refund, _order = refund_make(capture_id, amount=amount)
            messages.success(
                request,
                f"PayPal refunded {refund['amount']['value']} "
                f"({refund['id']}) of capture {capture_id}.",
            )
        elif action == "dispute_open":
            messages.success(request, f"Dispute {dispute_open(capture_id)} opened.")
        elif action in ("dispute_withdraw", "dispute_lose", "dispute_win"):
            messages.success(request, dispute_move(capture_id, action.removeprefix("dispute_")))
        else:
            messages.error(request, "No such PayPal action.")
    except Refused as refused:
        messages.error(request, f"PayPal: {refused.issue}: {refused.description}")
    return redirect("sandbox:control")


def _currency_of(capture_id: str) -> str:
    with transaction.atomic():
        _order, capture = _locked_capture(capture_id)
    return capture["amount"]["currency_code"]
