"""The pretend Razorpay (demo and tests only).

API (Basic `key_id:key_secret`, JSON, amounts in integer subunits, Razorpay's error shape
`{"error": {"code": "BAD_REQUEST_ERROR", "description": …, "source", "step", "reason",
"metadata", "field"}}`):
- POST /v1/orders — amount, currency, receipt (≤ 40), notes, partial_payment. Like the real API
  it does NOT refuse a receipt used before: Paydesk finds its earlier order with
- GET /v1/orders?receipt=… (orders whose receipt contains the value, newest first), count, skip;
- GET /v1/orders/{id}, GET /v1/orders/{id}/payments, GET /v1/payments/{id}.
Every API view obeys the fault switch (`sandbox_api`).

Checkout: GET /v1/checkout.js defines `Razorpay` (the subset Paydesk uses); `open()` frames
/checkout/{order id}/ — this page, with "Pay (success)" and "Fail payment". Success makes a
captured payment (auto-capture), marks the order paid, sends `payment.captured` and
`order.paid`, and hands checkout.js the three fields with the signature HMAC-SHA256(key secret,
"{order_id}|{payment_id}"). Failure makes a failed payment, marks the order attempted and sends
`payment.failed`. Webhooks are signed like Razorpay's: X-Razorpay-Signature = hex
HMAC-SHA256(webhook secret, body), with an X-Razorpay-Event-Id.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.gateways.http import public_url
from paydesk.gateways.razorpay.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER
from paydesk.gateways.signing import hmac_hex
from paydesk.money import Money, currency_exponent, normalize_currency
from paydesk.sandbox.core import json_body, new_id, object_create, sandbox_api, webhook_send
from paydesk.sandbox.models import SandboxObject
from paydesk.web.middleware import CONTENT_SECURITY_POLICY

GATEWAY = "razorpay"
CHECKOUT_JS = Path(__file__).resolve().parent.parent / "static" / "sandbox" / "razorpay" / (
    "checkout.js"
)
MINIMUM = {"INR": 100}
TENS_ONLY = {"KWD", "BHD", "OMR"}
FAILURE = {
    "code": "BAD_REQUEST_ERROR",
    "description": "Your payment was declined by the bank (Razorpay sandbox).",
    "source": "bank",
    "step": "payment_authorization",
    "reason": "payment_failed",
}
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")


# --- the API -----------------------------------------------------------------------------


def _error(status: int, description: str, *, field: str | None = None) -> JsonResponse:
    body: dict[str, Any] = {
        "code": "BAD_REQUEST_ERROR",
        "description": description,
        "source": "business" if status == 400 else "NA",
        "step": "payment_initiation" if status == 400 else "NA",
        "reason": "input_validation_failed" if status == 400 else "NA",
        "metadata": {},
    }
    if field:
        body["field"] = field
    return JsonResponse({"error": body}, status=status)


def _authenticated(request: HttpRequest) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Basic "):
        return False
    try:
        key_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    want_id = settings.PAYDESK_RAZORPAY_KEY_ID or ""
    want_secret = settings.PAYDESK_RAZORPAY_KEY_SECRET or ""
    return bool(want_id and want_secret) and hmac.compare_digest(
        f"{key_id}:{secret}".encode(), f"{want_id}:{want_secret}".encode()
    )


def _unauthorized() -> JsonResponse:
    return _error(401, "Authentication failed")


def _collection(items: list[dict[str, Any]]) -> JsonResponse:
    return JsonResponse({"entity": "collection", "count": len(items), "items": items})


def _order_create(request: HttpRequest) -> JsonResponse:
    body = json_body(request)
    if body is None:
        return _error(400, "The request body is not valid JSON.")
    amount, currency = body.get("amount"), body.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int):
        return _error(400, "The amount must be an integer.", field="amount")
    try:
        code = normalize_currency(str(currency or ""))
    except Exception:  # noqa: BLE001 — any bad code is Razorpay's one refusal
        return _error(400, "Currency is not supported", field="currency")
    if code != currency:
        return _error(400, "Currency is not supported", field="currency")
    if amount < MINIMUM.get(code, 1):
        minimum = Money.from_minor_units(MINIMUM.get(code, 1), code)
        return _error(
            400, f"The amount must be atleast {code} {minimum.amount}.", field="amount"
        )
    if code in TENS_ONLY and amount % 10:
        return _error(400, "The amount for this currency must end with 0.", field="amount")
    receipt = body.get("receipt")
    if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
        return _error(400, "The receipt may not be greater than 40 characters.", field="receipt")
    notes = body.get("notes") or {}
    if not isinstance(notes, dict) or len(notes) > 15 or any(
        len(str(v)) > 256 for v in notes.values()
    ):
        return _error(400, "The notes must be at most 15 keys of 256 characters.", field="notes")
    partial = body.get("partial_payment", False)
    if not isinstance(partial, bool):
        return _error(400, "The partial payment field must be a boolean.", field="partial_payment")
    order_id = new_id("order_")
    data = {
        "id": order_id,
        "entity": "order",
        "amount": amount,
        "amount_paid": 0,
        "amount_due": amount,
        "currency": code,
        "receipt": receipt,
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "partial_payment": partial,
        "notes": {str(k): str(v) for k, v in notes.items()},
        "created_at": int(time.time()),
    }
    object_create(GATEWAY, "order", order_id, data, lookup=receipt or "")
    return JsonResponse(data)


def _orders_list(request: HttpRequest) -> JsonResponse:
    try:
        count = min(max(int(request.GET.get("count", "10")), 1), 100)
        skip = max(int(request.GET.get("skip", "0")), 0)
    except ValueError:
        return _error(400, "The count and skip must be integers.")
    orders = SandboxObject.objects.filter(gateway=GATEWAY, kind="order")
    receipt = request.GET.get("receipt")
    if receipt:
        orders = orders.filter(lookup__contains=receipt)
    return _collection([o.data for o in orders.order_by("-id")[skip : skip + count]])


@sandbox_api(GATEWAY)
@require_http_methods(["GET", "POST"])
def orders(request: HttpRequest) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    return _order_create(request) if request.method == "POST" else _orders_list(request)


def _get(kind: str, object_id: str) -> SandboxObject | None:
    return SandboxObject.objects.filter(gateway=GATEWAY, kind=kind, object_id=object_id).first()


@sandbox_api(GATEWAY)
@require_GET
def order_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    order = _get("order", order_id)
    if order is None:
        return _error(400, "The id provided does not exist")
    return JsonResponse(order.data)


@sandbox_api(GATEWAY)
@require_GET
def order_payments(request: HttpRequest, order_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    if _get("order", order_id) is None:
        return _error(400, "The id provided does not exist")
    payments = SandboxObject.objects.filter(gateway=GATEWAY, kind="payment", lookup=order_id)
    return _collection([p.data for p in payments.order_by("-id")])


@sandbox_api(GATEWAY)
@require_GET
def payment_detail(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    payment = _get("payment", payment_id)
    if payment is None:
        return _error(400, "The id provided does not exist")
    return JsonResponse(payment.data)


# --- checkout.js and the checkout it opens ------------------------------------------------


@require_GET
def checkout_js(request: HttpRequest) -> HttpResponse:
    """The sandbox's checkout.js (the real one is served by checkout.razorpay.com)."""
    response = HttpResponse(
        CHECKOUT_JS.read_bytes(), content_type="application/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response


def _parent_origin(value: str) -> str:
    """The merchant page's origin, to which the frame posts Checkout's answer."""
    value = (value or "").strip()
    if _ORIGIN.match(value):
        return value
    url = public_url("/")
    return url[: url.index("/", url.index("//") + 2)]


def _framed(response: HttpResponse, parent: str) -> HttpResponse:
    """Only the merchant's page may frame the checkout (Razorpay's frame is framed by any
    merchant; ours only by the app it plays for)."""
    policy = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors 'self' {parent}"
    )
    response["Content-Security-Policy"] = policy
    response["Cache-Control"] = "no-store"
    return response


def _fee(amount: int) -> tuple[int, int]:
    """Razorpay-like fee in subunits: 2 % plus 18 % GST on it (the fee includes the tax)."""
    base = amount * 2 // 100
    tax = base * 18 // 100
    return base + tax, tax


def _payment_data(
    order: dict[str, Any], *, captured: bool, email: str, notes: dict, description: str
) -> dict:
    amount = order["amount"]
    fee, tax = _fee(amount) if captured else (None, None)
    error = FAILURE if not captured else dict.fromkeys(FAILURE)
    return {
        "id": new_id("pay_"),
        "entity": "payment",
        "amount": amount,
        "currency": order["currency"],
        "status": "captured" if captured else "failed",
        "order_id": order["id"],
        "invoice_id": None,
        "international": False,
        "method": "card",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": captured,
        "description": description,
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": email,
        "contact": "",
        "notes": notes,
        "fee": fee,
        "tax": tax,
        "error_code": error["code"],
        "error_description": error["description"],
        "error_source": error["source"],
        "error_step": error["step"],
        "error_reason": error["reason"],
        "acquirer_data": {},
        "created_at": int(time.time()),
    }


def _send(event: str, payment: dict[str, Any], order: dict[str, Any] | None) -> None:
    payload: dict[str, Any] = {"payment": {"entity": payment}}
    if order is not None:
        payload["order"] = {"entity": order}
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
    signature = hmac_hex(
        secret=settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET, message=body, digest="sha256"
    )
    webhook_send(
        GATEWAY,
        about=payment["order_id"],
        event_type=event,
        body=body,
        headers={SIGNATURE_HEADER: signature, EVENT_ID_HEADER: new_id("evt_")},
    )


def _pay(
    order_id: str, *, captured: bool, email: str, notes: dict, description: str
) -> dict[str, Any]:
    """One payment attempt on the order; a second success on a paid order gives the first."""
    with transaction.atomic():
        row = SandboxObject.objects.select_for_update().get(
            gateway=GATEWAY, kind="order", object_id=order_id
        )
        order = dict(row.data)
        if order["status"] == "paid":
            done = SandboxObject.objects.filter(
                gateway=GATEWAY, kind="payment", lookup=order_id, data__status="captured"
            ).first()
            if done is not None:
                return done.data
        payment = _payment_data(
            order, captured=captured, email=email, notes=notes, description=description
        )
        object_create(GATEWAY, "payment", payment["id"], payment, lookup=order_id)
        order["attempts"] = order.get("attempts", 0) + 1
        if captured:
            order.update(status="paid", amount_paid=order["amount"], amount_due=0)
        elif order["status"] == "created":
            order["status"] = "attempted"
        row.data, row.updated_at = order, timezone.now()
        row.save(update_fields=["data", "updated_at"])
        if captured:
            _send("payment.captured", payment, None)
            _send("order.paid", payment, order)
        else:
            _send("payment.failed", payment, None)
    return payment


def _options(source: Any) -> dict[str, Any]:
    notes = {
        key[6:-1]: str(value)[:256]
        for key, value in source.items()
        if key.startswith("notes[") and key.endswith("]") and len(key) < 60
    }
    return {
        "key_id": source.get("key_id", ""),
        "name": source.get("name", "")[:100],
        "description": source.get("description", "")[:255],
        "email": source.get("email", "")[:200],
        "origin": _parent_origin(source.get("origin", "")),
        "notes": dict(list(notes.items())[:15]),
    }


@xframe_options_sameorigin
@require_http_methods(["GET", "POST"])
def checkout_page(request: HttpRequest, order_id: str) -> HttpResponse:
    """The checkout Razorpay's checkout.js shows in its frame, for one order."""
    row = _get("order", order_id) if order_id.startswith("order_") else None
    if row is None:
        raise Http404("No such order.")
    options = _options(request.POST if request.method == "POST" else request.GET)
    order = row.data
    exponent = currency_exponent(order["currency"])
    context = {
        "order": order,
        "options": options,
        "amount": Money.from_minor_units(order["amount"], order["currency"]),
        "exponent": exponent,
        "key_ok": hmac.compare_digest(
            options["key_id"].encode(), (settings.PAYDESK_RAZORPAY_KEY_ID or "").encode()
        ),
    }
    if request.method == "POST" and context["key_ok"]:
        action = request.POST.get("action")
        if action in ("pay", "fail"):
            payment = _pay(
                order_id, captured=action == "pay", email=options["email"],
                notes=options["notes"], description=options["description"],
            )
            context["payment"] = payment
            if payment["status"] == "captured":
                context["signature"] = hmac_hex(
                    secret=settings.PAYDESK_RAZORPAY_KEY_SECRET,
                    message=f"{order_id}|{payment['id']}".encode(),
                    digest="sha256",
                )
            template = "sandbox/razorpay/result.html"
            return _framed(render(request, template, context), options["origin"])
    status = 200 if context["key_ok"] else 400
    return _framed(
        render(request, "sandbox/razorpay/checkout.html", context, status=status),
        options["origin"],
    )
