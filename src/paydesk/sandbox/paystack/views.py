"""The pretend Paystack, speaking the API as `paystack-openapi.yaml` describes it.

API (wrapped in `sandbox_api`: CSRF-exempt, under the fault switch), `Authorization: Bearer
<PAYDESK_PAYSTACK_SECRET_KEY>` or 401 `{"status": false, "message": "Invalid key"}`:
- `POST /transaction/initialize` (JSON): 200 `{status, message, data: {authorization_url,
  access_code, reference}}`; 400 for a bad field and `duplicate_reference` for a reused
  reference (the row's unique key makes that hold under concurrency too);
- `GET /transaction/verify/<reference>`: 200 with the whole transaction object (every field the
  OpenAPI `VerifyResponse` requires), 404 "Transaction reference not found".

The hosted checkout `/checkout/<access_code>` (the `authorization_url`) has three buttons:
- Pay (success): status `success`, Paystack's fee (the sandbox charges 1.5 %), the signed
  `charge.success` webhook sent (as the switches say), then `callback_url?trxref=…&reference=…`.
  With the `paystack_customer_fees` switch the customer bears the fee, as when a merchant
  passes charges to customers: `amount` = `requested_amount` + `fees`, `fees_split` set, in
  the webhook and in the verify answer alike;
- Decline (failure): status `failed` ("Declined"), no webhook (Paystack sends none), then the
  callback URL the same way;
- Cancel: the transaction stays `abandoned` and the customer goes to `metadata.cancel_action`.
A transaction is settled once: the page then only says how it ended.

Quirk kept on purpose: the OpenAPI file's `Error.code` allows only validation_error,
processor_error and api_error, so the 404 leaves out the live API's `transaction_not_found`
code (Paydesk's client relies on the HTTP status, not on that code).

State: one SandboxObject per transaction (kind "transaction", id = the reference, lookup = the
access code); keys starting with "_" are the sandbox's own and are never sent.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paydesk.money import format_money
from paydesk.sandbox.core import (
    error,
    json_body,
    new_id,
    object_create,
    object_find,
    object_get,
    public_url,
    return_to,
    sandbox_api,
    switch_on,
    webhook_send,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paystack.signing import SIGNATURE_HEADER, paystack_signature

GATEWAY = "paystack"
KIND = "transaction"
CURRENCIES = ("GHS", "KES", "NGN", "ZAR", "USD")
REFERENCE = re.compile(r"^[A-Za-z0-9.=-]{1,100}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FEE_PER_THOUSAND = 15  # the sandbox's Paystack fee: 1.5 % of the amount, in hundredths


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _bad_request(
    message: str, *, code: str = "invalid_params", next_step: str = ""
) -> JsonResponse:
    body: dict[str, Any] = {
        "status": False,
        "message": message,
        "meta": {"nextStep": next_step or "Check the request's fields and try again"},
        "type": "validation_error",
        "code": code,
    }
    return error(400, body)


def _unauthorized(request: HttpRequest) -> JsonResponse | None:
    """None when the request carries the secret key as a Bearer token, else Paystack's 401."""
    header = request.headers.get("Authorization", "")
    if not header:
        return error(401, {"status": False, "message": "No Authorization header was found"})
    scheme, _, token = header.partition(" ")
    key = settings.PAYDESK_PAYSTACK_SECRET_KEY or ""
    if (
        scheme != "Bearer"
        or not key
        or not secrets.compare_digest(token.strip().encode(), key.encode())
    ):
        return error(401, {"status": False, "message": "Invalid key"})
    return None


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The transaction as Paystack shows it (without the sandbox's own `_` keys)."""
    return {key: value for key, value in data.items() if not key.startswith("_")}


def _amount(value: object) -> int | None:
    """Paystack takes the amount as an integer of hundredths (or digits in a string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


@sandbox_api(GATEWAY, auth=_unauthorized)
@require_POST
def transaction_initialize(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    if body is None:
        return _bad_request("Invalid request body: send a JSON object")
    email = body.get("email")
    if not isinstance(email, str) or not EMAIL.match(email):
        return _bad_request("Invalid Email Address Passed")
    amount = _amount(body.get("amount"))
    if amount is None:
        return _bad_request("Invalid Amount Sent")
    currency = body.get("currency", "NGN")
    if currency not in CURRENCIES:
        return _bad_request("Currency not supported by merchant", code="unsupported_currency")
    reference = body.get("reference") or new_id("T", 12)
    if not isinstance(reference, str) or not REFERENCE.match(reference):
        return _bad_request(
            "Invalid transaction reference: only -, ., = and alphanumeric characters allowed"
        )
    metadata = body.get("metadata", "")
    if not isinstance(metadata, dict | str):
        return _bad_request("Invalid metadata: send a JSON object")
    callback_url = body.get("callback_url", "")
    if not isinstance(callback_url, str) or (
        callback_url and not callback_url.startswith(("http://", "https://"))
    ):
        return _bad_request("Invalid callback_url: send a fully qualified URL")
    if object_get(GATEWAY, KIND, reference) is not None:
        return _duplicate()
    now = timezone.now()
    access_code = new_id("", 15).lower()
    data = {
        "id": 4_000_000_000 + secrets.randbelow(1_000_000_000),
        "domain": "test",
        "status": "abandoned",
        "reference": reference,
        "receipt_number": None,
        "amount": amount,
        "message": None,
        "gateway_response": "The transaction was not completed",
        "paid_at": None,
        "created_at": _iso(now),
        "channel": "card",
        "currency": currency,
        "ip_address": request.META.get("REMOTE_ADDR", "") or "",
        "metadata": metadata,
        "log": None,
        "fees": None,
        "fees_split": None,
        "authorization": {},
        "customer": {
            "id": 100_000 + secrets.randbelow(900_000),
            "first_name": None,
            "last_name": None,
            "email": email,
            "customer_code": new_id("CUS_", 15).lower().replace("cus_", "CUS_"),
            "phone": None,
            "metadata": None,
            "risk_action": "default",
            "international_format_phone": None,
        },
        "plan": None,
        "split": {},
        "order_id": None,
        "paidAt": None,
        "createdAt": _iso(now),
        "requested_amount": amount,
        "pos_transaction_data": None,
        "source": None,
        "fees_breakdown": None,
        "connect": None,
        "transaction_date": _iso(now),
        "plan_object": {},
        "subaccount": {},
        "_callback_url": callback_url,
        "_closed": False,
    }
    try:
        with transaction.atomic():
            object_create(GATEWAY, KIND, reference, data, lookup=access_code)
    except IntegrityError:  # the same reference at the same moment
        return _duplicate()
    checkout_url = public_url(reverse("sandbox:paystack:checkout", args=[access_code]))
    return JsonResponse(
        {
            "status": True,
            "message": "Authorization URL created",
            "data": {
                "authorization_url": checkout_url,
                "access_code": access_code,
                "reference": reference,
            },
        }
    )


def _duplicate() -> JsonResponse:
    return _bad_request(
        "Duplicate Transaction Reference",
        code="duplicate_reference",
        next_step="Try and create the Transaction or Charge with a new reference",
    )


@sandbox_api(GATEWAY, auth=_unauthorized)
@require_GET
def transaction_verify(request: HttpRequest, reference: str) -> HttpResponse:
    found = object_get(GATEWAY, KIND, reference)
    if found is None:
        return error(
            404,
            {
                "status": False,
                "message": "Transaction reference not found",
                "meta": {
                    "nextStep": "Ensure that you're passing the reference of a transaction "
                    "that exists on this integration"
                },
                "type": "validation_error",
            },
        )
    return JsonResponse(
        {"status": True, "message": "Verification successful", "data": public(found.data)}
    )


# --- the hosted checkout -------------------------------------------------------------------


def _fee(requested: int) -> int:
    """The sandbox's Paystack fee on a requested amount, in the same subunits (half up)."""
    return (requested * FEE_PER_THOUSAND + 500) // 1000


def _customer_fees(requested: int) -> dict[str, Any]:
    """With the customer bearing the fees (Paystack's "pass charges to customers"): the charge
    is the requested amount plus the fee; `requested_amount` stays what the merchant asked.
    `fees_split` has the shape Paystack answers (paystack / integration / subaccount / params);
    its values for a transaction without a split are the sandbox's reading."""
    fees = _fee(requested)
    return {
        "amount": requested + fees,
        "requested_amount": requested,
        "fees": fees,
        "fees_split": {
            "paystack": fees,
            "integration": requested,
            "subaccount": 0,
            "params": {"bearer": "account", "transaction_charge": "", "percentage_charge": "0"},
        },
    }


def _paid(data: dict[str, Any]) -> dict[str, Any]:
    now = _iso(timezone.now())
    requested = int(data.get("requested_amount") or data["amount"])
    charge = (
        _customer_fees(requested)
        if switch_on("paystack_customer_fees")
        else {"fees": _fee(int(data["amount"]))}
    )
    return {
        **charge,
        "status": "success",
        "gateway_response": "Successful",
        "message": None,
        "paid_at": now,
        "paidAt": now,
        "channel": "card",
        "authorization": {
            "authorization_code": new_id("AUTH_", 10).lower().replace("auth_", "AUTH_"),
            "bin": "408408",
            "last4": "4081",
            "exp_month": "12",
            "exp_year": "2030",
            "channel": "card",
            "card_type": "visa ",
            "bank": "TEST BANK",
            "country_code": "NG",
            "brand": "visa",
            "reusable": True,
            "signature": new_id("SIG_", 20),
            "account_name": None,
            "receiver_bank_account_number": None,
            "receiver_bank": None,
        },
    }


def _send_charge_success(data: dict[str, Any]) -> None:
    """The signed webhook Paystack sends when a charge succeeds: hex HMAC-SHA512 of the raw body
    keyed with the secret key, in `x-paystack-signature`."""
    body = json.dumps(
        {"event": "charge.success", "data": public(data)}, separators=(",", ":")
    ).encode()
    webhook_send(
        GATEWAY,
        about=str(data["reference"]),
        event_type="charge.success",
        body=body,
        headers={SIGNATURE_HEADER: signature_for(body)},
    )


def _back(data: dict[str, Any], url: str) -> HttpResponse:
    reference = str(data["reference"])
    if not url:
        return HttpResponse("Payment finished: you may close this page.", content_type="text/plain")
    return redirect(return_to(url, trxref=reference, reference=reference))


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, access_code: str) -> HttpResponse:
    found = object_find(GATEWAY, KIND, access_code)
    if found is None:
        raise Http404("No such Paystack checkout.")
    if request.method == "POST":
        return _act(request, found, request.POST.get("action", ""))
    return _page(request, found.data)


def _page(request: HttpRequest, data: dict[str, Any], problem: str = "") -> HttpResponse:
    """The checkout, showing what the customer pays (with the fee when the customer bears it).
    Every Paystack currency counts in hundredths (kobo, pesewas, cents)."""
    units = int(data["amount"])
    fee_shown = ""
    if data["status"] == "abandoned" and switch_on("paystack_customer_fees"):
        fee = _fee(int(data.get("requested_amount") or data["amount"]))
        units, fee_shown = units + fee, _money(fee, data)
    return render(
        request,
        "sandbox/paystack/checkout.html",
        {
            "data": data,
            "amount": _money(units, data),
            "fee": fee_shown,
            "email": data["customer"]["email"],
            "open": data["status"] == "abandoned" and not data.get("_closed"),
            "problem": problem,
        },
    )


def _money(units: int, data: dict[str, Any]) -> str:
    return format_money(Decimal(units).scaleb(-2), str(data["currency"]))


def _act(request: HttpRequest, found: SandboxObject, action: str) -> HttpResponse:
    if action not in ("pay", "decline", "cancel"):
        return _page(request, found.data, "Choose Pay, Decline or Cancel.")
    with transaction.atomic():
        locked = SandboxObject.objects.select_for_update().get(pk=found.pk)
        data = dict(locked.data)
        if data["status"] != "abandoned" or data.get("_closed"):
            return _page(request, data, "This transaction is already closed.")
        if action == "pay":
            data.update(_paid(data))
        elif action == "decline":
            data.update(status="failed", gateway_response="Declined", message=None)
        data["_closed"] = True
        locked.data = data
        locked.updated_at = timezone.now()
        locked.save(update_fields=["data", "updated_at"])
        if action == "pay":
            _send_charge_success(data)  # delivered once this transaction commits
    if action == "cancel":
        metadata = given if isinstance(given := data.get("metadata"), dict) else {}
        cancel = str(metadata.get("cancel_action") or data.get("_callback_url") or "")
        if not cancel:
            return HttpResponse("Payment cancelled.", content_type="text/plain")
        return redirect(cancel)
    return _back(data, str(data.get("_callback_url") or ""))


def signature_for(body: bytes) -> str:
    """The x-paystack-signature the sandbox puts on `body` (tests sign their own bodies so)."""
    return paystack_signature(body, settings.PAYDESK_PAYSTACK_SECRET_KEY or "")
