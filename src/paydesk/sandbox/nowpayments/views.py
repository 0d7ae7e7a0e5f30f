"""The pretend NOWPayments (sandbox only): the API Paydesk's client calls, with NOWPayments' paths,
`x-api-key` check, field names, JSON numbers and error shape (`{"status": false, "statusCode":
401, "code": "INVALID_API_KEY", "message": …}`); the hosted invoice page the customer pays on;
and the IPNs, signed as NOWPayments signs them, in the order it sends them.

Objects (SandboxObject, gateway "nowpayments"): `invoice` (id = the invoice id, lookup = our
order_id) and `payment` (id = the numeric payment id, lookup = its invoice id). Decimals are kept
as strings in the stored JSON and sent as JSON numbers.

The hosted page: "Pay in full" (waiting → confirming → finished), "Pay part" (waiting →
confirming → partially_paid), "Let it expire" (waiting → expired); each sends one IPN per status,
then sends the customer to `success_url` with `NP_id=<payment id>` (as NOWPayments does), or to
`cancel_url` for an expired one. Every price is paid in BTC at the sandbox's made-up rate.

An invoice whose payment expired can be paid again, as at NOWPayments: a new payment (new id,
same `invoice_id` and `order_id`) with its own IPNs; both payments are then listed for the
invoice and each answers GET /v1/payment/{id}. With the `nowpayments_repay_after_expiry` switch
the page says so and offers "Pay again after expiry" (waiting → confirming → finished).

IPNs are signed by signing.py (the sandbox's own implementation of NOWPayments' scheme); their
bodies list the payment's fields in NOWPayments' order, not sorted, and keep the amounts' own
digits (`0.00010000`), so a receiver must sort them and re-write their numbers as JavaScript
does (`0.0001`) to check them, exactly as NOWPayments signs.

This module: the API paths; the shared pieces: common.py; the hosted invoice page: hosted.py.
"""

from __future__ import annotations

import hmac
import secrets
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from paydesk.sandbox.core import (
    object_create,
    object_get,
    public_url,
    sandbox_api,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.nowpayments.common import (
    GATEWAY,
    _account,
    _api_key_refusal,
    _body,
    _credentials,
    _error,
    _invoice_json,
    _invoice_payments,
    _json,
    _jwt_make,
    _jwt_valid,
    _now,
    _numeric_id,
    _payment_json,
)

# --- the API ---------------------------------------------------------------------------------


@sandbox_api(GATEWAY)
@require_POST
def auth(request: HttpRequest) -> HttpResponse:
    """POST /v1/auth {email, password} → {token} (a JWT for 5 minutes)."""
    body = _body(request) or {}
    given = _credentials(str(body.get("email", "")), str(body.get("password", "")))
    if not body.get("password") or not hmac.compare_digest(
        given, _account().get("credentials_sha256", "")
    ):
        return _error(401, "INVALID_CREDENTIALS", "Invalid email or password")
    return _json({"token": _jwt_make()})


@sandbox_api(GATEWAY, auth=_api_key_refusal)
@require_POST
def invoice_create(request: HttpRequest) -> HttpResponse:
    """POST /v1/invoice: a hosted invoice for price_amount (a JSON number) in price_currency."""
    body = _body(request)
    if body is None:
        return _error(400, "INVALID_REQUEST_PARAMS", "Body must be a JSON object")
    price = body.get("price_amount")
    if isinstance(price, bool) or not isinstance(price, int | Decimal):
        return _error(400, "INVALID_REQUEST_PARAMS", '"price_amount" must be a number')
    if price <= 0:
        return _error(400, "INVALID_REQUEST_PARAMS", '"price_amount" must be greater than 0')
    currency = body.get("price_currency")
    if not isinstance(currency, str) or not currency.isalpha() or currency != currency.lower():
        return _error(400, "INVALID_REQUEST_PARAMS", '"price_currency" must be a lowercase ticker')
    invoice_id = str(_numeric_id())
    now = _now()
    data = {
        "id": invoice_id,
        "token_id": secrets.token_hex(5),
        "order_id": str(body.get("order_id") or "") or None,
        "order_description": str(body.get("order_description") or "") or None,
        "price_amount": format(Decimal(price), "f"),
        "price_currency": currency,
        "pay_currency": None,
        "ipn_callback_url": str(body.get("ipn_callback_url") or "") or None,
        "invoice_url": public_url(f"/sandbox/nowpayments/payment/?iid={invoice_id}"),
        "success_url": str(body.get("success_url") or "") or None,
        "cancel_url": str(body.get("cancel_url") or "") or None,
        "partially_paid_url": None,
        "payout_currency": None,
        "created_at": now,
        "updated_at": now,
        "is_fixed_rate": False,
        "is_fee_paid_by_user": False,
    }
    object_create(GATEWAY, "invoice", invoice_id, data, lookup=str(data["order_id"] or ""))
    return _json(_invoice_json(data))


@sandbox_api(GATEWAY, auth=_api_key_refusal)
@require_GET
def payment_get(request: HttpRequest, payment_id: str) -> HttpResponse:
    """GET /v1/payment/{payment_id}: the payment as it is now."""
    payment = object_get(GATEWAY, "payment", payment_id) if payment_id.isdigit() else None
    if payment is None:
        return _error(404, "PAYMENT_NOT_FOUND", f"Payment {payment_id[:20]} not found")
    return _json(_payment_json(payment.data))


@sandbox_api(GATEWAY, auth=_api_key_refusal)
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    """GET /v1/payment/?invoiceId=…&limit=…&page=…: needs the API key and a JWT."""
    if not request.headers.get("Authorization"):
        return _error(
            401, "AUTH_REQUIRED", "Authorization header is empty (Bearer JWTtoken is required)"
        )
    if not _jwt_valid(request.headers["Authorization"]):
        return _error(401, "INVALID_TOKEN", "Token is invalid or expired")
    try:
        limit = min(max(int(request.GET.get("limit", "10")), 1), 500)
        page = max(int(request.GET.get("page", "0")), 0)
    except ValueError:
        return _error(400, "INVALID_REQUEST_PARAMS", '"limit" and "page" must be numbers')
    invoice_id = request.GET.get("invoiceId", "")
    payments = (
        _invoice_payments(invoice_id)
        if invoice_id
        else list(SandboxObject.objects.filter(gateway=GATEWAY, kind="payment").order_by("id"))
    )
    if request.GET.get("orderBy", "asc") == "desc":
        payments.reverse()
    shown = payments[page * limit : (page + 1) * limit]
    return _json(
        {
            "data": [_payment_json(p.data) for p in shown],
            "limit": limit,
            "page": page,
            "pagesCount": (len(payments) + limit - 1) // limit,
            "total": len(payments),
        }
    )
