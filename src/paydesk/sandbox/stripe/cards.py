"""Stripe's test cards, played offline: /v1/payment_methods, with the card checks Stripe applies
(Luhn, expiry, CVC) and the behaviour of each test number (Stripe's docs "Testing": 4242…
succeeds, 0002 is a generic decline, 9995 insufficient funds, 9987 lost, 9979 stolen, 0069
expired, 0127 incorrect CVC, 0119 processing error, 4242 4242 4242 4241 fails the Luhn check,
3184 and 3220 need 3-D Secure, 3178 authenticates and is then declined for insufficient funds).

A PaymentMethod keeps only what Stripe shows of a card (brand, last four, expiry, the number's
fingerprint) and the behaviour of its test number; never the number, never the CVC.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from paydesk.sandbox.core import (
    new_id,
    object_create,
    sandbox_api,
)
from paydesk.sandbox.stripe.common import GATEWAY, PRIVATE, _error, _public, _unauthorized

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


# --- card checks ------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn check Stripe applies to a card number (ISO/IEC 7812-1)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


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

        method = sepa_payment_method(request)
        return method if isinstance(method, JsonResponse) else JsonResponse(_public(method))
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
