"""Webhook fixtures: every gateway's secret set (as the environment would), PayPal's certificate
served by an injected fetcher, stand-in gateways so a real checkout can start, and the published
vectors read from the project's own copy (never from ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from paydesk.checkout.models import MethodConfig
from paydesk.checkout.services import checkout_start
from paydesk.ledger.models import Payment
from tests.factories import CustomerFactory, PortalUserFactory
from tests.gateways.fakes import FAKES
from tests.gateways.senders import SECRETS, Sender

DATA = Path(__file__).parent / "data"
CHARGED = "50.25"


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads((DATA / "vectors.json").read_text())


@pytest.fixture(autouse=True)
def gateway_settings(settings):
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    settings.PAYDESK_PAYPAL_CERT_FETCHER = "tests.gateways.senders.fetch_certificate"
    settings.PAYDESK_PAYPAL_CERT_HOSTS = ["api.sandbox.paypal.com", "api-m.paypal.com"]
    settings.PAYDESK_GATEWAYS = {**settings.PAYDESK_GATEWAYS, **FAKES}
    cache.clear()
    yield settings
    cache.clear()


def start_payment(sender: Sender, *, key: str = "webhook-form-token-0001") -> Payment:
    """A pending payment of CHARGED in the sender's currency, through Make Payment's services:
    quote locked, payment created, the (stand-in) gateway's checkout started."""
    MethodConfig.objects.update_or_create(
        method=sender.method,
        defaults={"display_name": sender.method.title(), "enabled": True, "currencies": []},
    )
    customer = CustomerFactory(currency=sender.currency)
    user = PortalUserFactory(customer=customer)
    checkout = checkout_start(
        customer=customer,
        user=user,
        method=sender.method,
        amount=CHARGED,
        currency=sender.currency,
        idempotency_key=key,
    )
    return checkout.payment
