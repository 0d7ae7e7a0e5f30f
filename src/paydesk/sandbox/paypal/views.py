"""The pretend PayPal: the REST endpoints Paydesk's client calls (same paths, auth, JSON and
error shapes as api-m.paypal.com), the buyer's approval page, and signed webhooks.

- `POST /v1/oauth2/token`: Basic client_id:secret (the sandbox app's, from settings/sandbox.py)
  and `grant_type=client_credentials` → a bearer token (self-checking: an HMAC with the client
  secret, so it outlives a test's flush); a wrong client → 401 `{"error": "invalid_client"}`.
- `POST /v2/checkout/orders`: intent CAPTURE, purchase units with amounts as decimal strings
  (HUF, JPY, TWD without decimals → 422 DECIMALS_NOT_SUPPORTED); `PayPal-Request-Id` makes it
  idempotent (the same id answers the same order). Answers the order PAYER_ACTION_REQUIRED with
  its `payer-action` link to the approval page.
- `GET /v2/checkout/orders/{id}` (404 RESOURCE_NOT_FOUND); `POST …/{id}/capture`: an order not
  approved → 422 ORDER_NOT_APPROVED; captured already → the same answer for the same
  `PayPal-Request-Id`, else 422 ORDER_ALREADY_CAPTURED.
- `/checkoutnow?token=<order id>`: the buyer approves (→ return_url?token=…&PayerID=…, webhook
  CHECKOUT.ORDER.APPROVED) or cancels (→ cancel_url?token=…). Two sandbox-only buttons approve
  an order whose capture will then be DECLINED, or held PENDING.
- Capturing sends PAYMENT.CAPTURE.COMPLETED (or, for a declined capture, DENIED — DECLINED as
  PayPal documents it with the `paypal_declined_event` switch — or PENDING), signed like
  PayPal's (signing.py, on `cryptography` alone).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
import time
from decimal import ROUND_HALF_UP, Decimal
from hashlib import sha256
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from paydesk.sandbox.core import (
    object_create,
    object_get,
    public_url,
    return_to,
    sandbox_api,
    switch_on,
    webhook_send,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paypal.signing import webhook_headers

GATEWAY = "paypal"
CURRENCIES = frozenset(
    {
        "AUD",
        "BRL",
        "CAD",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "HKD",
        "HUF",
        "ILS",
        "JPY",
        "MYR",
        "MXN",
        "TWD",
        "NZD",
        "NOK",
        "PHP",
        "PLN",
        "GBP",
        "SGD",
        "SEK",
        "CHF",
        "THB",
        "USD",
    }
)
NO_DECIMALS = frozenset({"HUF", "JPY", "TWD"})
TOKEN_SECONDS = 32400  # PayPal's tokens live about nine hours
APP_TEST = "APP-PAYDESKSANDBOX"  # the app ids the token answer names
APP_LIVE = "APP-PAYDESKSANDBOX-LIVE"
_VALUE = re.compile(r"^[0-9]{1,10}(\.[0-9]+)?$")
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
MESSAGES = {
    "INVALID_REQUEST": "Request is not well-formed, syntactically incorrect, or violates schema.",
    "UNPROCESSABLE_ENTITY": "The requested action could not be performed, semantically "
    "incorrect, or failed business validation.",
    "RESOURCE_NOT_FOUND": "The specified resource does not exist.",
}


def paypal_id(length: int = 17) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _now() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def problem(status: int, name: str, issue: str, description: str, field: str = "") -> JsonResponse:
    """PayPal's error shape: name, message, details[{field, issue, description}], debug_id."""
    detail: dict[str, str] = {"issue": issue, "description": description}
    if field:
        detail = {"field": field, "location": "body", **detail}
    return JsonResponse(
        {
            "name": name,
            "message": MESSAGES.get(name, description),
            "debug_id": secrets.token_hex(7),
            "details": [detail],
            "links": [
                {
                    "href": f"https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{issue}",
                    "rel": "information_link",
                    "method": "GET",
                }
            ],
        },
        status=status,
    )


# --- OAuth ---------------------------------------------------------------------------------


def _account() -> tuple[str, str]:
    """The pretend PayPal app's own client id and secret: what settings/sandbox.py gave it (an
    environment variable still wins there). Paydesk's PAYDESK_PAYPAL_CLIENT_* must match them,
    as they must match a real PayPal app's; a test changing only Paydesk's sees PayPal refuse."""
    from paydesk.settings import sandbox as account

    return account.PAYDESK_PAYPAL_CLIENT_ID, account.PAYDESK_PAYPAL_CLIENT_SECRET


def _apps() -> dict[str, tuple[str, str]]:
    """client id → (secret, app id): the sandbox merchant's two REST apps, its test one (the
    one above) and a live one (settings/sandbox.py's SANDBOX_PAYPAL_LIVE_APP), so that the
    back office's live set can be tried; the approval page says which app made the order."""
    from paydesk.settings import sandbox as account

    test_id, test_secret = _account()
    live_id, live_secret = account.SANDBOX_PAYPAL_LIVE_APP
    return {test_id: (test_secret, APP_TEST), live_id: (live_secret, APP_LIVE)}


def _token_mac(payload: str, client_id: str) -> str:
    secret = _apps().get(client_id, ("", ""))[0]
    return hmac.new(secret.encode(), payload.encode(), sha256).hexdigest()[:40]


def _token_claims(token: str) -> dict[str, Any] | None:
    payload, _, mac = token.removeprefix("A21AA").partition(".")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode() + b"=="))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict) or claims.get("client_id") not in _apps():
        return None
    if not mac or not hmac.compare_digest(mac, _token_mac(payload, claims["client_id"])):
        return None
    if not (isinstance(claims.get("exp"), int) and claims["exp"] > time.time()):
        return None
    return claims


def _token_valid(token: str) -> bool:
    return _token_claims(token) is not None


def _caller(request: HttpRequest) -> str:
    """The client id of the app whose bearer token made this (already authorized) request."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    claims = _token_claims(token) or {}
    return str(claims.get("client_id") or "")


def _authorized(request: HttpRequest) -> JsonResponse | None:
    """None when the bearer token is good, else PayPal's 401."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return JsonResponse(
            {
                "name": "AUTHENTICATION_FAILURE",
                "message": "Authentication failed due to invalid authentication credentials "
                "or a missing Authorization header.",
                "links": [],
            },
            status=401,
        )
    if not _token_valid(header.removeprefix("Bearer ").strip()):
        return JsonResponse(
            {"error": "invalid_token", "error_description": "Token signature verification failed"},
            status=401,
        )
    return None


@sandbox_api(GATEWAY)
@require_POST
def oauth_token(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    client_id = secret = ""
    if header.startswith("Basic "):
        try:
            client_id, _, secret = (
                base64.b64decode(header.removeprefix("Basic ").strip()).decode().partition(":")
            )
        except (ValueError, binascii.Error):
            client_id = secret = ""
    expected_secret, app_id = _apps().get(client_id, ("", ""))
    if not (
        client_id
        and expected_secret
        and hmac.compare_digest(secret.encode(), expected_secret.encode())
    ):
        return JsonResponse(
            {"error": "invalid_client", "error_description": "Client Authentication failed"},
            status=401,
        )
    if request.POST.get("grant_type") != "client_credentials":
        return JsonResponse(
            {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"},
            status=400,
        )
    claims = {
        "client_id": client_id,
        "exp": int(time.time()) + TOKEN_SECONDS,
        "n": secrets.token_hex(4),
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return JsonResponse(
        {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": f"A21AA{payload}.{_token_mac(payload, client_id)}",
            "token_type": "Bearer",
            "app_id": app_id,
            "expires_in": TOKEN_SECONDS,
            "nonce": f"{_now()}{secrets.token_hex(8)}",
        }
    )


# --- orders --------------------------------------------------------------------------------


def _answer(obj: SandboxObject) -> dict[str, Any]:
    """The order as PayPal shows it (our private `_sandbox` part left out), with its links."""
    order = {key: value for key, value in obj.data.items() if not key.startswith("_")}
    order_id = obj.object_id
    links = [
        {
            "href": public_url(reverse("sandbox:paypal:order", args=[order_id])),
            "rel": "self",
            "method": "GET",
        }
    ]
    if order["status"] in ("CREATED", "PAYER_ACTION_REQUIRED"):
        links.append(
            {
                "href": public_url(reverse("sandbox:paypal:checkoutnow")) + f"?token={order_id}",
                "rel": "payer-action",
                "method": "GET",
            }
        )
    if order["status"] == "APPROVED":
        links.append(
            {
                "href": public_url(reverse("sandbox:paypal:capture", args=[order_id])),
                "rel": "capture",
                "method": "POST",
            }
        )
    return {"id": order_id, **order, "links": links}


def _unit_problem(index: int, unit: Any) -> JsonResponse | None:
    where = f"/purchase_units/{index}"
    if not isinstance(unit, dict):
        return problem(
            400,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            where,
        )
    amount = unit.get("amount")
    if not isinstance(amount, dict) or "value" not in amount or "currency_code" not in amount:
        return problem(
            400,
            "INVALID_REQUEST",
            "MISSING_REQUIRED_PARAMETER",
            "A required field / parameter is missing.",
            f"{where}/amount",
        )
    currency, value = amount["currency_code"], amount["value"]
    if not isinstance(value, str) or not _VALUE.match(value):
        return problem(
            400,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_SYNTAX",
            "The value of a field does not conform to the expected format.",
            f"{where}/amount/value",
        )
    if currency not in CURRENCIES:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "CURRENCY_NOT_SUPPORTED",
            "Currency code is not currently supported.",
            f"{where}/amount/currency_code",
        )
    decimals = len(value.partition(".")[2])
    if currency in NO_DECIMALS and decimals:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "DECIMALS_NOT_SUPPORTED",
            "Currency does not support decimals.",
            f"{where}/amount/value",
        )
    if decimals > 2:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "DECIMAL_PRECISION",
            "If the currency supports decimals, only two decimal place precision is supported.",
            f"{where}/amount/value",
        )
    if Decimal(value) <= 0:
        return problem(
            422,
            "UNPROCESSABLE_ENTITY",
            "CANNOT_BE_ZERO_OR_NEGATIVE",
            "Must be greater than zero.",
            f"{where}/amount/value",
        )
    for key, limit in (
        ("reference_id", 256),
        ("custom_id", 127),
        ("invoice_id", 127),
        ("description", 127),
    ):
        if key in unit and (not isinstance(unit[key], str) or len(unit[key]) > limit):
            return problem(
                400,
                "INVALID_REQUEST",
                "INVALID_STRING_LENGTH",
                "The value of a field is either too short or too long.",
                f"{where}/{key}",
            )
    return None


def _order_data(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    units = []
    for unit in body["purchase_units"]:
        units.append(
            {
                "reference_id": unit.get("reference_id") or "default",
                **{
                    key: unit[key]
                    for key in ("custom_id", "invoice_id", "description")
                    if key in unit
                },
                "amount": {
                    "currency_code": unit["amount"]["currency_code"],
                    "value": unit["amount"]["value"],
                },
                "payee": {
                    "email_address": "merchant@paydesk.invalid",
                    "merchant_id": "PAYDESKSANDBOX1",
                },
            }
        )
    context: Any = body
    for key in ("payment_source", "paypal", "experience_context"):
        context = context.get(key) if isinstance(context, dict) else None
    context = context if isinstance(context, dict) else {}
    return {
        "intent": body["intent"],
        "status": "PAYER_ACTION_REQUIRED",
        "payment_source": {"paypal": {}},
        "purchase_units": units,
        "create_time": _now(),
        "_sandbox": {
            "request_id": request_id,
            "return_url": str(context.get("return_url") or ""),
            "cancel_url": str(context.get("cancel_url") or ""),
        },
    }


@sandbox_api(GATEWAY, auth=_authorized)
@require_POST
def orders(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body or b"", parse_float=Decimal)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return problem(
            400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed."
        )
    if body.get("intent") != "CAPTURE":
        return problem(
            400,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_VALUE",
            "The value of a field is invalid.",
            "/intent",
        )
    units = body.get("purchase_units")
    if not isinstance(units, list) or not 1 <= len(units) <= 10:
        return problem(
            400,
            "INVALID_REQUEST",
            "MISSING_REQUIRED_PARAMETER",
            "A required field / parameter is missing.",
            "/purchase_units",
        )
    for index, unit in enumerate(units):
        refused = _unit_problem(index, unit)
        if refused is not None:
            return refused
    request_id = request.headers.get("PayPal-Request-Id", "")[:108]
    if request_id:
        earlier = object_get(GATEWAY, "request", f"order:{request_id}")
        if earlier is not None:
            return JsonResponse(_answer(object_get(GATEWAY, "order", earlier.data["order_id"])))
    order_id = paypal_id()
    data = _order_data(body, request_id)
    # which app (test or live) made it: its app id, never the client id (quality.md S5)
    data["_sandbox"]["app_id"] = _apps().get(_caller(request), ("", ""))[1]
    reference = str(units[0].get("custom_id") or units[0].get("reference_id") or "")
    try:
        with transaction.atomic():
            obj = object_create(GATEWAY, "order", order_id, data, lookup=reference[:200])
            if request_id:
                object_create(GATEWAY, "request", f"order:{request_id}", {"order_id": order_id})
    except IntegrityError:  # the same request id, at the same moment: its order
        earlier = object_get(GATEWAY, "request", f"order:{request_id}")
        if earlier is None:
            raise
        return JsonResponse(_answer(object_get(GATEWAY, "order", earlier.data["order_id"])))
    return JsonResponse(_answer(obj), status=201)


def _not_found() -> JsonResponse:
    return problem(
        404,
        "RESOURCE_NOT_FOUND",
        "INVALID_RESOURCE_ID",
        "Specified resource ID does not exist. Please check the resource ID and try again.",
    )


@sandbox_api(GATEWAY, auth=_authorized)
@require_GET
def order(request: HttpRequest, order_id: str) -> HttpResponse:
    obj = object_get(GATEWAY, "order", order_id)
    return _not_found() if obj is None else JsonResponse(_answer(obj))


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _fee(value: Decimal, currency: str) -> Decimal:
    """PayPal's standard rate in the sandbox: 3.49% plus a fixed part."""
    if currency in NO_DECIMALS:
        return round_half_up(value * Decimal("0.0349") + 40, 0)
    return round_half_up(value * Decimal("0.0349") + Decimal("0.49"), 2)


def _capture_for(data: dict[str, Any], unit: dict[str, Any], order_id: str) -> dict[str, Any]:
    behaviour = data["_sandbox"].get("approval", "complete")
    amount = dict(unit["amount"])
    status = {"decline": "DECLINED", "pending": "PENDING"}.get(behaviour, "COMPLETED")
    capture: dict[str, Any] = {
        "id": paypal_id(),
        "status": status,
        "amount": amount,
        "final_capture": True,
        "seller_protection": {
            "status": "ELIGIBLE",
            "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
        },
        "create_time": _now(),
        "update_time": _now(),
    }
    for key in ("custom_id", "invoice_id"):
        if key in unit:
            capture[key] = unit[key]
    if status == "COMPLETED":
        gross = Decimal(amount["value"])
        fee = _fee(gross, amount["currency_code"])
        places = 0 if amount["currency_code"] in NO_DECIMALS else 2
        capture["seller_receivable_breakdown"] = {
            "gross_amount": amount,
            "paypal_fee": {"currency_code": amount["currency_code"], "value": f"{fee:f}"},
            "net_amount": {
                "currency_code": amount["currency_code"],
                "value": f"{round_half_up(gross - fee, places):f}",
            },
        }
    elif status == "PENDING":
        capture["status_details"] = {"reason": "PENDING_REVIEW"}
    return capture


@sandbox_api(GATEWAY, auth=_authorized)
@require_POST
def capture(request: HttpRequest, order_id: str) -> HttpResponse:
    request_id = request.headers.get("PayPal-Request-Id", "")[:108]
    with transaction.atomic():
        obj = (
            SandboxObject.objects.select_for_update()
            .filter(gateway=GATEWAY, kind="order", object_id=order_id)
            .first()
        )
        if obj is None:
            return _not_found()
        data = obj.data
        private = data["_sandbox"]
        if private.get("capture_request_id") is not None:
            if request_id and request_id == private["capture_request_id"]:
                return JsonResponse(_answer(obj), status=201)  # the same request, answered again
            return problem(
                422,
                "UNPROCESSABLE_ENTITY",
                "ORDER_ALREADY_CAPTURED",
                "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
            )
        if data["status"] != "APPROVED":
            return problem(
                422,
                "UNPROCESSABLE_ENTITY",
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment. Please redirect "
                "the payer to the 'rel':'approve' url returned as part of the HATEOAS "
                "links within the Create Order call or provide a valid payment_source "
                "in the request.",
            )
        captures = []
        for unit in data["purchase_units"]:
            made = _capture_for(data, unit, order_id)
            unit["payments"] = {"captures": [made]}
            captures.append(made)
            # Which order holds a capture: Payments v2 (refunds.py) is addressed by capture id.
            object_create(GATEWAY, "capture", made["id"], {"order_id": order_id}, lookup=order_id)
        data["status"] = "COMPLETED"
        private["capture_request_id"] = request_id
        private["captures_made"] = private.get("captures_made", 0) + 1
        obj.data = data
        obj.updated_at = timezone.now()
        obj.save(update_fields=["data", "updated_at"])
        for made in captures:
            _send_capture_webhook(order_id, made)
    return JsonResponse(_answer(obj), status=201)


# --- webhooks ------------------------------------------------------------------------------


def _send(
    about: str, event_type: str, resource_type: str, summary: str, resource: dict[str, Any]
) -> None:
    event = {
        "id": f"WH-{paypal_id()}-{paypal_id()}",
        "event_version": "1.0",
        "create_time": _now(),
        "resource_type": resource_type,
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": summary,
        "resource": resource,
        "links": [],
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    webhook_send(
        GATEWAY, about=about, event_type=event_type, body=body, headers=webhook_headers(body)
    )


def capture_event_type(status: str) -> str:
    """The webhook a capture of `status` sends. PayPal documents PAYMENT.CAPTURE.DECLINED for a
    declined capture and PAYMENT.CAPTURE.DENIED for one denied later (e.g. after review); the
    sandbox long sent DENIED for a declined one, and still does unless the
    `paypal_declined_event` switch is on."""
    if status == "DECLINED":
        documented = switch_on("paypal_declined_event")
        return "PAYMENT.CAPTURE.DECLINED" if documented else "PAYMENT.CAPTURE.DENIED"
    return {"COMPLETED": "PAYMENT.CAPTURE.COMPLETED", "PENDING": "PAYMENT.CAPTURE.PENDING"}[status]


def _send_capture_webhook(order_id: str, made: dict[str, Any]) -> None:
    event_type = capture_event_type(made["status"])
    amount = made["amount"]
    resource = {
        **made,
        "supplementary_data": {"related_ids": {"order_id": order_id}},
        "links": [],
    }
    _send(
        order_id,
        event_type,
        "capture",
        f"Payment {made['status'].lower()} for {amount['value']} {amount['currency_code']}",
        resource,
    )


# --- the buyer's approval page -------------------------------------------------------------

APPROVALS = {
    "approve": "complete",
    "approve_decline": "decline",
    "approve_pending": "pending",
}


@require_http_methods(["GET", "POST"])
def checkoutnow(request: HttpRequest) -> HttpResponse:
    """PayPal's hosted approval page for the order named by `token`."""
    order_id = (request.GET.get("token") or "")[:40]
    obj = object_get(GATEWAY, "order", order_id) if order_id else None
    if obj is None:
        return render(request, "sandbox/paypal/checkout.html", {"missing": True}, status=404)
    private = obj.data["_sandbox"]
    waiting = obj.data["status"] in ("CREATED", "PAYER_ACTION_REQUIRED")
    if request.method == "POST" and waiting:
        action = request.POST.get("action", "")
        if action == "cancel":
            if private.get("cancel_url"):
                return redirect(return_to(private["cancel_url"], token=order_id))
        elif action in APPROVALS:
            obj = _approve(obj, APPROVALS[action])
            if obj.data["_sandbox"].get("return_url"):
                return redirect(
                    return_to(
                        obj.data["_sandbox"]["return_url"],
                        token=order_id,
                        PayerID=obj.data["payer"]["payer_id"],
                    )
                )
    unit = obj.data["purchase_units"][0]
    return render(
        request,
        "sandbox/paypal/checkout.html",
        {
            "order_id": order_id,
            "status": obj.data["status"],
            "waiting": obj.data["status"] in ("CREATED", "PAYER_ACTION_REQUIRED"),
            "amount": unit["amount"],
            "description": unit.get("description", ""),
            "app_id": private.get("app_id", ""),
        },
    )


def _approve(obj: SandboxObject, behaviour: str) -> SandboxObject:
    with transaction.atomic():
        locked = SandboxObject.objects.select_for_update().get(pk=obj.pk)
        data = locked.data
        if data["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED"):
            return locked  # approved meanwhile (a double click): once
        payer_id = paypal_id(13)
        data["status"] = "APPROVED"
        data["payer"] = {
            "name": {"given_name": "Sandbox", "surname": "Buyer"},
            "email_address": "buyer@paydesk.invalid",
            "payer_id": payer_id,
            "address": {"country_code": "US"},
        }
        data["payment_source"] = {
            "paypal": {
                "email_address": "buyer@paydesk.invalid",
                "account_id": payer_id,
                "account_status": "VERIFIED",
                "name": {"given_name": "Sandbox", "surname": "Buyer"},
            }
        }
        data["_sandbox"]["approval"] = behaviour
        locked.data = data
        locked.updated_at = timezone.now()
        locked.save(update_fields=["data", "updated_at"])
        _send(
            locked.object_id,
            "CHECKOUT.ORDER.APPROVED",
            "checkout-order",
            "An order has been approved by buyer",
            _answer(locked),
        )
    return locked
