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
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paydesk.money import format_money
from paydesk.sandbox.core import (
    object_create,
    object_get,
    object_update,
    public_url,
    return_to,
    sandbox_api,
    switch_on,
    webhook_send,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.nowpayments.signing import (
    SIGNATURE_HEADER,
    literal_json,
    nowpayments_signature,
)

GATEWAY = "nowpayments"
BTC_PRICE = Decimal("60000")  # the sandbox's rate: one BTC in any price currency
SATOSHI = Decimal("0.00000001")
PARTIAL_SHARE = Decimal("0.6")  # "Pay part" sends 60 % of what was asked
TOKEN_SECONDS = 300  # NOWPayments' JWT lives 5 minutes
_DECIMAL_FIELDS = ("price_amount", "pay_amount", "actually_paid", "outcome_amount")
_DONE = {"finished", "partially_paid", "confirming", "confirmed", "sending"}
OUTCOMES = {
    "finished": ("confirming", "finished"),
    "partially_paid": ("confirming", "partially_paid"),
    "expired": ("expired",),
}
REPAY = "repay"  # "Pay again after expiry": a new payment paid in full


# --- answers -------------------------------------------------------------------------------


def _json(body: Any, status: int = 200) -> HttpResponse:
    """An answer in JSON, amounts as JSON numbers with their own digits."""
    return HttpResponse(literal_json(body).encode("utf-8"), status=status,
                        content_type="application/json")


def _error(status: int, code: str, message: str) -> HttpResponse:
    return _json({"status": False, "statusCode": status, "code": code, "message": message}, status)


def _now() -> str:
    return timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _credentials(email: str, password: str) -> str:
    return _sha256(f"{email}\n{password}")


def _account() -> dict[str, Any]:
    """The merchant account the sandbox plays: digests of its API key and its sign-in, made from
    the settings on first use (never the secrets themselves: quality.md S5)."""
    account = object_get(GATEWAY, "account", "merchant")
    if account is None:
        data = {
            "api_key_sha256": _sha256(str(settings.PAYDESK_NOWPAYMENTS_API_KEY or "")),
            "credentials_sha256": _credentials(
                str(settings.PAYDESK_NOWPAYMENTS_EMAIL or ""),
                str(settings.PAYDESK_NOWPAYMENTS_PASSWORD or ""),
            ),
        }
        try:
            with transaction.atomic():
                account = object_create(GATEWAY, "account", "merchant", data)
        except IntegrityError:
            account = object_get(GATEWAY, "account", "merchant")
    return account.data if account is not None else {}


def account_set(*, api_key: str | None = None, email: str = "", password: str | None = None
                ) -> None:
    """Change the sandbox account's API key or sign-in, as a merchant would in NOWPayments'
    dashboard (Paydesk's settings keep the old ones until someone updates them)."""
    _account()
    account = object_get(GATEWAY, "account", "merchant")
    changes: dict[str, str] = {}
    if api_key is not None:
        changes["api_key_sha256"] = _sha256(api_key)
    if password is not None:
        changes["credentials_sha256"] = _credentials(
            email or str(settings.PAYDESK_NOWPAYMENTS_EMAIL), password
        )
    object_update(account, **changes)


def _api_key_refusal(request: HttpRequest) -> HttpResponse | None:
    given = _sha256(request.headers.get("x-api-key", ""))
    if not request.headers.get("x-api-key") or not hmac.compare_digest(
        given, _account().get("api_key_sha256", "")
    ):
        return _error(401, "INVALID_API_KEY", "Invalid api key")
    return None


def _body(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}", parse_float=Decimal)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _numeric_id() -> int:
    return 10**9 + secrets.randbelow(9 * 10**9)


# --- the JWT of POST /v1/auth ----------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt_key() -> bytes:
    return hashlib.sha256(f"nowpayments-sandbox-jwt:{settings.SECRET_KEY}".encode()).digest()


def _jwt_sign(head_and_claims: str) -> str:
    return _b64(hmac.new(_jwt_key(), head_and_claims.encode(), hashlib.sha256).digest())


def _jwt_make() -> str:
    now = int(time.time())
    head = _b64(b'{"alg":"HS256","typ":"JWT"}')
    claims = _b64(json.dumps({"id": "5046153215", "iat": now, "exp": now + TOKEN_SECONDS})
                  .encode())
    return f"{head}.{claims}.{_jwt_sign(f'{head}.{claims}')}"


def _jwt_valid(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    parts = token.split(".")
    if scheme != "Bearer" or len(parts) != 3:
        return False
    if not hmac.compare_digest(parts[2].encode(), _jwt_sign(f"{parts[0]}.{parts[1]}").encode()):
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return False
    return isinstance(claims, dict) and int(claims.get("exp", 0)) >= time.time()


# --- objects as NOWPayments answers them -----------------------------------------------------


def _as_number(value: object) -> object:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _payment_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """A payment as the API and the IPN show it: amounts as JSON numbers, the fields in the
    order NOWPayments lists them (its IPN is not sorted: the signature's text is)."""
    shown = {k: (_as_number(v) if k in _DECIMAL_FIELDS else v) for k, v in data.items()}
    shown["fee"] = {
        "currency": data.get("pay_currency", "btc"),
        "depositFee": 0, "serviceFee": 0, "withdrawalFee": 0,
    }
    return shown


def _invoice_json(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data)  # NOWPayments answers the invoice's id and price_amount as strings


def _ipn_send(data: Mapping[str, Any]) -> None:
    """One IPN for the payment as it is now, signed as NOWPayments signs it."""
    body = literal_json(_payment_json(data)).encode("utf-8")
    signature = nowpayments_signature(body, settings.PAYDESK_NOWPAYMENTS_IPN_SECRET or "")
    webhook_send(
        GATEWAY, about=str(data["payment_id"]), event_type=f"payment.{data['payment_status']}",
        body=body, headers={SIGNATURE_HEADER: signature},
    )


def _invoice_payments(invoice_id: str) -> list[SandboxObject]:
    return list(
        SandboxObject.objects.filter(gateway=GATEWAY, kind="payment", lookup=invoice_id)
        .order_by("id")
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
    object_create(GATEWAY, "invoice", invoice_id, data, lookup=data["order_id"] or "")
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
        return _error(401, "AUTH_REQUIRED",
                      "Authorization header is empty (Bearer JWTtoken is required)")
    if not _jwt_valid(request.headers["Authorization"]):
        return _error(401, "INVALID_TOKEN", "Token is invalid or expired")
    try:
        limit = min(max(int(request.GET.get("limit", "10")), 1), 500)
        page = max(int(request.GET.get("page", "0")), 0)
    except ValueError:
        return _error(400, "INVALID_REQUEST_PARAMS", '"limit" and "page" must be numbers')
    invoice_id = request.GET.get("invoiceId", "")
    payments = (
        _invoice_payments(invoice_id) if invoice_id
        else list(SandboxObject.objects.filter(gateway=GATEWAY, kind="payment").order_by("id"))
    )
    if request.GET.get("orderBy", "asc") == "desc":
        payments.reverse()
    shown = payments[page * limit:(page + 1) * limit]
    return _json({
        "data": [_payment_json(p.data) for p in shown],
        "limit": limit,
        "page": page,
        "pagesCount": (len(payments) + limit - 1) // limit,
        "total": len(payments),
    })


# --- the hosted invoice page ---------------------------------------------------------------


def _payment_start(invoice: SandboxObject) -> SandboxObject:
    price = Decimal(invoice.data["price_amount"])
    pay_amount = max((price / BTC_PRICE).quantize(SATOSHI), SATOSHI)
    payment_id = _numeric_id()
    now = _now()
    data = {
        "payment_id": payment_id,
        "invoice_id": int(invoice.object_id),
        "payment_status": "waiting",
        "pay_address": "tb1q" + secrets.token_hex(19),
        "price_amount": invoice.data["price_amount"],
        "price_currency": invoice.data["price_currency"],
        "pay_amount": format(pay_amount, "f"),
        "actually_paid": "0",
        "actually_paid_at_fiat": 0,
        "pay_currency": "btc",
        "order_id": invoice.data.get("order_id"),
        "order_description": invoice.data.get("order_description"),
        "purchase_id": str(_numeric_id()),
        "outcome_amount": format(pay_amount, "f"),
        "outcome_currency": "btc",
        "created_at": now,
        "updated_at": now,
    }
    payment = object_create(GATEWAY, "payment", str(payment_id), data, lookup=invoice.object_id)
    _ipn_send(payment.data)
    return payment


def _payment_move(payment: SandboxObject, outcome: str) -> SandboxObject:
    pay_amount = Decimal(payment.data["pay_amount"])
    paid = {
        "finished": pay_amount,
        "partially_paid": (pay_amount * PARTIAL_SHARE).quantize(SATOSHI),
        "expired": Decimal(0),
    }[outcome]
    for status in OUTCOMES[outcome]:
        payment = object_update(
            payment, payment_status=status, actually_paid=format(paid, "f"), updated_at=_now()
        )
        _ipn_send(payment.data)
    return payment


def _repay_offered(payments: list[SandboxObject]) -> bool:
    """"Pay again after expiry" is offered (switch on) once the invoice's latest payment
    expired and none of its payments is paid or on its way."""
    return (
        switch_on("nowpayments_repay_after_expiry")
        and bool(payments)
        and payments[-1].data.get("payment_status") == "expired"
        and not any(p.data.get("payment_status") in _DONE for p in payments)
    )


def _outcome_allowed(outcome: str, payments: list[SandboxObject]) -> bool:
    if outcome == REPAY:
        return _repay_offered(payments)
    settled = any(p.data.get("payment_status") in _DONE for p in payments)
    return outcome in OUTCOMES and not settled


def _pay_invoice(invoice: SandboxObject, outcome: str) -> HttpResponse:
    """Start a payment on the invoice, move it as the button says, and send the customer on:
    to `success_url?NP_id=…`, or `cancel_url` when it expired."""
    payment = _payment_move(_payment_start(invoice), "finished" if outcome == REPAY else outcome)
    if outcome == "expired":
        return redirect(invoice.data.get("cancel_url") or invoice.data["invoice_url"])
    return redirect(return_to(
        invoice.data.get("success_url") or invoice.data["invoice_url"],
        NP_id=str(payment.data["payment_id"]),
    ))


@require_http_methods(["GET", "POST"])
def invoice_page(request: HttpRequest) -> HttpResponse:
    """What the customer sees at invoice_url (`?iid=<invoice id>`): the price, what it costs in
    BTC, and what to do. POST (the buttons) pays, pays part, lets the payment expire, or (with
    its switch) pays again after an expiry."""
    invoice_id = request.GET.get("iid") or request.POST.get("iid", "")
    invoice = object_get(GATEWAY, "invoice", invoice_id) if invoice_id.isdigit() else None
    if invoice is None:
        return render(request, "sandbox/nowpayments/invoice.html", {"missing": True}, status=404)
    payments = _invoice_payments(invoice.object_id)
    outcome = request.POST.get("outcome", "")
    if request.method == "POST" and _outcome_allowed(outcome, payments):
        return _pay_invoice(invoice, outcome)
    settled = [p for p in payments if p.data.get("payment_status") in _DONE]
    price = Decimal(invoice.data["price_amount"])
    context = {
        "invoice": invoice.data,
        "price": format_money(price, invoice.data["price_currency"].upper()),
        "btc": format(max((price / BTC_PRICE).quantize(SATOSHI), SATOSHI), "f"),
        "settled": settled[-1].data if settled else None,
        "repay": _repay_offered(payments),
        "expired": payments[-1].data if payments and _repay_offered(payments) else None,
    }
    return render(request, "sandbox/nowpayments/invoice.html", context)
