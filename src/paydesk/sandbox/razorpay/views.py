"""The pretend Razorpay (demo and tests only).

API (Basic `key_id:key_secret`, JSON, amounts in integer subunits, Razorpay's error shape
`{"error": {"code": "BAD_REQUEST_ERROR", "description": …, "source", "step", "reason",
"metadata", "field"}}`):
- POST /v1/orders — amount, currency, receipt (≤ 40), notes, partial_payment. It does NOT refuse
  a receipt used before, as Razorpay's Fetch All Orders example shows (its Create an Order page
  says the receipt "has to be unique"; Paydesk looks before it creates): Paydesk finds its earlier
  order with
- GET /v1/orders?receipt=… (orders whose receipt contains the value, newest first), count, skip;
- GET /v1/orders/{id}, GET /v1/orders/{id}/payments, GET /v1/payments/{id};
- POST /v1/payments/{id}/capture {amount, currency} — for an `authorized` payment, exactly its
  amount (payments.py says what each refusal is).
Every API view obeys the fault switch (`sandbox_api`).

Checkout: GET /v1/checkout.js defines `Razorpay` (the subset Paydesk uses); `open()` frames
/checkout/{order id}/ — this page, with "Pay (success)", "Fail payment" and, with its switch on,
"Fail, then authorise late". What each does to the payment and which webhooks it sends is in
payments.py; the success hands checkout.js the three fields with the signature
HMAC-SHA256(key secret, "{order_id}|{payment_id}") (signing.py). The payment's `notes` are the
ones the browser passed to Checkout, as at Razorpay.

Currencies and their subunits are the sandbox's own table (Razorpay's documented list: JPY
without decimals; KWD, BHD and OMR with three, the last digit 0), not Paydesk's.
"""

from __future__ import annotations

import base64
import hmac
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paydesk.money import format_money
from paydesk.sandbox.core import (
    json_body,
    new_id,
    object_create,
    public_url,
    sandbox_api,
    switch_on,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.razorpay import payments
from paydesk.sandbox.razorpay.signing import checkout_signature
from paydesk.web.middleware import CONTENT_SECURITY_POLICY

GATEWAY = "razorpay"
CHECKOUT_JS = (
    Path(__file__).resolve().parent.parent / "static" / "sandbox" / "razorpay" / ("checkout.js")
)
MINIMUM = {"INR": 100}
TENS_ONLY = {"KWD", "BHD", "OMR"}
# Razorpay's accepted currencies (docs "Supported currencies") → how many decimals its integer
# subunits have: two unless listed otherwise.
EXPONENTS = {
    **dict.fromkeys(
        "AED ALL AMD ARS AUD AWG BBD BDT BMD BND BOB BSD BWP BZD CAD CHF CNY COP CRC CUP CZK "
        "DKK DOP DZD EGP ETB EUR FJD GBP GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR "
        "JMD KES KGS KHR KYD KZT LAK LBP LKR LRD LSL MAD MDL MKD MMK MNT MOP MUR MVR MWK MXN "
        "MYR NAD NGN NIO NOK NPR NZD PEN PGK PHP PKR QAR RUB SAR SCR SEK SGD SLL SOS SSP SVC "
        "SZL THB TTD TZS USD UYU UZS YER ZAR".split(),
        2,
    ),
    "JPY": 0,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
}
ACTIONS = ("pay", "fail", "late")
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


def _major(subunits: int, currency: str) -> Decimal:
    """An amount in subunits as a decimal of the currency, by the sandbox's own table."""
    return Decimal(subunits).scaleb(-EXPONENTS[currency])


def _order_create(request: HttpRequest) -> JsonResponse:
    body = json_body(request)
    if body is None:
        return _error(400, "The request body is not valid JSON.")
    amount, currency = body.get("amount"), body.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int):
        return _error(400, "The amount must be an integer.", field="amount")
    code = currency if isinstance(currency, str) else ""
    if code not in EXPONENTS:
        return _error(400, "Currency is not supported", field="currency")
    if amount < MINIMUM.get(code, 1):
        minimum = _major(MINIMUM.get(code, 1), code)
        return _error(400, f"The amount must be atleast {code} {minimum}.", field="amount")
    if code in TENS_ONLY and amount % 10:
        return _error(400, "The amount for this currency must end with 0.", field="amount")
    receipt = body.get("receipt")
    if receipt is not None and (not isinstance(receipt, str) or len(receipt) > 40):
        return _error(400, "The receipt may not be greater than 40 characters.", field="receipt")
    notes = body.get("notes") or {}
    if (
        not isinstance(notes, dict)
        or len(notes) > 15
        or any(len(str(v)) > 256 for v in notes.values())
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
    found = SandboxObject.objects.filter(gateway=GATEWAY, kind="payment", lookup=order_id)
    return _collection([payments.public(p.data) for p in found.order_by("-id")])


@sandbox_api(GATEWAY)
@require_GET
def payment_detail(request: HttpRequest, payment_id: str) -> HttpResponse:
    if not _authenticated(request):
        return _unauthorized()
    payment = _get("payment", payment_id)
    if payment is None:
        return _error(400, "The id provided does not exist")
    return JsonResponse(payments.public(payment.data))


@sandbox_api(GATEWAY)
@require_POST
def payment_capture(request: HttpRequest, payment_id: str) -> HttpResponse:
    """POST /v1/payments/{id}/capture {"amount": <subunits>, "currency": "INR"}."""
    if not _authenticated(request):
        return _unauthorized()
    body = json_body(request)
    if body is None:
        return _error(400, "The request body is not valid JSON.")
    try:
        captured = payments.capture(payment_id, body.get("amount"), body.get("currency"))
    except payments.CaptureRefused as refusal:
        return _error(400, refusal.description, field=refusal.field or None)
    if captured is None:
        return _error(400, "The id provided does not exist")
    return JsonResponse(captured)


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


def _actions() -> tuple[str, ...]:
    """The outcomes the checkout offers now ("late" only with its switch on)."""
    return ACTIONS if switch_on("razorpay_late_authorisation") else ACTIONS[:2]


def _handed_back(order_id: str, payment: dict[str, Any]) -> dict[str, Any]:
    """What the frame hands checkout.js: the success fields, signed, for an authorised or
    captured payment (Checkout's handler runs on authorisation); else the failure."""
    if payment["status"] not in ("authorized", "captured"):
        return {"payment": payment}
    return {
        "payment": payment,
        "succeeded": True,
        "signature": checkout_signature(
            order_id, payment["id"], settings.PAYDESK_RAZORPAY_KEY_SECRET or ""
        ),
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
    context = {
        "order": order,
        "options": options,
        "amount": format_money(_major(order["amount"], order["currency"]), order["currency"]),
        "late_offered": "late" in _actions(),
        "notes_editable": switch_on("razorpay_payer_notes"),
        "key_ok": hmac.compare_digest(
            options["key_id"].encode(), (settings.PAYDESK_RAZORPAY_KEY_ID or "").encode()
        ),
    }
    if request.method == "POST" and context["key_ok"]:
        action = request.POST.get("action")
        if action in _actions():
            payment = payments.pay(
                order_id,
                action,
                email=options["email"],
                notes=options["notes"],
                description=options["description"],
            )
            context.update(_handed_back(order_id, payment))
            template = "sandbox/razorpay/result.html"
            return _framed(render(request, template, context), options["origin"])
    status = 200 if context["key_ok"] else 400
    return _framed(
        render(request, "sandbox/razorpay/checkout.html", context, status=status),
        options["origin"],
    )
