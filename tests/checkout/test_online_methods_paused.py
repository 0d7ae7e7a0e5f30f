"""Finance's per-customer switch while a dispute is open: "Pause online payment methods".

Audited; Make Payment then neither offers nor accepts card, PayPal, Razorpay, Paystack or
NOWPayments for that customer, and says why; bank transfer and vouchers stay."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from paydesk.accounts.services import customer_online_methods_pause
from paydesk.audit.models import AuditEntry
from paydesk.checkout.selectors import methods_available_for
from paydesk.errors import PermissionDenied
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory, PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

ONLINE = ("card", "paypal", "razorpay", "paystack", "nowpayments")


@pytest.fixture
def payer():
    for method in ONLINE:
        configure(method, enabled=True, currencies=["USD"])
    return PortalUserFactory(customer=CustomerFactory(currency="USD", topup_currencies=["USD"]))


def offered(customer) -> set[str]:
    return {m.method for m in methods_available_for(customer=customer)}


def test_pausing_takes_the_online_methods_away_and_resuming_gives_them_back(payer, finance_user):
    customer = payer.customer
    assert set(ONLINE) <= offered(customer)
    customer_online_methods_pause(customer=customer, paused=True, actor=finance_user)
    customer.refresh_from_db()
    assert offered(customer) == {"bank_transfer", "voucher"}
    entry = AuditEntry.objects.get(action="customer.online_methods_pause")
    assert entry.actor == finance_user and entry.customer_id == customer.pk
    assert (entry.before, entry.after) == (
        {"online_methods_paused": False},
        {"online_methods_paused": True},
    )
    customer_online_methods_pause(customer=customer, paused=False, actor=finance_user)
    customer.refresh_from_db()
    assert set(ONLINE) <= offered(customer)
    assert AuditEntry.objects.filter(action="customer.online_methods_resume").count() == 1


def test_support_cannot_pause(payer, support_user):
    with pytest.raises(PermissionDenied):
        customer_online_methods_pause(customer=payer.customer, paused=True, actor=support_user)


def test_make_payment_says_so_and_refuses_an_online_method(payer, finance_user):
    customer_online_methods_pause(customer=payer.customer, paused=True, actor=finance_user)
    client = sign_in(Client(), payer)
    page = client.get("/pay/").content.decode()
    assert (
        "Online payment methods (card, SEPA Direct Debit, PayPal, Razorpay, Paystack, "
        "NOWPayments) are paused" in page
    )
    assert 'value="paypal"' not in page and 'value="bank_transfer"' in page
    quote = client.get("/pay/quote", {"method": "paypal", "amount": "30", "currency": "USD"})
    errors = json.loads(quote.content)["errors"]
    assert "paused for this account" in errors["method"]
    posted = client.post(
        "/pay/",
        {
            "method": "card",
            "form_token": "paused-form-token-0123456789",
            "card-amount": "30",
            "card-currency": "USD",
            "action": "pay",
        },
    )
    assert posted.status_code == 200
    assert not payer.customer.payments.exists()


def test_the_back_office_switch_is_finance_s(payer, finance_user, support_user):
    url = f"/backoffice/accounts/customer/{payer.customer.pk}/online-methods/"
    page = f"/backoffice/accounts/customer/{payer.customer.pk}/change/"
    finance = sign_in(Client(), finance_user)
    assert "Pause online payment methods" in finance.get(page).content.decode()
    assert sign_in(Client(), support_user).post(url, {"paused": "1"}).status_code == 403
    assert finance.get(url).status_code == 405
    response = finance.post(url, {"paused": "1"})
    assert response.status_code == 302
    payer.customer.refresh_from_db()
    assert payer.customer.online_methods_paused is True
    body = finance.get(page).content.decode()
    assert "Resume online payment methods" in body and "Online payment methods paused" in body
    finance.post(url, {"paused": "0"})
    payer.customer.refresh_from_db()
    assert payer.customer.online_methods_paused is False
