"""Make Payment (the portal) whose payment reference was drawn before: the bank transfer or
voucher is recorded under a new reference (the ledger draws again), as through the API; a
reference that stays taken is a message on the form, and nothing is written. Transactional
tests: the page runs its services outside any transaction, as served (the ledger then takes
its own savepoint), not inside a test's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Event
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.models import Voucher
from tests.checkout.test_pages import bank_transfer, voucher
from tests.drawn_twice import references_drawn_alike
from tests.factories import CustomerFactory, PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def payer():
    return PortalUserFactory(customer=CustomerFactory(currency="USD"))


def _taken(monkeypatch, times: int = 2) -> Payment:
    references_drawn_alike(monkeypatch, times=times)
    return payment_create(customer=CustomerFactory(), total="3", description="Earlier")


def test_a_bank_transfer_drawing_a_taken_reference_gets_a_new_one(payer, monkeypatch):
    client = sign_in(Client(), payer)
    taken = _taken(monkeypatch)

    response = client.post("/pay/", bank_transfer(amount="100", currency="USD"), follow=True)

    assert response.status_code == 200
    payment = Payment.objects.get(customer=payer.customer)
    assert payment.reference != taken.reference
    assert payment.reference in response.content.decode()
    assert [e.type for e in Event.objects.filter(payment=payment)] == ["payment.created"]
    assert not Event.objects.filter(payment__isnull=True).exists()


def test_a_voucher_drawing_a_taken_reference_gets_a_new_one(payer, monkeypatch):
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="5", actor=None)
    client = sign_in(Client(), payer)
    taken = _taken(monkeypatch)

    response = client.post("/pay/", voucher(code), follow=True)

    assert "Voucher redeemed: $5.00 USD was credited" in response.content.decode()
    payment = Payment.objects.get(customer=payer.customer)
    assert payment.reference != taken.reference
    payer.customer.refresh_from_db()
    assert payer.customer.balance == payment.balance_after == Decimal("5")
    types = list(Event.objects.filter(payment=payment).values_list("type", flat=True))
    assert types == ["payment.completed", "balance.changed"]
    assert not Event.objects.filter(payment__isnull=True).exists()


@pytest.mark.parametrize("method", ["bank_transfer", "voucher"])
def test_a_reference_that_stays_taken_is_a_message_and_writes_nothing(payer, monkeypatch, method):
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="5", actor=None)
    client = sign_in(Client(), payer)
    _taken(monkeypatch, times=100)
    form = (
        bank_transfer(amount="100", currency="USD") if method == "bank_transfer" else voucher(code)
    )

    response = client.post("/pay/", form)

    assert response.status_code == 200
    assert "No unused payment reference could be drawn" in response.content.decode()
    assert not Payment.objects.filter(customer=payer.customer).exists()
    payer.customer.refresh_from_db()
    assert payer.customer.balance == 0
    assert Voucher.objects.get().status == "available"
