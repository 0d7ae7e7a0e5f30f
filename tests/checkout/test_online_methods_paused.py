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
    assert f'href="{url}" class="backoffice-online-pause"' in finance.get(page).content.decode()
    support = sign_in(Client(), support_user)
    assert support.post(url, {"paused": "1"}).status_code == 403
    assert support.get(url).status_code == 403
    assert finance.put(url).status_code == 405
    response = finance.post(url, {"paused": "1"})
    assert response.status_code == 302
    payer.customer.refresh_from_db()
    assert payer.customer.online_methods_paused is True
    body = finance.get(page).content.decode()
    assert "Resume online payment methods" in body and "Online payment methods paused" in body
    # Resuming stays one click: a form on the customer's page that posts at once.
    assert 'name="paused" value="0"' in body
    finance.post(url, {"paused": "0"})
    payer.customer.refresh_from_db()
    assert payer.customer.online_methods_paused is False
    assert AuditEntry.objects.filter(action="customer.online_methods_resume").count() == 1


def test_pausing_asks_for_confirmation_first(payer, finance_user):
    """The customer's page links to a confirmation page; showing it changes nothing, and its
    Confirm posts the pause (audited), its Cancel leads back to the customer."""
    customer = payer.customer
    url = f"/backoffice/accounts/customer/{customer.pk}/online-methods/"
    page = f"/backoffice/accounts/customer/{customer.pk}/change/"
    finance = sign_in(Client(), finance_user)
    assert "backoffice-online-pause" in finance.get(page).content.decode()

    shown = finance.get(url)

    assert shown.status_code == 200
    body = shown.content.decode()
    customer.refresh_from_db()
    assert customer.online_methods_paused is False
    assert not AuditEntry.objects.filter(action="customer.online_methods_pause").exists()
    assert f"<strong>{customer.name}</strong>" in body
    assert "Credit Card" in body and "PayPal" in body and "SEPA Direct Debit" in body
    assert "Bank transfer and vouchers stay" in body
    assert f'<form method="post" action="{url}">' in body
    assert 'name="csrfmiddlewaretoken"' in body and 'name="paused" value="1"' in body
    assert 'value="Confirm: pause online payment methods"' in body
    assert f'<a href="{page}" class="closelink">Cancel</a>' in body

    confirmed = finance.post(url, {"paused": "1"})

    assert confirmed.status_code == 302 and confirmed["Location"] == page
    customer.refresh_from_db()
    assert customer.online_methods_paused is True
    entry = AuditEntry.objects.get(action="customer.online_methods_pause")
    assert entry.actor == finance_user and entry.customer_id == customer.pk


def test_the_confirmation_of_an_already_paused_customer_leads_back(payer, finance_user):
    customer_online_methods_pause(customer=payer.customer, paused=True, actor=finance_user)
    url = f"/backoffice/accounts/customer/{payer.customer.pk}/online-methods/"
    finance = sign_in(Client(), finance_user)

    answer = finance.get(url, follow=True)

    assert (
        answer.redirect_chain[-1][0] == f"/backoffice/accounts/customer/{payer.customer.pk}/change/"
    )
    assert "already paused" in answer.content.decode()
    assert AuditEntry.objects.filter(action="customer.online_methods_pause").count() == 1


def test_the_confirmation_needs_the_csrf_token(payer, finance_user):
    url = f"/backoffice/accounts/customer/{payer.customer.pk}/online-methods/"
    strict = sign_in(Client(enforce_csrf_checks=True), finance_user)

    assert strict.post(url, {"paused": "1"}).status_code == 403

    payer.customer.refresh_from_db()
    assert payer.customer.online_methods_paused is False
