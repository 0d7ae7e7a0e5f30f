"""The review's finding, over real HTTP against PayPal's sandbox: a view-only user (a
bookkeeper: *view payments* without *make payments*) cannot resume a colleague's unfinished PayPal
checkout nor capture it by coming back from PayPal. Money PayPal holds approved is still real:
reconciliation captures and credits it, since the payment was bound to its order when the payer
started the checkout."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.ledger.models import Payment, PaymentStatus
from tests.factories import PortalUserFactory
from tests.online.paypal_steps import balance, order_of, path_of, press, reconcile, start

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_bookkeeper_cannot_capture_an_approved_order_but_reconciliation_credits_it(
    sandbox, online_customer
):
    payer = online_customer("paypal", "USD")
    checkout = start(payer, "26.00")
    bookkeeper = PortalUserFactory(customer=payer.customer, can_make_payments=False)
    browser = Client()
    browser.force_login(bookkeeper)
    reference = checkout.payment.reference

    assert browser.get(f"/pay/resume/{reference}/").status_code == 403
    location = press(checkout, "approve")  # approved at PayPal with a copied link
    back = browser.get(path_of(location))
    assert back.status_code == 403
    payment = Payment.objects.get(reference=reference)
    assert payment.status == PaymentStatus.PENDING and balance(payer) == 0
    assert order_of(payment).data["status"] == "APPROVED"  # not captured

    assert reconcile() == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and balance(payer) == Decimal("26.00")


def test_the_payer_coming_back_captures(sandbox, online_customer):
    payer = online_customer("paypal", "USD")
    checkout = start(payer, "26.00")
    browser = Client()
    browser.force_login(payer)
    assert browser.get(f"/pay/resume/{checkout.payment.reference}/")["Location"] == (
        checkout.redirect_url
    )
    location = press(checkout, "approve")
    assert browser.get(path_of(location)).status_code == 302
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED and balance(payer) == Decimal("26.00")
