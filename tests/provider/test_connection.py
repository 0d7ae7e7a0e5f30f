"""*Test connection* against the sandbox over real HTTP: each gateway's harmless authenticated
call succeeds with the sandbox's keys and is refused, in plain words, with a wrong one; the
page's button says what the gateway answered."""

from __future__ import annotations

import pytest

from paydesk.checkout.credentials import credentials_for
from paydesk.gateways.connection import connection_test
from paydesk.gateways.credentials import BY_GATEWAY
from paydesk.sandbox.models import SandboxObject
from tests.online.paypal_steps import paypal_tokens_forget
from tests.provider.conftest import GATEWAYS

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = {
    "stripe": ("PAYDESK_STRIPE_SECRET_KEY", "sk_test_not_the_sandbox_key_0000"),
    "paypal": ("PAYDESK_PAYPAL_CLIENT_SECRET", "not-the-secret"),
    "razorpay": ("PAYDESK_RAZORPAY_KEY_SECRET", "not-the-secret"),
    "paystack": ("PAYDESK_PAYSTACK_SECRET_KEY", "sk_test_not_the_sandbox_key"),
    "nowpayments": ("PAYDESK_NOWPAYMENTS_PASSWORD", "not-the-password"),
}
SAID = {
    "stripe": "Stripe accepted the secret key (test mode).",
    "paypal": "PayPal issued an access token (app APP-PAYDESKSANDBOX).",
    "razorpay": "Razorpay accepted the key and listed orders.",
    "paystack": "Paystack accepted the secret key and listed transactions.",
    "nowpayments": "NOWPayments accepted the sign-in and the API key.",
}


@pytest.mark.parametrize("gateway", sorted(BY_GATEWAY))
def test_the_sandbox_answers_each_gateway_and_refuses_a_wrong_key(sandbox, gateway):
    paypal_tokens_forget()
    made = SandboxObject.objects.exclude(kind="account")  # the sandbox's own merchant row
    before = made.count()
    values = credentials_for(BY_GATEWAY[gateway], "test")
    result = connection_test(gateway, values)
    assert (result.ok, result.message) == (True, SAID[gateway])
    setting, wrong = WRONG[gateway]
    result = connection_test(gateway, {**values, setting: wrong})
    assert not result.ok
    assert "refused the credentials (HTTP 401)" in result.message
    assert made.count() == before  # nothing was created at the gateway


def test_a_missing_value_is_named_before_any_call(sandbox):
    values = credentials_for(BY_GATEWAY["paypal"], "test")
    result = connection_test("paypal", {**values, "PAYDESK_PAYPAL_CLIENT_SECRET": ""})
    assert (result.ok, result.message) == (False, "Enter Client secret first.")


def test_the_button_shows_the_answer(sandbox, administrator):
    paypal_tokens_forget()
    page = administrator.post(f"{GATEWAYS}paypal/test/test/", follow=True).content.decode()
    assert "Test connection, PayPal test set: PayPal issued an access token" in page
    page = administrator.post(f"{GATEWAYS}stripe/test/test/", follow=True).content.decode()
    assert "Test connection, Stripe (card) test set: Stripe accepted the secret key" in page
