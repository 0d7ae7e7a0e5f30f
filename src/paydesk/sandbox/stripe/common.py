"""The Stripe sandbox's shared pieces: its constants, Stripe's auth (secret and publishable keys),
error shapes, idempotency keys, currency exponents, and signed webhooks (`event_send`)."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from paydesk.sandbox.core import (
    new_id,
    object_create,
    object_get,
    object_must,
    object_update,
    webhook_send,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.keys import publishable_keys, secret_keys
from paydesk.sandbox.stripe.signing import SIGNATURE_HEADER, stripe_signature

GATEWAY = "stripe"
# The API version of the webhook endpoint registered on the sandbox's Stripe account: Stripe
# renders an event in its endpoint's version (else the account's default), whatever version the
# request that caused it spoke. Set as docs/gateways/stripe.md asks an operator to set theirs, to
# the version Paydesk speaks. Requests speak their own (`Stripe-Version`, versions.py).
WEBHOOK_API_VERSION = "2026-10-28.endive"
# The metadata key under which the merchant (Paydesk) puts its payment reference: the sandbox
# files each intent under it, as a merchant's dashboard search would find it.
REFERENCE_KEY = "paydesk_reference"
# Stripe's integer amounts (docs "Zero-decimal currencies", "Three-decimal currencies"): every
# other currency counts in hundredths.
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
PRIVATE = "sandbox"  # the key of what the sandbox keeps for itself in an object (never answered)


# --- the panel's one-shot switches ("the next refund fails", "the next detach fails") ---------


def one_shot_set(name: str, on: bool, **details: str) -> None:
    """Arm (or disarm) the one-shot switch `name`: a sandbox object of kind "switch" (no
    `Switches` column, no migration); whoever it makes fail turns it off. `details`: how it
    fails, kept with it (one_shot_details)."""
    switch = object_get(GATEWAY, "switch", name)
    if switch is None:
        object_create(GATEWAY, "switch", name, {"on": bool(on), **details})
    else:
        object_update(switch, on=bool(on), **details)


def one_shot_armed(name: str) -> bool:
    return one_shot_details(name) is not None


def one_shot_details(name: str) -> dict[str, Any] | None:
    """The armed one-shot switch `name`'s details; None when it is not armed."""
    switch = object_get(GATEWAY, "switch", name)
    return switch.data if switch and switch.data.get("on") else None


# --- answers in Stripe's shapes --------------------------------------------------------------


def _error(status: int, *, type_: str, message: str, **fields: Any) -> JsonResponse:
    error = {"type": type_, "message": message, **{k: v for k, v in fields.items() if v}}
    if "code" in error:
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{error['code'].replace('_', '-')}"
    return JsonResponse({"error": error}, status=status)


def rate_limited() -> JsonResponse:
    """Stripe's HTTP 429: its rate limiter answers before the request is run (nothing done, no
    idempotency key recorded)."""
    return _error(
        429,
        type_="invalid_request_error",
        code="rate_limit",
        message="Too many requests in a short time: this one was not run. Retry it later.",
    )


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != PRIVATE}


def _key(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip()
    return ""


def _unauthorized(request: HttpRequest, *, publishable_ok: bool) -> JsonResponse | None:
    """None when the request carries a key this endpoint accepts; else Stripe's 401."""
    key = _key(request) or (request.POST.get("key", "") if publishable_ok else "")
    if key in secret_keys():
        return None
    if key in publishable_keys():
        if publishable_ok:
            return None
        return _error(
            401,
            type_="invalid_request_error",
            message=(
                "This API call cannot be made with a publishable API key. Please use a secret API "
                "key. You can find a list of your API keys at https://dashboard.stripe.com/account/"
                "apikeys."
            ),
        )
    if not key:
        return _error(
            401,
            type_="invalid_request_error",
            message=(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY')."
            ),
        )
    masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "****"
    return _error(401, type_="invalid_request_error", message=f"Invalid API Key provided: {masked}")


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts have in `currency`."""
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def _idempotent(request: HttpRequest) -> tuple[SandboxObject | None, HttpResponse | None]:
    """Stripe's idempotency: the first answer to a key is replayed for 24 h; the same key with
    other parameters, or while the first request runs, is an idempotency_error."""
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return None, None
    if len(key) > 255:
        return None, _error(
            400,
            type_="invalid_request_error",
            message="Idempotency-Key must be at most 255 characters.",
        )
    fingerprint = hashlib.sha256(json.dumps(sorted(request.POST.lists())).encode()).hexdigest()
    try:
        with transaction.atomic():
            record = object_create(GATEWAY, "idempotency", key, {"fingerprint": fingerprint})
        return record, None
    except IntegrityError:
        record = object_must(GATEWAY, "idempotency", key)
    assert record is not None
    if record.data.get("fingerprint") != fingerprint:
        return None, _error(
            400,
            type_="idempotency_error",
            message=(
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request."
            ),
        )
    if "status" not in record.data:
        return None, _error(
            409,
            type_="idempotency_error",
            message=(
                "There is currently another in-progress request using this Idempotent Key (that "
                "probably means you submitted twice, and the other request is still going "
                f"through): {key}. Please try again later."
            ),
        )
    response = JsonResponse(record.data["body"], status=record.data["status"])
    response["Idempotent-Replayed"] = "true"
    return None, response


def _remember(record: SandboxObject | None, response: JsonResponse) -> JsonResponse:
    if record is not None:
        object_update(record, status=response.status_code, body=json.loads(response.content))
    return response


def event_send(intent: dict[str, Any], event_type: str) -> None:
    """Send a Stripe event about `intent`, signed `t=…,v1=…` over "{t}.{body}"."""
    created = int(time.time())
    event = {
        "id": new_id("evt_", 24),
        "object": "event",
        "api_version": WEBHOOK_API_VERSION,
        "created": created,
        "data": {"object": _public(intent)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    body = json.dumps(event).encode()
    webhook_send(
        GATEWAY, about=intent["id"], event_type=event_type, body=body, headers=signed_headers(body)
    )


def signed_headers(body: bytes) -> dict[str, str]:
    """Stripe-Signature for `body` as sent now: `t=<now>,v1=hex HMAC-SHA256("{t}.{body}")`.
    Stripe signs every delivery (and retry) anew, so a held webhook is re-signed when released."""
    signature = stripe_signature(
        body, secret=settings.PAYDESK_STRIPE_WEBHOOK_SECRET or "", timestamp=int(time.time())
    )
    return {SIGNATURE_HEADER: signature}


def idempotency_keys_expire() -> int:
    """Stripe forgets its idempotency keys (it keeps each at least 24 hours): a request sent
    again with one is run as new. How many the sandbox forgot (its switches-page tests and
    Paydesk's tests of a refund asked a day later use it)."""
    deleted, _ = SandboxObject.objects.filter(gateway=GATEWAY, kind="idempotency").delete()
    return deleted


def list_limit(request: HttpRequest) -> tuple[int, HttpResponse | None]:
    """A list's or a search's `limit` (1–100, default 10), or Stripe's 400 for another."""
    limit_text = request.GET.get("limit", "10")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        return 0, _error(
            400,
            type_="invalid_request_error",
            param="limit",
            message="This value must be between 1 and 100.",
        )
    return int(limit_text), None
