"""The NOWPayments sandbox's shared pieces: its constants, answers in NOWPayments' shapes, the
account (API key, e-mail and password), the JWT of POST /v1/auth, payments and invoices as
NOWPayments answers them, and the signed IPN."""

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
from django.utils import timezone

from paydesk.sandbox.core import (
    object_create,
    object_get,
    object_must,
    object_update,
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
    return HttpResponse(
        literal_json(body).encode("utf-8"), status=status, content_type="application/json"
    )


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


def account_set(
    *, api_key: str | None = None, email: str = "", password: str | None = None
) -> None:
    """Change the sandbox account's API key or sign-in, as a merchant would in NOWPayments'
    dashboard (Paydesk's settings keep the old ones until someone updates them)."""
    _account()  # made if missing
    account = object_must(GATEWAY, "account", "merchant")
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
    claims = _b64(json.dumps({"id": "5046153215", "iat": now, "exp": now + TOKEN_SECONDS}).encode())
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
        "depositFee": 0,
        "serviceFee": 0,
        "withdrawalFee": 0,
    }
    return shown


def _invoice_json(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data)  # NOWPayments answers the invoice's id and price_amount as strings


def _ipn_send(data: Mapping[str, Any]) -> None:
    """One IPN for the payment as it is now, signed as NOWPayments signs it."""
    body = literal_json(_payment_json(data)).encode("utf-8")
    signature = nowpayments_signature(body, settings.PAYDESK_NOWPAYMENTS_IPN_SECRET or "")
    webhook_send(
        GATEWAY,
        about=str(data["payment_id"]),
        event_type=f"payment.{data['payment_status']}",
        body=body,
        headers={SIGNATURE_HEADER: signature},
    )


def _invoice_payments(invoice_id: str) -> list[SandboxObject]:
    return list(
        SandboxObject.objects.filter(gateway=GATEWAY, kind="payment", lookup=invoice_id).order_by(
            "id"
        )
    )
