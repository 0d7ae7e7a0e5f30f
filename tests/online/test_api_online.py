"""The API's make-payment with the online methods (issue 5, through the sandbox over HTTP): a
redirecting gateway answers the URL the customer must visit; a card with a browser-made
payment-method id answers the outcome at once, with the gateway's reason for a decline; the same
Idempotency-Key answers the same body again without a second order."""

from __future__ import annotations

import pytest

from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.models import SandboxObject
from tests.api.conftest import ApiClient, key_for
from tests.online.stripe_support import DECLINE, VISA, payment_method

pytestmark = pytest.mark.django_db(transaction=True)


def test_paypal_answers_the_approval_url_once_per_idempotency_key(sandbox, online_customer):
    user = online_customer("paypal")
    api = ApiClient(key_for(user, "read", "pay"))
    body = {"method": "paypal", "amount": "25.00", "currency": "USD"}
    first = api.post("/api/v1/payments", body, **{"Idempotency-Key": "api-paypal-0001"})
    assert first.status_code == 201, first.content
    answer = first.json()
    assert answer["outcome"] == "redirect" and answer["payment"]["status"] == "pending"
    assert answer["redirect_url"].startswith(f"{sandbox.url}/sandbox/paypal/checkoutnow?token=")
    assert answer["charged"] == {"amount": "25.00", "currency": "USD"}
    again = api.post("/api/v1/payments", body, **{"Idempotency-Key": "api-paypal-0001"})
    assert again.status_code == 201 and again.content == first.content
    assert SandboxObject.objects.filter(gateway="paypal", kind="order").count() == 1


def test_a_card_is_charged_at_once_and_a_decline_says_why(sandbox, online_customer):
    user = online_customer("card")
    api = ApiClient(key_for(user, "read", "pay"))
    paid = api.post(
        "/api/v1/payments",
        {
            "method": "card",
            "amount": "10.50",
            "currency": "USD",
            "payment_method": payment_method(sandbox.url, VISA),
        },
        **{"Idempotency-Key": "api-card-0001"},
    )
    assert paid.status_code == 201, paid.content
    assert paid.json()["outcome"] == "completed"
    assert paid.json()["message"] == "The payment completed: $10.50 USD credited."
    assert paid.json()["payment"]["balance_after"] == {"amount": "10.50", "currency": "USD"}

    declined = api.post(
        "/api/v1/payments",
        {
            "method": "card",
            "amount": "10.50",
            "currency": "USD",
            "payment_method": payment_method(sandbox.url, DECLINE),
        },
        **{"Idempotency-Key": "api-card-0002"},
    ).json()
    assert declined["outcome"] == "cancelled"
    assert declined["message"] == "Your card was declined."
    assert declined["payment"]["reason"] == "Your card was declined."
    statuses = sorted(
        Payment.objects.filter(customer=user.customer).values_list("status", flat=True)
    )
    assert statuses == [PaymentStatus.CANCELLED, PaymentStatus.COMPLETED]


def test_a_card_without_a_payment_method_is_refused_before_any_payment(sandbox, online_customer):
    user = online_customer("card")
    api = ApiClient(key_for(user, "read", "pay"))
    answer = api.post(
        "/api/v1/payments",
        {"method": "card", "amount": "10.50", "currency": "USD"},
        **{"Idempotency-Key": "api-card-0003"},
    )
    assert answer.status_code in (400, 422), answer.content
    assert answer.json()["error"]["field"] in ("payment_method", "payment_method_token")
    assert not Payment.objects.filter(customer=user.customer).exists()
