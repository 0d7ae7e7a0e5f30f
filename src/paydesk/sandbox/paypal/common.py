"""What the pretend PayPal's parts share: its constants, ids, times, error shape, an order as
PayPal shows it, and the signed webhook it sends (signing.py)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone

from paydesk.sandbox.core import public_url, webhook_send
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
# The sandbox merchant's account id: 13 of PayPal's id letters (no I, O, 0, 1), as Orders v2's
# `payee.merchant_id` pattern `^[2-9A-HJ-NP-Z]{13}$` wants.
MERCHANT_ID = "PAYDESKSANDBX"
VALUE = re.compile(r"^[0-9]{1,10}(\.[0-9]+)?$")
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
# Account ids (payer_id, merchant_id): Orders v2's pattern `^[2-9A-HJ-NP-Z]{13}$` (no 0 or 1).
ACCOUNT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REQUEST_ID_MAX = 108  # Orders v2: `PayPal-Request-Id` is a string of 1 to 108 characters
OBJECT_ID_MAX = 100  # SandboxObject.object_id
MESSAGES = {
    "INVALID_REQUEST": "Request is not well-formed, syntactically incorrect, or violates schema.",
    "UNPROCESSABLE_ENTITY": "The requested action could not be performed, semantically "
    "incorrect, or failed business validation.",
    "RESOURCE_NOT_FOUND": "The specified resource does not exist.",
}


def paypal_id(length: int = 17) -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def account_id() -> str:
    """A PayPal account id (a payer's `payer_id`): 13 characters of ACCOUNT_ALPHABET."""
    return "".join(secrets.choice(ACCOUNT_ALPHABET) for _ in range(13))


def now_text() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def problem(
    status: int, name: str, issue: str, description: str, field: str = "", location: str = "body"
) -> JsonResponse:
    """PayPal's error shape: name, message, details[{field, location, issue, description}],
    debug_id. `location` is body, path or query (the only values the OpenAPI files allow), or ""
    for a header, which has none."""
    detail: dict[str, str] = {"issue": issue, "description": description}
    if field:
        detail = {"field": field, **({"location": location} if location else {}), **detail}
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


def request_id_refusal(request_id: str) -> JsonResponse | None:
    """PayPal's 400 for an Orders `PayPal-Request-Id` longer than it takes, else None."""
    if len(request_id) <= REQUEST_ID_MAX:
        return None
    return problem(
        400,
        "INVALID_REQUEST",
        "INVALID_STRING_LENGTH",
        "The value of a field is either too short or too long",
        "PayPal-Request-Id",
        location="",
    )


def request_key(kind: str, request_id: str) -> str:
    """The stored id of the `kind` request made with `request_id`: a request id up to 108
    characters does not fit the object id's 100, so a long one is kept as its SHA-256."""
    key = f"{kind}:{request_id}"
    if len(key) <= OBJECT_ID_MAX:
        return key
    return f"{kind}#{hashlib.sha256(request_id.encode()).hexdigest()}"


def order_answer(obj: SandboxObject) -> dict[str, Any]:
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


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def send(
    about: str, event_type: str, resource_type: str, summary: str, resource: dict[str, Any]
) -> None:
    event = {
        "id": f"WH-{paypal_id()}-{paypal_id()}",
        "event_version": "1.0",
        "create_time": now_text(),
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
