"""An armed bonus voucher on the Payments page: its customer sees what the next top-up earns
(only the code's last four characters); other customers see nothing; once a qualifying top-up
applies it, the notice is gone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.vouchers.services import voucher_redeem
from tests.factories import CustomerFactory, PortalUserFactory
from tests.portal.conftest import MODEL_BACKEND
from tests.vouchers.conftest import issue_redeemable

pytestmark = pytest.mark.django_db
PAYMENTS = "/payments/"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def arm(user, finance_user, **terms) -> str:
    """Issue one bonus voucher with these terms, redeem it for the user's customer: its code."""
    _batch, [code] = issue_redeemable(count=1, currency="USD", actor=finance_user, **terms)
    redemption = voucher_redeem(
        code=code, customer=user.customer, currency="USD", user=user, ip_address="203.0.113.5"
    )
    assert redemption.activation is not None and redemption.payment is None
    return code


def page(client: Client, **params: str) -> str:
    response = client.get(PAYMENTS, params)
    assert response.status_code == 200
    return response.content.decode()


def test_no_notice_without_an_armed_voucher(portal_client):
    assert "armed-vouchers" not in page(portal_client)


def test_the_customer_sees_the_armed_voucher_and_what_the_next_top_up_earns(
    portal_client, portal_user, finance_user
):
    code = arm(portal_user, finance_user, minimum_activation="50", multiplier="2", addition="5")
    hint = code.replace("-", "")[-4:]
    html = page(portal_client)
    assert (
        f"Bonus voucher …{hint} armed: your next top-up of at least $50.00 USD earns a bonus "
        "of 100% of the top-up plus $5.00 USD."
    ) in html
    assert code not in html and code.replace("-", "")[:13] not in html
    # The live-update fragment carries it too (the summary is swapped in place).
    assert f"Bonus voucher …{hint} armed" in page(portal_client, fragment="1")


def test_other_terms_read_naturally(portal_client, portal_user, finance_user):
    arm(portal_user, finance_user, minimum_activation="20", multiplier="1", addition="5")
    arm(portal_user, finance_user, minimum_activation="100", multiplier="1.1", addition="0")
    html = page(portal_client)
    assert "at least $20.00 USD earns a bonus of $5.00 USD." in html
    assert "at least $100.00 USD earns a bonus of 10% of the top-up." in html


def test_another_customer_never_sees_it(portal_user, finance_user):
    arm(portal_user, finance_user, minimum_activation="50", multiplier="2", addition="5")
    other = PortalUserFactory(customer=CustomerFactory(currency="USD"))
    client = Client()
    client.force_login(other, backend=MODEL_BACKEND)
    html = page(client)
    assert "armed-vouchers" not in html and "Bonus voucher" not in html


def test_a_qualifying_top_up_applies_it_and_the_notice_goes(
    portal_client, portal_user, finance_user
):
    arm(portal_user, finance_user, minimum_activation="50", multiplier="2", addition="5")
    customer = portal_user.customer
    payment_create(customer=customer, total="40", description="Card payment")  # below M
    assert "armed-vouchers" in page(portal_client)
    payment_create(customer=customer, total="100", description="Card payment")
    bonus = Payment.objects.get(customer=customer, description__startswith="Voucher bonus")
    assert bonus.total == Decimal("105")  # 100 × (2 − 1) + 5
    html = page(portal_client)
    assert "armed-vouchers" not in html
    assert "$105.00 USD" in html
