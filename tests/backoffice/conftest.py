"""Fixtures for the back office: a signed-in client per staff role, and payments made through
the ledger services (never built by hand)."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.ledger.services import payment_create
from tests.backoffice.browser import chromium, demo  # noqa: F401 (fixtures for browser tests)
from tests.refunds.conftest import card_gateway  # noqa: F401 (a fixture: a refunding card)
from tests.signin import sign_in

PAYMENTS = "/backoffice/ledger/payment/"
ADD_PAYMENT = "/backoffice/ledger/payment/add/"


def signed_in(user) -> Client:
    return sign_in(Client(), user)


@pytest.fixture
def finance(finance_user) -> Client:
    return signed_in(finance_user)


@pytest.fixture
def support(support_user) -> Client:
    return signed_in(support_user)


@pytest.fixture
def administrator(admin_user) -> Client:
    return signed_in(admin_user)


@pytest.fixture
def pending(customer):
    """A pending manual top-up of $25.00 for the customer (the plain Complete form applies to it;
    bank transfers go through the two-person rule: tests/banktransfers)."""
    return payment_create(
        customer=customer,
        total="25",
        description="Bank transfer",
        status="pending",
        method="manual",
    )
