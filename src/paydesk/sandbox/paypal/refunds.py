"""The pretend PayPal's refunds, reversals and disputes (Payments v2 and the Disputes API shapes).

- `POST /v2/payments/captures/{capture_id}/refund`: bearer token; JSON `{amount?, custom_id?,
  invoice_id?, note_to_payer?}` (no amount: all that is left). `PayPal-Request-Id` makes it
  idempotent (the same id answers the same refund, 201 again: Payments v2 documents no other
  success). Refusals as PayPal's 422s:
  CAPTURE_FULLY_REFUNDED, REFUND_AMOUNT_EXCEEDED, REFUND_CAPTURE_CURRENCY_MISMATCH,
  DECIMALS_NOT_SUPPORTED; the control page's "Decline the next PayPal refund" makes the next one
  answer REFUND_FAILED_INSUFFICIENT_FUNDS (and no refund is made); "Hold the next PayPal refund"
  makes the next one answer PENDING (`status_details.reason` ECHECK) and end COMPLETED (then
  PAYMENT.CAPTURE.REFUNDED) or FAILED (nothing sent; the capture counts it no more) right after
  the answer, so that only `GET /v2/payments/refunds/{id}` tells. A refund is COMPLETED at once;
  the capture becomes PARTIALLY_REFUNDED or REFUNDED; PAYMENT.CAPTURE.REFUNDED is sent, its
  resource the refund (custom_id echoed, `up` link to the capture). `GET
  /v2/payments/refunds/{id}` (the refund's `self` link) and `GET /v2/payments/captures/{id}` show
  them.
- The control page's PayPal panel plays the merchant's dashboard and PayPal's dispute desk: a
  refund made in the dashboard (no custom_id), and a dispute's lifecycle — opened
  (CUSTOMER.DISPUTE.CREATED, an inquiry), funds withdrawn (a chargeback: PAYMENT.CAPTURE.REVERSED
  and CUSTOMER.DISPUTE.UPDATED with the seller's DEBIT), lost or won
  (CUSTOMER.DISPUTE.RESOLVED, RESOLVED_BUYER_FAVOUR / RESOLVED_SELLER_FAVOUR; won after a
  chargeback credits the seller back). Every webhook is signed as PayPal signs (signing.py).

This module: the refunds and the one-shot decline switch; the disputes: disputes.py; the
control page's panel: dashboard.py.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from paydesk.sandbox.core import object_create, object_get, object_must, public_url, sandbox_api
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paypal import common as paypal
from paydesk.sandbox.paypal.oauth import authorized

GATEWAY = paypal.GATEWAY


DECLINE_SWITCH = ("switch", "refund_decline")
# Issue descriptions as Payments v2's OpenAPI file enumerates them for captures.refund.
NOT_FOUND = "Specified resource ID does not exist. Please check the resource ID and try again."
INSUFFICIENT_FUNDS = (
    "Capture could not be refunded due to insufficient funds. Please check to see if you have "
    "sufficient funds in your PayPal account or if the bank account linked to your PayPal "
    "account is verified and has sufficient funds."
)  # (kind, object_id) of the one-shot switch


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


# --- the one-shot "held" switch --------------------------------------------------------------

HOLD_SWITCH = ("switch", "refund_hold")
HOLD_ENDS = ("COMPLETED", "FAILED")


def hold_next_refund(then: str = "") -> None:
    """Make the next refund answer PENDING (`status_details.reason` ECHECK) and end `then`
    (COMPLETED or FAILED) right after the answer; '' disarms it."""
    kind, name = HOLD_SWITCH
    SandboxObject.objects.update_or_create(
        gateway=GATEWAY,
        kind=kind,
        object_id=name,
        defaults={
            "data": {"then": then if then in HOLD_ENDS else ""},
            "updated_at": timezone.now(),
        },
    )


def _hold_armed() -> str:
    found = object_get(GATEWAY, *HOLD_SWITCH)
    return str(found.data.get("then", "")) if found else ""


def refund_settle_held(refund_id: str, then: str) -> None:
    """A held refund ends: COMPLETED (PAYMENT.CAPTURE.REFUNDED is sent) or FAILED (the money
    stays with the seller: the capture counts it no more)."""
    with transaction.atomic():
        stored = SandboxObject.objects.select_for_update().get(
            gateway=GATEWAY, kind="refund", object_id=refund_id
        )
        refund = {**stored.data, "status": then, "update_time": paypal.now_text()}
        refund.pop("status_details", None)
        stored.data = refund
        stored.save(update_fields=["data"])
        order, capture = _locked_capture(stored.lookup)
        if then == "FAILED":
            capture["_refunded"].remove(refund["amount"]["value"])
            left = capture_left(capture)
            refunded = left < Decimal(capture["amount"]["value"])
            capture["status"] = "PARTIALLY_REFUNDED" if refunded else "COMPLETED"
            order.updated_at = timezone.now()
            order.save(update_fields=["data", "updated_at"])
    if then == "COMPLETED":
        _send_refunded(order.object_id, refund)


def _send_refunded(order_id: str, refund: dict[str, Any]) -> None:
    amount_text = f"{refund['amount']['value']} {refund['amount']['currency_code']}"
    paypal.send(
        order_id,
        "PAYMENT.CAPTURE.REFUNDED",
        "refund",
        f"A {amount_text} capture payment was refunded",
        refund,
    )


# --- captures and refunds ------------------------------------------------------------------


def _locked_capture(capture_id: str) -> tuple[SandboxObject, dict[str, Any]]:
    """The order holding `capture_id`, row-locked, and the capture inside it."""
    index = object_get(GATEWAY, "capture", capture_id)
    if index is None:
        raise Refused("INVALID_RESOURCE_ID", NOT_FOUND, 404)
    order = SandboxObject.objects.select_for_update().get(
        gateway=GATEWAY, kind="order", object_id=index.data["order_id"]
    )
    for unit in order.data["purchase_units"]:
        for capture in unit.get("payments", {}).get("captures", []):
            if capture["id"] == capture_id:
                return order, capture
    raise Refused("INVALID_RESOURCE_ID", NOT_FOUND, 404)


def _refunded(capture: dict[str, Any]) -> Decimal:
    return sum((Decimal(value) for value in capture.get("_refunded", [])), Decimal(0))


def capture_left(capture: dict[str, Any]) -> Decimal:
    return Decimal(capture["amount"]["value"]) - _refunded(capture)


def _links(refund_id: str, capture_id: str) -> list[dict[str, str]]:
    return [
        {
            "href": public_url(reverse("sandbox:paypal:refund_get", args=[refund_id])),
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
            raise Refused("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded")
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
        held = "" if declined else _hold_armed()
        if not declined:
            refund = _refund_made(order, capture, value, fields or {}, held=bool(held))
    if held:  # one-shot: off again; PayPal ends the refund after answering it
        hold_next_refund("")
        transaction.on_commit(lambda: refund_settle_held(refund["id"], held))
    if declined:  # the switch is one-shot: off again, and nothing was refunded
        decline_next_refund(False)
        raise Refused(
            "REFUND_FAILED_INSUFFICIENT_FUNDS",
            INSUFFICIENT_FUNDS,
        )
    return refund, order.object_id


def _refund_made(
    order: SandboxObject,
    capture: dict[str, Any],
    value: Decimal,
    fields: dict[str, str],
    *,
    held: bool = False,
) -> dict[str, Any]:
    """Record the refund on the locked order's capture and send PAYMENT.CAPTURE.REFUNDED (a
    held refund: PENDING, and nothing is sent until it ends)."""
    currency = capture["amount"]["currency_code"]
    refund = _refund_resource(capture, value, fields or {})
    if held:
        refund["status"] = "PENDING"
        refund["status_details"] = {"reason": "ECHECK"}
    capture.setdefault("_refunded", []).append(_text(value, currency))
    capture["status"] = "REFUNDED" if capture_left(capture) <= 0 else "PARTIALLY_REFUNDED"
    capture["update_time"] = paypal.now_text()
    order.updated_at = timezone.now()
    order.save(update_fields=["data", "updated_at"])
    object_create(GATEWAY, "refund", refund["id"], refund, lookup=capture["id"])
    if not held:
        _send_refunded(order.object_id, refund)
    return refund


def _checked_value(amount: dict[str, Any], currency: str) -> Decimal:
    value = amount.get("value") if isinstance(amount, dict) else None
    if not isinstance(value, str) or not paypal.VALUE.match(value):
        raise Refused("INVALID_PARAMETER_SYNTAX", "The value of a field does not conform.", 400)
    if amount.get("currency_code") != currency:
        raise Refused(
            "REFUND_CAPTURE_CURRENCY_MISMATCH",
            "Refund must be in the same currency as the capture",
        )
    if "." in value and _places(currency) == 0:
        raise Refused("DECIMALS_NOT_SUPPORTED", "Currency does not support decimals.")
    if len(value.partition(".")[2]) > 2:
        raise Refused(
            "DECIMAL_PRECISION",
            "If the currency supports decimals, only two decimal place precision is supported.",
        )
    if Decimal(value) <= 0:
        raise Refused("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.")
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
    request_id = request.headers.get("PayPal-Request-Id", "")
    if request_id and (
        earlier := object_get(GATEWAY, "request", paypal.request_key("refund", request_id))
    ):
        # the same refund again, 201 as the first time (the only success Payments v2 documents)
        refund = object_must(GATEWAY, "refund", earlier.data["refund_id"]).data
        return JsonResponse(refund, status=201)
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
        object_create(
            GATEWAY,
            "request",
            paypal.request_key("refund", request_id),
            {"refund_id": refund["id"]},
        )
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


@sandbox_api(GATEWAY, auth=authorized)
@require_GET
def refund_get(request: HttpRequest, refund_id: str) -> HttpResponse:
    """`GET /v2/payments/refunds/{id}`: the refund as it stands (its `self` link)."""
    found = object_get(GATEWAY, "refund", refund_id)
    if found is None:
        return _problem(Refused("INVALID_RESOURCE_ID", NOT_FOUND, 404))
    return JsonResponse(found.data)
