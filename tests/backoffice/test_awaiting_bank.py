"""A SEPA Direct Debit the bank is still confirming (Stripe reports its PaymentIntent
`processing`): the home page counts it as awaiting the bank, not as a checkout the customer left
unfinished, and nobody completes it by hand — Stripe's webhook completes or cancels it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from paydesk.audit.models import AuditEntry
from paydesk.credits.services import staff_payment_complete
from paydesk.errors import InvalidTransition
from paydesk.gateways.stripe.gateway import SEPA_PROCESSING
from paydesk.ledger.services import payment_create, payment_pending_note
from tests.backoffice.conftest import PAYMENTS
from tests.backoffice.test_home import count_of

pytestmark = pytest.mark.django_db


def _online(customer, n: int, reason: str = "", method: str = "sepa_debit"):
    """A pending Stripe payment as checkout/events leaves it, with the gateway's reason (a SEPA
    debit's gateway is Stripe's `card`; one made before sepa_debit existed has method `card`)."""
    payment = payment_create(
        customer=customer, total="20.00", description=f"Stripe payment ({n})",
        status="pending", method=method, gateway="card", gateway_reference=f"pi_{n}",
    )  # fmt: skip
    if reason:
        payment_pending_note(payment=payment, reason=reason)
        payment.refresh_from_db()
    return payment


def test_the_home_page_counts_debits_awaiting_the_bank_apart(finance, customer):
    in_transit = _online(customer, 1, SEPA_PROCESSING)
    from_before = _online(customer, 2, SEPA_PROCESSING, method="card")
    unfinished = _online(customer, 3, method="card")
    html = finance.get("/backoffice/").content.decode()
    assert count_of(html, "Payments awaiting the bank") == 2
    assert count_of(html, "Other pending payments") == 1
    listed = finance.get(f"{PAYMENTS}?waiting=bank").content.decode()
    assert f"{PAYMENTS}{in_transit.pk}/change/" in listed
    assert f"{PAYMENTS}{from_before.pk}/change/" in listed
    assert f"{PAYMENTS}{unfinished.pk}/change/" not in listed


def test_a_debit_awaiting_the_bank_is_not_completed_by_hand(finance, finance_user, customer):
    payment = _online(customer, 1, SEPA_PROCESSING)
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert f"{PAYMENTS}{payment.pk}/complete/" not in page
    assert f"{PAYMENTS}{payment.pk}/cancel/" in page
    for answer in (
        finance.get(f"{PAYMENTS}{payment.pk}/complete/"),
        finance.post(f"{PAYMENTS}{payment.pk}/complete/", {"total": "20.00"}),
    ):
        assert answer.status_code == 302
        assert answer["Location"] == f"{PAYMENTS}{payment.pk}/change/"
        said = " ".join(str(m) for m in get_messages(answer.wsgi_request))
        assert "SEPA Direct Debit the bank is still confirming" in said
    with pytest.raises(InvalidTransition, match="cannot be completed by hand"):
        staff_payment_complete(payment=payment, actor=finance_user)
    bulk = {"action": "complete_selected", "_selected_action": [payment.pk], "index": 0}
    finance.post(PAYMENTS, {**bulk, "post": "yes"})
    payment.refresh_from_db()
    customer.refresh_from_db()
    assert (payment.status, customer.balance) == ("pending", Decimal(0))
    assert not AuditEntry.objects.filter(action="payment.complete").exists()


def test_an_unfinished_card_checkout_still_offers_complete(finance, customer):
    payment = _online(customer, 3, method="card")
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert f"{PAYMENTS}{payment.pk}/complete/" in page
