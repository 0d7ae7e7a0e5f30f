"""Helpers of the Stripe card tests: a PaymentMethod made the way the card frame makes it (a POST
with the publishable key to the sandbox's /v1/payment_methods, never through Paydesk), and a card
checkout started through the services with its pm_… id."""

from __future__ import annotations

import httpx
from django.conf import settings
from django.utils import timezone

from paydesk.checkout.forms import new_form_token
from paydesk.checkout.services import Checkout, checkout_start
from tests.online.sandbox_support import sandbox_switch  # noqa: F401 (shared driver)

VISA = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT = "4000000000009995"
THREE_D_SECURE = "4000002760003184"
THREE_D_SECURE_2 = "4000000000003220"
AUTH_THEN_INSUFFICIENT = "4000008260003178"


def payment_method_answer(
    base_url: str,
    number: str = VISA,
    *,
    exp_month: str = "12",
    exp_year: str | None = None,
    cvc: str = "123",
    key: str | None = None,
) -> httpx.Response:
    """POST /v1/payment_methods as the sandbox's card frame does."""
    return httpx.post(
        f"{base_url}/sandbox/stripe/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": number,
            "card[exp_month]": exp_month,
            "card[exp_year]": exp_year or str(timezone.localdate().year + 3),
            "card[cvc]": cvc,
            "key": key if key is not None else settings.PAYDESK_STRIPE_PUBLISHABLE_KEY,
        },
        timeout=10,
    )


def payment_method(base_url: str, number: str = VISA) -> str:
    answer = payment_method_answer(base_url, number)
    assert answer.status_code == 200, answer.text
    return answer.json()["id"]


def card_checkout(
    base_url: str,
    user,
    *,
    number: str = VISA,
    amount: str = "10.50",
    currency: str = "USD",
    token: str | None = None,
    key: str | None = None,
) -> Checkout:
    """Pay `amount` by card with a test card, as Make Payment's Pay does."""
    return checkout_start(
        customer=user.customer,
        user=user,
        method="card",
        amount=amount,
        currency=currency,
        idempotency_key=key or new_form_token(),
        payment_method_token=token or payment_method(base_url, number),
    )


def setup_confirm(base_url: str, client_secret: str, pm: str) -> httpx.Response:
    """POST /v1/setup_intents/{id}/confirm as Stripe.js's confirmCardSetup does (publishable
    key and the intent's client secret, never the secret key)."""
    setup_id = client_secret.split("_secret_")[0]
    return httpx.post(
        f"{base_url}/sandbox/stripe/v1/setup_intents/{setup_id}/confirm",
        data={
            "key": settings.PAYDESK_STRIPE_PUBLISHABLE_KEY,
            "client_secret": client_secret,
            "payment_method": pm,
        },
        timeout=10,
    )


def save_card(base_url: str, user, number: str = VISA, **card: str) -> str:
    """Save a card as the portal's Add a card does; its pm_… id."""
    from paydesk.methods.services import (
        method_setup_finish,
        method_setup_secret,
        method_setup_start,
    )

    setup = method_setup_start(customer=user.customer, user=user, method_type="card")
    secret = method_setup_secret(customer=user.customer, user=user, setup_intent=setup.setup_intent)
    answer = payment_method_answer(base_url, number, **card)
    assert answer.status_code == 200, answer.text
    confirmed = setup_confirm(base_url, secret, answer.json()["id"])
    assert confirmed.status_code == 200, confirmed.text
    return method_setup_finish(
        customer=user.customer, user=user, setup_intent=setup.setup_intent
    ).payment_method


IBAN = "DE89370400440532013000"  # Stripe's test IBAN (last four 3000)
# A Swiss IBAN (valid check digits; Switzerland is in SEPA but not in the EEA, last four 2957):
# since 2026-09-30.endive Stripe needs the account holder's address with it.
SWISS_IBAN = "CH9300762011623852957"
ADDRESS = {"line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"}


def sepa_method_answer(
    base_url: str,
    iban: str = IBAN,
    *,
    name: str = "Jenny Rosen",
    email: str = "jenny@example.com",
    address: dict[str, str] | None = None,
    version: str = "",
) -> httpx.Response:
    """POST /v1/payment_methods as the sandbox's IBAN frame does (`version`: Stripe.js's
    apiVersion, sent as `Stripe-Version`)."""
    fields = {f"billing_details[address][{k}]": v for k, v in (address or {}).items()}
    return httpx.post(
        f"{base_url}/sandbox/stripe/v1/payment_methods",
        data={
            "type": "sepa_debit",
            "sepa_debit[iban]": iban,
            "billing_details[name]": name,
            "billing_details[email]": email,
            **fields,
            "key": settings.PAYDESK_STRIPE_PUBLISHABLE_KEY,
        },
        headers={"Stripe-Version": version} if version else {},
        timeout=10,
    )


def save_sepa(base_url: str, user, iban: str = IBAN):
    """Save a SEPA Direct Debit mandate as the portal's page does; the finished MethodSetup."""
    from paydesk.methods.services import (
        method_setup_finish,
        method_setup_secret,
        method_setup_start,
    )

    setup = method_setup_start(customer=user.customer, user=user, method_type="sepa_debit")
    secret = method_setup_secret(customer=user.customer, user=user, setup_intent=setup.setup_intent)
    answer = sepa_method_answer(base_url, iban)
    assert answer.status_code == 200, answer.text
    confirmed = setup_confirm(base_url, secret, answer.json()["id"])
    assert confirmed.status_code == 200, confirmed.text
    return method_setup_finish(customer=user.customer, user=user, setup_intent=setup.setup_intent)
