"""The sandbox tells which key called it: Stripe's live pair makes livemode objects, its test pair
test ones, any other key is refused; the card method's live set in the back office is then what
Paydesk's Stripe client sends."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.checkout.models import MethodConfig
from paydesk.gateways.credentials import gateway_credential
from paydesk.provider.credentials import credentials_save
from paydesk.settings.sandbox import SANDBOX_STRIPE_LIVE_KEYS

pytestmark = pytest.mark.django_db

INTENTS = "/sandbox/stripe/v1/payment_intents"


def _intent(key: str):
    return Client().post(
        INTENTS, {"amount": "1000", "currency": "usd"}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def test_the_live_key_makes_livemode_intents_and_the_test_key_test_ones(admin_user):
    live_secret, live_publishable = SANDBOX_STRIPE_LIVE_KEYS
    credentials_save(
        actor=admin_user,
        gateway="stripe",
        mode="live",
        values={
            "PAYDESK_STRIPE_SECRET_KEY": live_secret,
            "PAYDESK_STRIPE_PUBLISHABLE_KEY": live_publishable,
        },
    )
    MethodConfig.objects.filter(method="card").update(mode="live")
    key = gateway_credential("PAYDESK_STRIPE_SECRET_KEY")
    assert key == live_secret
    assert _intent(key).json()["livemode"] is True
    MethodConfig.objects.filter(method="card").update(mode="test")
    key = gateway_credential("PAYDESK_STRIPE_SECRET_KEY")
    assert _intent(key).json()["livemode"] is False
    refused = _intent("sk_live_someone_elses_key_000")
    assert refused.status_code == 401
    assert "Invalid API Key provided" in refused.json()["error"]["message"]
