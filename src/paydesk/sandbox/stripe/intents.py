"""Stripe, played offline: the API paths Paydesk and Stripe.js call, with Stripe's auth, field
names, status codes and error shapes; the card-fields frame; a 3-D Secure challenge page; and
`payment_intent.requires_action`, `payment_intent.succeeded` and `payment_intent.payment_failed`
webhooks signed like Stripe's.

Test card numbers behave as Stripe documents them (docs "Testing"): 4242… succeeds, 0002 is a
generic decline, 9995 insufficient funds, 9987 lost, 9979 stolen, 0069 expired, 0127 incorrect
CVC, 0119 processing error, 4242 4242 4242 4241 fails the Luhn check, 3184 and 3220 need 3-D
Secure, 3178 authenticates and is then declined for insufficient funds.

A PaymentMethod keeps only what Stripe shows of a card (brand, last four, expiry, the number's
fingerprint) and the behaviour of its test number; never the number, never the CVC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from paydesk.sandbox.core import (
    SIGNERS,
    new_id,
    object_create,
    object_get,
    object_update,
    public_url,
    return_to,
    sandbox_api,
    webhook_send,
)
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.keys import is_live, publishable_keys, secret_keys
from paydesk.sandbox.stripe.signing import SIGNATURE_HEADER, stripe_signature
from paydesk.web.middleware import CONTENT_SECURITY_POLICY

GATEWAY = "stripe"
API_VERSION = "2024-06-20"
# The metadata key under which the merchant (Paydesk) puts its payment reference: the sandbox
# files each intent under it, as a merchant's dashboard search would find it.
REFERENCE_KEY = "paydesk_reference"
# Stripe's integer amounts (docs "Zero-decimal currencies", "Three-decimal currencies"): every
# other currency counts in hundredths.
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
PRIVATE = "sandbox"  # the key of what the sandbox keeps for itself in an object (never answered)

SUCCESS = "success"
AUTHENTICATE = "authenticate"
AUTHENTICATE_THEN_INSUFFICIENT = "authenticate_then_insufficient_funds"
NOT_A_TEST_CARD = "not_a_test_card"

# Test number → behaviour (Stripe's documented test cards).
TEST_CARDS = {
    "4242424242424242": SUCCESS,
    "4000056655665556": SUCCESS,
    "5555555555554444": SUCCESS,
    "378282246310005": SUCCESS,
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
    "4000002760003184": AUTHENTICATE,
    "4000000000003220": AUTHENTICATE,
    "4000008260003178": AUTHENTICATE_THEN_INSUFFICIENT,
}
DECLINED = "Your card was declined."
# Behaviour → (error code, decline code, Stripe's message).
DECLINES = {
    "generic_decline": ("card_declined", "generic_decline", DECLINED),
    "insufficient_funds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "lost_card": ("card_declined", "lost_card", DECLINED),
    "stolen_card": ("card_declined", "stolen_card", DECLINED),
    "expired_card": ("expired_card", "expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "authentication_required": (
        "authentication_required",
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
    ),
    NOT_A_TEST_CARD: (
        "card_declined",
        "test_mode_live_card",
        "Your card was declined. Your request was in test mode, but used a non test card. "
        "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    ),
}
AUTHENTICATION_FAILED = (
    "payment_intent_authentication_failure",
    "",
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
)
# Stripe's minimum charge per currency, in its minor units (docs "Minimum and maximum").
MINIMUM_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "inr": 50, "jpy": 50, "cad": 50, "aud": 50}
_CURRENCY = re.compile(r"[a-z]{3}")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?")


# --- answers in Stripe's shapes --------------------------------------------------------------


def _error(status: int, *, type_: str, message: str, **fields: Any) -> JsonResponse:
    error = {"type": type_, "message": message, **{k: v for k, v in fields.items() if v}}
    if "code" in error:
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{error['code'].replace('_', '-')}"
    return JsonResponse({"error": error}, status=status)


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


# --- card checks ------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn check Stripe applies to a card number (ISO/IEC 7812-1)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts have in `currency`."""
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in ("34", "37"):
        return "amex"
    if digits[:2] in ("51", "52", "53", "54", "55") or 2221 <= int(digits[:4]) <= 2720:
        return "mastercard"
    if digits.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def card_problem(number: str, exp_month: str, exp_year: str, cvc: str) -> tuple[str, str, str]:
    """('', '', '') for a card Stripe would accept as a PaymentMethod, else (code, param,
    message) as Stripe's API answers them."""
    digits = re.sub(r"[\s-]", "", number)
    if not digits:
        return "incorrect_number", "card[number]", "Your card number is incomplete."
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_valid(digits):
        return "incorrect_number", "card[number]", "Your card number is incorrect."
    if not exp_month.isdigit() or not 1 <= int(exp_month) <= 12:
        return (
            "invalid_expiry_month",
            "card[exp_month]",
            ("Your card's expiration month is invalid."),
        )
    if not exp_year.isdigit() or len(exp_year) not in (2, 4):
        return "invalid_expiry_year", "card[exp_year]", "Your card's expiration year is invalid."
    year = int(exp_year) + (2000 if len(exp_year) == 2 else 0)
    today = timezone.localdate()
    if year < today.year:
        return (
            "invalid_expiry_year",
            "card[exp_year]",
            ("Your card's expiration year is in the past."),
        )
    if year == today.year and int(exp_month) < today.month:
        return (
            "invalid_expiry_month",
            "card[exp_month]",
            ("Your card's expiration date is in the past."),
        )
    if not cvc.isdigit() or len(cvc) not in (3, 4):
        return "invalid_cvc", "card[cvc]", "Your card's security code is invalid."
    return "", "", ""


# --- /v1/payment_methods ------------------------------------------------------------------------


@sandbox_api(GATEWAY)
@require_http_methods(["POST"])
def payment_methods(request: HttpRequest) -> HttpResponse:
    """`POST /v1/payment_methods` with `type=card` and `card[…]`, as Stripe.js sends it from the
    card frame (publishable key). Keeps brand, last four, expiry and the test behaviour."""
    refused = _unauthorized(request, publishable_ok=True)
    if refused is not None:
        return refused
    form = request.POST
    if form.get("type") == "sepa_debit":
        from paydesk.sandbox.stripe.sepa import sepa_payment_method  # sepa builds on this module

        method, problem = sepa_payment_method(form)
        if method is None:
            return _error(400, type_="invalid_request_error", code="invalid_bank_account_iban",
                          param="sepa_debit[iban]", message=problem)
        return JsonResponse(_public(method))
    if form.get("type") != "card":
        return _error(
            400,
            type_="invalid_request_error",
            code="parameter_invalid_empty",
            param="type",
            message="The sandbox offers PaymentMethods of type card and sepa_debit.",
        )
    number = form.get("card[number]", "")
    exp_month, exp_year = (
        form.get("card[exp_month]", "").strip(),
        form.get("card[exp_year]", "").strip(),
    )
    code, param, message = card_problem(number, exp_month, exp_year, form.get("card[cvc]", ""))
    if code:
        return _error(402, type_="card_error", code=code, param=param, message=message)
    digits = re.sub(r"[\s-]", "", number)
    year = int(exp_year) + (2000 if len(exp_year) == 2 else 0)
    method_id = new_id("pm_", 24)
    data = {
        "id": method_id,
        "object": "payment_method",
        "type": "card",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": _brand(digits),
            "last4": digits[-4:],
            # Stripe's fingerprint: the same for every PaymentMethod made from one card number,
            # and telling nothing of it (keyed, so the test number cannot be hashed back).
            "fingerprint": hmac.new(
                settings.SECRET_KEY.encode(), digits.encode(), hashlib.sha256
            ).hexdigest()[:16],
            "exp_month": int(exp_month),
            "exp_year": year,
            "funding": "credit",
            "country": "US",
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked",
            },
            "three_d_secure_usage": {"supported": True},
        },
        "created": int(time.time()),
        "customer": None,
        "livemode": False,
        "metadata": {},
        PRIVATE: {"behaviour": TEST_CARDS.get(digits, NOT_A_TEST_CARD)},
    }
    object_create(GATEWAY, "payment_method", method_id, data)
    return JsonResponse(_public(data))


# --- /v1/payment_intents --------------------------------------------------------------------


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
    types = [v for k, v in sorted(form.items()) if k.startswith("payment_method_types[")]
    return {
        "amount": int(amount),
        "currency": currency,
        "payment_method": form.get("payment_method") or None,
        "confirm": form.get("confirm") == "true",
        "return_url": form.get("return_url", ""),
        "description": form.get("description") or None,
        "metadata": metadata,
        "payment_method_types": types or ["card"],
        "customer": form.get("customer") or None,
        "off_session": form.get("off_session") == "true",
    }, None


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
        record = object_get(GATEWAY, "idempotency", key)
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


def _remember(record: SandboxObject | None, response: JsonResponse) -> JsonResponse:
    if record is not None:
        object_update(record, status=response.status_code, body=json.loads(response.content))
    return response


@sandbox_api(GATEWAY)
@require_http_methods(["POST"])
def payment_intents(request: HttpRequest) -> HttpResponse:
    """`POST /v1/payment_intents`: create, and with `confirm=true` confirm at once."""
    refused = _unauthorized(request, publishable_ok=False)
    if refused is not None:
        return refused
    params, invalid = _intent_params(request.POST)
    if invalid is not None:
        return invalid
    assert params is not None
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
    if "sepa_debit" in params["payment_method_types"] and params["currency"] != "eur":
        return _error(
            400,
            type_="invalid_request_error",
            param="currency",
            message="SEPA Direct Debit debits in eur only.",
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
        return _remember(record, JsonResponse(_expanded(intent, request.POST)))
    assert method is not None
    return _remember(record, _confirm(obj, method, request.POST))


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
    error = {
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


def event_send(intent: dict[str, Any], event_type: str) -> None:
    """Send a Stripe event about `intent`, signed `t=…,v1=…` over "{t}.{body}"."""
    created = int(time.time())
    event = {
        "id": new_id("evt_", 24),
        "object": "event",
        "api_version": API_VERSION,
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


# --- the browser's side: Stripe.js, the card frame, 3-D Secure --------------------------------


@require_GET
def stripe_js(request: HttpRequest) -> HttpResponse:
    """Stripe.js's stand-in (the subset Paydesk's page uses, with Stripe.js's names)."""
    path = Path(apps.get_app_config("sandbox").path) / "static/sandbox/stripe/v3.js"
    response = HttpResponse(path.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@xframe_options_sameorigin
@require_GET
def element_frame(request: HttpRequest, element: str) -> HttpResponse:
    """The card fields, inside the iframe Stripe.js mounts on the merchant's page. The card is
    posted from here to /v1/payment_methods, never through the merchant's server."""
    if element not in ("card", "iban"):
        raise Http404("The sandbox's Stripe.js offers the card and iban elements only.")
    origin = request.GET.get("origin", "")
    key = request.GET.get("key", "")
    problem = ""
    if not _ORIGIN.fullmatch(origin):
        problem = "The page that mounted these card fields did not say its origin."
    elif key not in publishable_keys():
        problem = "Invalid API Key provided to Stripe.js."
    response = render(
        request,
        f"sandbox/stripe/{element}_frame.html",
        {
            "origin": origin,
            "key": key,
            "api_url": reverse("sandbox:stripe:payment_methods"),
            "problem": problem,
        },
        status=400 if problem else 200,
    )
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def three_d_secure(request: HttpRequest, intent_id: str) -> HttpResponse:
    """The issuer's 3-D Secure challenge: Complete or Fail authentication, then back to the
    merchant's return_url with `payment_intent=<id>` as Stripe does."""
    obj = object_get(GATEWAY, "payment_intent", intent_id)
    if obj is None:
        raise Http404("No such PaymentIntent.")
    intent = obj.data
    return_url = intent.get(PRIVATE, {}).get("return_url", "")
    waiting = intent.get("status") == "requires_action"
    if request.method == "POST" and waiting:
        action = request.POST.get("action")
        if action == "complete":
            after = intent[PRIVATE].get("after_authentication", SUCCESS)
            if after == SUCCESS:
                obj = _succeed(obj)
            else:
                method = object_get(GATEWAY, "payment_method", intent.get("payment_method") or "")
                obj = _fail(obj, *DECLINES[after], method=method)
        elif action == "fail":
            method = object_get(GATEWAY, "payment_method", intent.get("payment_method") or "")
            obj = _fail(obj, *AUTHENTICATION_FAILED, method=method)
        else:
            return redirect(request.path)
        waiting = False
    if request.method == "POST" and return_url:
        status = "succeeded" if obj.data["status"] == "succeeded" else "failed"
        return redirect(
            return_to(
                return_url,
                payment_intent=intent_id,
                payment_intent_client_secret=obj.data["client_secret"],
                redirect_status=status,
            )
        )
    method = object_get(GATEWAY, "payment_method", intent.get("payment_method") or "")
    card = method.data.get("card", {}) if method else {}
    exponent = stripe_exponent(intent["currency"])
    return render(
        request,
        "sandbox/stripe/three_d_secure.html",
        {
            "intent": _public(obj.data),
            "waiting": waiting,
            "amount": _amount_text(intent["amount"], exponent),
            "currency": intent["currency"].upper(),
            "card": card,
            "return_url": return_url,
        },
    )


def _amount_text(units: int, exponent: int) -> str:
    text = str(units).rjust(exponent + 1, "0")
    return f"{text[:-exponent]}.{text[-exponent:]}" if exponent else text
