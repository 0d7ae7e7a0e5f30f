"""Four-eyes fixtures: the threshold at 1000 in every currency, a second Finance user, and
helpers that enter a credit as a staff member would (the back office's Add payment)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from paydesk.accounts.models import PaymentMethod
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.settings.values import Threshold
from tests.factories import StaffFactory
from tests.signin import sign_in

ADD_PAYMENT = "/backoffice/ledger/payment/add/"
AWAITING = "/backoffice/credits/creditawaitingapproval/"


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = Threshold(Decimal("1000"))


@pytest.fixture
def second_finance_user(db):
    return StaffFactory(staff_role="finance")


def signed_in(user) -> Client:
    """A client signed in as `user`, past the second factor for staff (tests/signin.py)."""
    return sign_in(Client(), user)


def add_payment(client: Client, customer, total: str, **fields: str):
    """POST the back office's Add payment form; returns the response."""
    data = {
        "customer": customer.pk,
        "description": "Wire from the customer #checked on the statement",
        "total": total,
        "status": "completed",
        "fee": "",
        "form_token": uuid.uuid4().hex,
        **fields,
    }
    return client.post(ADD_PAYMENT, data)


def checkout(customer, total: str = "10") -> Payment:
    """A card checkout the customer left pending, as the gateway's flow records it."""
    return payment_create(
        customer=customer,
        total=total,
        description="Card top-up",
        method=PaymentMethod.CARD,
        status="pending",
        gateway="stripe",
    )
