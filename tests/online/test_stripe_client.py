"""The Stripe client (official SDK) against the sandbox over real HTTP: the PaymentIntent it
creates (form fields, Stripe's minor units, idempotency), how each answer and failure maps, the
payment log's record of each call, and the sandbox's PaymentMethods (no card data kept)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from django.conf import settings

from paydesk.checkout.models import LogChannel, LogDirection, PaymentLogEntry
from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.stripe.client import CardDeclined, StripeApi, stripe_minor_units
from paydesk.money import Money
from paydesk.sandbox.models import SandboxObject
from tests.online.stripe_support import (
    DECLINE,
    INSUFFICIENT,
    VISA,
    card_checkout,
    payment_method,
    payment_method_answer,
)

pytestmark = pytest.mark.django_db(transaction=True)


TEN_FIFTY = Money(Decimal("10.50"), "USD")


def _create(
    url: str,
    *,
    amount: Money = TEN_FIFTY,
    number: str = VISA,
    key: str = "checkout:client-test-key-0001",
    reference: str = "ABCDE-FGHJK-C",
    token: str | None = None,
) -> dict:
    return StripeApi().payment_intent_create(
        amount=amount,
        payment_method=token or payment_method(url, number),
        return_url=f"{url}/pay/return/{reference}/",
        payment_reference=reference,
        description="Credit Card $10.50",
        idempotency_key=key,
    )


def _leaves(value: object) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [str(value)]


def _keys(value: object) -> set[str]:
    if not isinstance(value, dict):
        return set()
    return set(value) | {key for item in value.values() for key in _keys(item)}


def _intent(intent_id: str) -> dict:
    return SandboxObject.objects.get(
        gateway="stripe", kind="payment_intent", object_id=intent_id
    ).data


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("10.50", "USD", 1050), ("1500", "JPY", 1500), ("1.230", "KWD", 1230), ("0.01", "EUR", 1)],
)
def test_stripe_minor_units(amount, currency, units):
    assert stripe_minor_units(Money(Decimal(amount), currency)) == units


@pytest.mark.parametrize(("amount", "currency"), [("1.235", "KWD"), ("10.50", "MGA")])
def test_amounts_stripe_cannot_charge_exactly_are_refused_never_rounded(amount, currency):
    with pytest.raises(GatewayError, match="cannot be charged"):
        stripe_minor_units(Money(Decimal(amount), currency))


def test_create_and_confirm_sends_stripes_fields_and_the_card_succeeds(sandbox):
    intent = _create(sandbox.url)
    assert intent["status"] == "succeeded" and intent["amount_received"] == 1050
    stored = _intent(intent["id"])
    assert stored["amount"] == 1050 and stored["currency"] == "usd"
    assert stored["metadata"] == {"paydesk_reference": "ABCDE-FGHJK-C"}
    assert stored["payment_method_types"] == ["card"]
    assert stored["sandbox"]["return_url"] == f"{sandbox.url}/pay/return/ABCDE-FGHJK-C/"
    assert "sandbox" not in intent  # the sandbox's own notes are never answered
    again = StripeApi().payment_intent_retrieve(intent["id"])
    assert again["id"] == intent["id"] and again["status"] == "succeeded"


def test_zero_and_three_decimal_currencies_reach_stripe_in_its_units(sandbox):
    jpy = _create(sandbox.url, amount=Money(Decimal("1500"), "JPY"), key="checkout:jpy-key-000001")
    kwd = _create(sandbox.url, amount=Money(Decimal("1.230"), "KWD"), key="checkout:kwd-key-000001")
    assert (jpy["amount"], jpy["currency"]) == (1500, "jpy")
    assert (kwd["amount"], kwd["currency"]) == (1230, "kwd")


def test_the_same_idempotency_key_gives_the_same_intent(sandbox):
    token = payment_method(sandbox.url)
    first = _create(sandbox.url, token=token, key="checkout:same-key-00000001")
    second = _create(sandbox.url, token=token, key="checkout:same-key-00000001")
    assert first["id"] == second["id"]
    assert SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").count() == 1
    assert len(sandbox.webhooks("stripe")) == 1  # charged once, told once


def test_the_same_key_with_other_parameters_is_refused(sandbox):
    token = payment_method(sandbox.url)
    _create(sandbox.url, token=token, key="checkout:reused-key-000001")
    with pytest.raises(GatewayError, match="same parameters") as refused:
        _create(
            sandbox.url,
            token=token,
            key="checkout:reused-key-000001",
            amount=Money(Decimal("99.00"), "USD"),
        )
    assert not isinstance(refused.value, GatewayUnavailable)


@pytest.mark.parametrize(
    ("number", "message", "decline_code"),
    [
        (DECLINE, "Your card was declined.", "generic_decline"),
        (INSUFFICIENT, "Your card has insufficient funds.", "insufficient_funds"),
        ("4000000000009987", "Your card was declined.", "lost_card"),
        ("4000000000009979", "Your card was declined.", "stolen_card"),
        ("4000000000000069", "Your card has expired.", "expired_card"),
        ("4000000000000127", "Your card's security code is incorrect.", "incorrect_cvc"),
        ("4000000000000119", "An error occurred while processing your card.", "processing_error"),
    ],
)
def test_a_declined_card_is_a_402_with_stripes_message_and_the_intent(
    sandbox, number, message, decline_code
):
    with pytest.raises(CardDeclined) as declined:
        _create(sandbox.url, number=number)
    assert declined.value.message.startswith(message)
    assert declined.value.decline_code == decline_code
    intent = declined.value.intent
    assert intent["id"].startswith("pi_") and intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == decline_code


def test_an_unknown_intent_and_a_wrong_key_are_refused_for_good(sandbox):
    with pytest.raises(GatewayError, match="No such payment_intent") as unknown:
        StripeApi().payment_intent_retrieve("pi_doesnotexist")
    assert not isinstance(unknown.value, GatewayUnavailable)
    with pytest.raises(GatewayError, match="Invalid API Key") as wrong:
        StripeApi(secret_key="sk_test_wrong_key_123456").payment_intent_retrieve("pi_x1")
    assert not isinstance(wrong.value, GatewayUnavailable)
    with pytest.raises(GatewayError, match="publishable API key"):
        StripeApi(secret_key=settings.PAYDESK_STRIPE_PUBLISHABLE_KEY).payment_intent_retrieve(
            "pi_x1"
        )
    with pytest.raises(GatewayError, match="not a Stripe PaymentIntent"):
        StripeApi().payment_intent_retrieve("../v1/customers")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("timeout", "did not answer within 2 s"),
        ("error_500", "answered HTTP 500"),
        ("garbage", "not JSON"),
    ],
)
def test_faults_are_gateway_unavailable_and_logged(sandbox, online_customer, fault, message):
    user = online_customer("card")
    token = payment_method(sandbox.url)
    sandbox.switch(fault=fault, only="stripe")
    checkout = card_checkout(sandbox.url, user, token=token)
    with pytest.raises(GatewayUnavailable, match=message):
        StripeApi().payment_intent_retrieve("pi_any", payment_reference=checkout.payment.reference)
    entry = PaymentLogEntry.objects.filter(
        gateway="card", channel=LogChannel.API, event_id="GET /v1/payment_intents/pi_any"
    ).get()
    assert entry.payment == checkout.payment and message in entry.detail
    assert entry.result == "failed" and entry.direction == LogDirection.SENT


def test_each_call_is_in_the_payment_log_without_secrets(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, key="paylog-test-key-0000001")
    entry = PaymentLogEntry.objects.get(
        gateway="card", channel=LogChannel.API, event_id="POST /v1/payment_intents"
    )
    assert entry.payment == checkout.payment and entry.http_status == 200
    assert entry.summary["idempotency_key"] == "checkout:paylog-test-key-0000001"
    assert entry.summary["request.amount"] == "1050"
    assert entry.summary["request.metadata.paydesk_reference"] == checkout.payment.reference
    assert entry.summary["response.status"] == "succeeded"
    text = str(entry.summary)
    assert "secret" not in text and settings.PAYDESK_STRIPE_SECRET_KEY not in text


# --- the sandbox's PaymentMethods (what the card frame calls) -------------------------------


def test_a_payment_method_keeps_brand_last4_and_expiry_never_the_number_or_cvc(sandbox):
    answer = payment_method_answer(sandbox.url, VISA, exp_month="7", exp_year="2031", cvc="987")
    assert answer.status_code == 200
    method = answer.json()
    assert method["id"].startswith("pm_") and method["object"] == "payment_method"
    assert method["card"]["brand"] == "visa" and method["card"]["last4"] == "4242"
    assert (method["card"]["exp_month"], method["card"]["exp_year"]) == (7, 2031)
    stored = SandboxObject.objects.get(object_id=method["id"])
    assert VISA not in str(stored.data)
    assert "987" not in _leaves(stored.data) and "cvc" not in _keys(stored.data)
    assert stored.data["sandbox"] == {"behaviour": "success"}


@pytest.mark.parametrize(
    ("number", "exp_month", "exp_year", "cvc", "code", "message"),
    [
        ("4242424242424241", "12", "2035", "123", "incorrect_number", "card number is incorrect"),
        (VISA, "13", "2035", "123", "invalid_expiry_month", "expiration month is invalid"),
        (VISA, "12", "2001", "123", "invalid_expiry_year", "expiration year is in the past"),
        (VISA, "12", "2035", "12", "invalid_cvc", "security code is invalid"),
    ],
)
def test_a_card_stripe_would_refuse_gets_stripes_card_error(
    sandbox, number, exp_month, exp_year, cvc, code, message
):
    answer = payment_method_answer(
        sandbox.url, number, exp_month=exp_month, exp_year=exp_year, cvc=cvc
    )
    assert answer.status_code == 402
    error = answer.json()["error"]
    assert error["type"] == "card_error" and error["code"] == code and message in error["message"]
    assert not SandboxObject.objects.filter(kind="payment_method").exists()


def test_payment_methods_need_a_key_and_intents_need_the_secret_one(sandbox):
    assert payment_method_answer(sandbox.url, key="").status_code == 401
    assert payment_method_answer(sandbox.url, key="pk_test_other").status_code == 401
    answer = httpx.post(
        f"{sandbox.url}/sandbox/stripe/v1/payment_intents",
        data={"amount": "1050", "currency": "usd"},
        headers={"Authorization": f"Bearer {settings.PAYDESK_STRIPE_PUBLISHABLE_KEY}"},
    )
    assert answer.status_code == 401 and "publishable API key" in answer.json()["error"]["message"]
