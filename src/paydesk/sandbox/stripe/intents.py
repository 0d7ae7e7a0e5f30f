"""Stripe's PaymentIntents, played offline: /v1/payment_intents (create, confirm, retrieve) with
Stripe's field names, status codes and error shapes, and the `payment_intent.requires_action`,
`payment_intent.succeeded` and `payment_intent.payment_failed` webhooks signed like Stripe's.
The cards: cards.py; the browser's side (Stripe.js, the card frame, 3-D Secure): pages.py.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.sandbox.core import (
    SIGNERS,
    new_id,
    object_create,
    object_get,
    object_update,
    public_url,
    sandbox_api,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.cards import (
    AUTHENTICATE,
    AUTHENTICATE_THEN_INSUFFICIENT,
    AUTHENTICATION_FAILED,
    DECLINES,
    NOT_A_TEST_CARD,
    SUCCESS,
)
from paydesk.sandbox.stripe.common import (
    GATEWAY,
    PRIVATE,
    REFERENCE_KEY,
    _error,
    _idempotent,
    _key,
    _public,
    _remember,
    _unauthorized,
    event_send,
    one_shot_armed,
    one_shot_set,
    rate_limited,
    signed_headers,
)
from paydesk.sandbox.stripe.keys import is_live
from paydesk.sandbox.stripe.versions import METHOD_TYPES, method_types

# Stripe's minimum charge per currency, in its minor units (docs "Minimum and maximum").
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "inr": 50, "jpy": 50, "cad": 50, "aud": 50}
_CURRENCY = re.compile(r"[a-z]{3}")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?")


# --- /v1/payment_intents --------------------------------------------------------------------

CREATE_RATE_LIMITED = "intent_create_rate_limited"  # the panel's switch (a "switch" object)


def intent_create_rate_limit_set(on: bool) -> None:
    """Arm (or disarm) "the next PaymentIntent creation answers HTTP 429"."""
    one_shot_set(CREATE_RATE_LIMITED, on)


def intent_create_rate_limit_armed() -> bool:
    return one_shot_armed(CREATE_RATE_LIMITED)


CREATE_ANSWER_LOST = "intent_create_answer_lost"  # the panel's switch (a "switch" object)


def intent_create_answer_lost_set(on: bool) -> None:
    """Arm (or disarm) "the next PaymentIntent creation is made, but its answer comes too late":
    the intent is created (and confirmed) as asked, then the answer waits past the client's
    timeout — a creation that timed out at the caller though Stripe made it."""
    one_shot_set(CREATE_ANSWER_LOST, on)


def intent_create_answer_lost_armed() -> bool:
    return one_shot_armed(CREATE_ANSWER_LOST)


def _intent_params(form: Any) -> tuple[dict[str, Any] | None, JsonResponse | None]:
    amount = form.get("amount", "")
    if not amount.isdigit():
        return None, _error(
            400,
            type_="invalid_request_error",
            code="parameter_invalid_integer",
            param="amount",
            message=f"Invalid integer: {amount[:20]}",
        )
    currency = form.get("currency", "")
    if not _CURRENCY.fullmatch(currency):
        return None, _error(
            400,
            type_="invalid_request_error",
            param="currency",
            message=f"Invalid currency: {currency[:10]}",
        )
    if int(amount) < MINIMUM_CHARGE.get(currency, 1):
        return None, _error(
            400,
            type_="invalid_request_error",
            code="amount_too_small",
            param="amount",
            message=(f"Amount must be at least {MINIMUM_CHARGE[currency]} {currency} minor units."),
        )
    metadata = {
        key[len("metadata[") : -1]: value
        for key, value in form.items()
        if key.startswith("metadata[") and key.endswith("]")
    }
    return {
        "amount": int(amount),
        "currency": currency,
        "payment_method": form.get("payment_method") or None,
        "confirm": form.get("confirm") == "true",
        "return_url": form.get("return_url", ""),
        "description": form.get("description") or None,
        "metadata": metadata,
        "customer": form.get("customer") or None,
        "off_session": form.get("off_session") == "true",
    }, None


def _expanded(intent: dict[str, Any], params: Any) -> dict[str, Any]:
    """The intent as answered: with `expand[]=payment_method` (or `expand[0]=…`, as Stripe's
    SDKs send it) its payment method is the PaymentMethod object instead of its id."""
    wanted = {v for k, v in params.items() if k == "expand[]" or re.fullmatch(r"expand\[\d+\]", k)}
    answer = _public(intent)
    method_id = answer.get("payment_method")
    if "payment_method" in wanted and isinstance(method_id, str):
        method = object_get(GATEWAY, "payment_method", method_id)
        if method is not None:
            answer["payment_method"] = _public(method.data)
    return answer


@sandbox_api(GATEWAY)
@require_http_methods(["POST"])
def payment_intents(request: HttpRequest) -> HttpResponse:
    """`POST /v1/payment_intents`: create, and with `confirm=true` confirm at once. With the
    panel's "next PaymentIntent creation answers HTTP 429" armed, the next one is rate limited
    before anything is read or run — its Idempotency-Key not recorded either, as Stripe's rate
    limiter runs before its idempotency layer — and the switch turns itself off."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    if intent_create_rate_limit_armed():
        intent_create_rate_limit_set(False)  # once: the next creation works again
        return rate_limited()
    params, invalid = _intent_params(request.POST)
    if invalid is not None:
        return invalid
    assert params is not None
    asked = method_types(request, enabled=METHOD_TYPES)
    if isinstance(asked, JsonResponse):
        return asked
    types, strict = asked
    if strict and "sepa_debit" in types and params["currency"] != "eur":
        return _error(
            400,
            type_="invalid_request_error",
            param="currency",
            message="SEPA Direct Debit debits in eur only.",
        )
    # What Stripe answers in `payment_method_types`: the types that can pay in this currency.
    params["payment_method_types"] = [
        kind for kind in types if kind != "sepa_debit" or params["currency"] == "eur"
    ]
    method = None
    if params["payment_method"]:
        method = object_get(GATEWAY, "payment_method", params["payment_method"])
        if method is None:
            return _error(
                400,
                type_="invalid_request_error",
                code="resource_missing",
                param="payment_method",
                message=f"No such PaymentMethod: '{params['payment_method'][:60]}'",
            )
    if method is not None:
        owner = method.data.get("customer")
        if owner and owner != params["customer"]:
            named = bool(params["customer"])
            return _error(
                400,
                type_="invalid_request_error",
                code="payment_method_invalid_parameter" if named else "parameter_missing",
                param="payment_method" if named else "customer",
                message=(
                    "The provided PaymentMethod belongs to another Customer."
                    if params["customer"]
                    else "The provided PaymentMethod is attached to a Customer: include that "
                    "Customer in the `customer` parameter on the PaymentIntent."
                ),
            )
        if not owner and params["customer"]:
            return _error(
                400,
                type_="invalid_request_error",
                code="payment_method_invalid_parameter",
                param="payment_method",
                message="The provided PaymentMethod is not attached to this Customer.",
            )
    if method is not None and method.data.get("type") not in params["payment_method_types"]:
        return _error(
            400,
            type_="invalid_request_error",
            code="payment_intent_incompatible_payment_method",
            param="payment_method",
            message="The PaymentMethod's type is not in this PaymentIntent's payment_method_types.",
        )
    if params["confirm"] and method is None:
        return _error(
            400,
            type_="invalid_request_error",
            code="payment_intent_unexpected_state",
            message=(
                "You cannot confirm this PaymentIntent because it's missing a payment "
                "method. To confirm the PaymentIntent with cus_, specify a payment "
                "method attached to this customer along with the customer ID."
            ),
        )
    if params["confirm"] and method is not None:
        from paydesk.sandbox.stripe.sepa import address_refusal  # sepa builds on this module

        refused = address_refusal(request, method.data)
        if refused is not None:
            return refused
    record, replay = _idempotent(request)
    if replay is not None:
        return replay
    intent_id = new_id("pi_", 24)
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": params["amount"],
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": int(time.time()),
        "currency": params["currency"],
        "description": params["description"],
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": is_live(_key(request)),  # which key made it
        "metadata": params["metadata"],
        "next_action": None,
        "payment_method": params["payment_method"],
        "payment_method_types": params["payment_method_types"],
        "customer": params["customer"],
        "cancellation_reason": None,
        "status": "requires_payment_method" if method is None else "requires_confirmation",
        PRIVATE: {"return_url": params["return_url"], "off_session": params["off_session"]},
    }
    obj = object_create(
        GATEWAY,
        "payment_intent",
        intent_id,
        intent,
        lookup=params["metadata"].get(REFERENCE_KEY, "")[:200],
    )
    if not params["confirm"]:
        answer = _remember(record, JsonResponse(_expanded(intent, request.POST)))
    else:
        assert method is not None
        answer = _remember(record, _confirm(obj, method, request.POST))
    if intent_create_answer_lost_armed():
        intent_create_answer_lost_set(False)  # once
        time.sleep(settings.PAYDESK_GATEWAY_TIMEOUT + 1)  # made, but answered too late
    return answer


def _confirm(obj: SandboxObject, method: SandboxObject, params: Any) -> JsonResponse:
    """Confirm an intent with its card as the test number says: charge, decline (402) or
    ask for 3-D Secure (`requires_action` + `redirect_to_url`)."""
    if method.data.get("type") == "sepa_debit":
        from paydesk.sandbox.stripe.sepa import sepa_processing

        return JsonResponse(_public(sepa_processing(obj).data))
    behaviour = method.data.get(PRIVATE, {}).get("behaviour", NOT_A_TEST_CARD)
    intent = obj.data
    if behaviour in (AUTHENTICATE, AUTHENTICATE_THEN_INSUFFICIENT) and intent[PRIVATE].get(
        "off_session"
    ):
        # Nobody is there to authenticate: Stripe declines (docs "authentication_required").
        behaviour = "authentication_required"
    if behaviour in (AUTHENTICATE, AUTHENTICATE_THEN_INSUFFICIENT):
        return_url = intent[PRIVATE]["return_url"]
        if return_url:
            url = public_url(reverse("sandbox:stripe:three_d_secure", args=[intent["id"]]))
            next_action = {
                "type": "redirect_to_url",
                "redirect_to_url": {"url": url, "return_url": return_url},
            }
        else:
            next_action = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect"},
            }
        obj = object_update(
            obj,
            status="requires_action",
            next_action=next_action,
            **{
                PRIVATE: {
                    **intent[PRIVATE],
                    "after_authentication": (
                        "insufficient_funds"
                        if behaviour == AUTHENTICATE_THEN_INSUFFICIENT
                        else SUCCESS
                    ),
                }
            },
        )
        event_send(obj.data, "payment_intent.requires_action")
        return JsonResponse(_expanded(obj.data, params))
    if behaviour == SUCCESS:
        obj = _succeed(obj)
        return JsonResponse(_expanded(obj.data, params))
    obj = _fail(obj, *DECLINES.get(behaviour, DECLINES["generic_decline"]), method=method)
    error = dict(obj.data["last_payment_error"])
    return JsonResponse({"error": {**error, "payment_intent": _public(obj.data)}}, status=402)


def _succeed(obj: SandboxObject) -> SandboxObject:
    obj = object_update(
        obj,
        status="succeeded",
        amount_received=obj.data["amount"],
        latest_charge=new_id("ch_", 24),
        next_action=None,
        last_payment_error=None,
    )
    event_send(obj.data, "payment_intent.succeeded")
    return obj


def _fail(
    obj: SandboxObject, code: str, decline_code: str, message: str, *, method: SandboxObject | None
) -> SandboxObject:
    error: dict[str, Any] = {
        "type": "card_error" if code != AUTHENTICATION_FAILED[0] else "invalid_request_error",
        "code": code,
        "message": message,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
    }
    if decline_code:
        error["decline_code"] = decline_code
    if code not in ("processing_error", AUTHENTICATION_FAILED[0]):
        error["charge"] = new_id("ch_", 24)
    if method is not None:
        error["payment_method"] = _public(method.data)
    obj = object_update(
        obj,
        status="requires_payment_method",
        last_payment_error=error,
        next_action=None,
        payment_method=None,
    )
    event_send(obj.data, "payment_intent.payment_failed")
    return obj


SIGNERS[GATEWAY] = signed_headers


@sandbox_api(GATEWAY)
@require_GET
def payment_intent(request: HttpRequest, intent_id: str) -> HttpResponse:
    """`GET /v1/payment_intents/{id}`."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    obj = object_get(GATEWAY, "payment_intent", intent_id)
    if obj is None:
        return _error(
            404,
            type_="invalid_request_error",
            code="resource_missing",
            param="intent",
            message=f"No such payment_intent: '{intent_id[:60]}'",
        )
    return JsonResponse(_expanded(obj.data, request.GET))


# --- /v1/payment_intents/search ---------------------------------------------------------------

# The one query form the sandbox understands of Stripe's search query language: a metadata key
# equal to a quoted value, `metadata['key']:'value'` (docs.stripe.com/search).
_METADATA_QUERY = re.compile(r"metadata\['([A-Za-z0-9_\-]{1,40})'\]:'([^'\\]{1,500})'")


@sandbox_api(GATEWAY)
@require_GET
def payment_intent_search(request: HttpRequest) -> HttpResponse:
    """`GET /v1/payment_intents/search?query=metadata['key']:'value'&limit=`: Stripe's search
    result (`object: search_result`, `data`, `has_more`, `next_page`), newest first. Another
    query form is 400 `invalid_request_error` (the sandbox plays only this one). Unlike Stripe's
    index, the sandbox's answers at once (no lag)."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    query = request.GET.get("query", "")
    matched = _METADATA_QUERY.fullmatch(query.strip())
    if matched is None:
        return _error(
            400,
            type_="invalid_request_error",
            param="query",
            message="The sandbox's search understands only metadata['key']:'value'.",
        )
    limit_text = request.GET.get("limit", "10")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
        return _error(
            400,
            type_="invalid_request_error",
            param="limit",
            message="This value must be between 1 and 100.",
        )
    key, value = matched.groups()
    objects = SandboxObject.objects.filter(gateway=GATEWAY, kind="payment_intent")
    if key == REFERENCE_KEY:
        objects = objects.filter(lookup=value[:200])
    found = [
        obj.data
        for obj in objects.order_by("-id")
        if isinstance(obj.data.get("metadata"), dict) and obj.data["metadata"].get(key) == value
    ]
    limit = int(limit_text)
    expand = {
        v for k, v in request.GET.items() if k == "expand[]" or re.fullmatch(r"expand\[\d+\]", k)
    }
    inner = {"expand[]": "payment_method"} if "data.payment_method" in expand else {}
    return JsonResponse(
        {
            "object": "search_result",
            "url": "/v1/payment_intents/search",
            "has_more": len(found) > limit,
            "data": [_expanded(intent, inner) for intent in found[:limit]],
            "next_page": None,
        }
    )
