"""Back from a gateway's Cancel (`/pay/status/<ref>/?left=1`): the status page says first what
happened — "Not paid: you left PayPal before paying." — and what the customer may do, instead of
a "waiting for the gateway" line as if money were on its way. A payment the gateway has seen
money for keeps its Pending line; what the gateway said stays on the page."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.ledger.services import payment_create
from tests.factories import PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def _lead(html: str) -> str:
    """The page's first status line, tags and all."""
    start = html.index('class="status-line"')
    return html[start : html.index("</p>", start)]


def _paypal_checkout(customer, **extra):
    return payment_create(
        customer=customer,
        total="30",
        description="PayPal top-up",
        method="paypal",
        status="pending",
        gateway="paypal",
        **extra,
    )


def test_left_unpaid_leads_with_not_paid_and_offers_cancel(portal_user):
    payment = _paypal_checkout(portal_user.customer)
    html = sign_in(Client(), portal_user).get(f"/pay/status/{payment.reference}/?left=1")
    html = html.content.decode()
    assert "Not paid: you left PayPal before paying." in _lead(html)
    assert "Nothing was charged and nothing was credited." in html
    assert "Waiting for the payment" not in html and "updates by itself" not in html
    assert "data-cancel" in html and "Cancel this payment" in html
    assert 'data-status="pending"' in html  # still followed, should the gateway confirm after all


def test_a_view_only_user_reads_not_paid_without_the_cancel_button(portal_user):
    payment = _paypal_checkout(portal_user.customer)
    viewer = PortalUserFactory(customer=portal_user.customer, can_make_payments=False)
    html = sign_in(Client(), viewer).get(f"/pay/status/{payment.reference}/?left=1")
    html = html.content.decode()
    assert "Not paid: you left PayPal before paying." in _lead(html)
    assert "data-cancel" not in html and "cancel this payment" not in html


def test_a_payment_the_gateway_has_seen_money_for_keeps_its_pending_line(portal_user):
    payment = _paypal_checkout(portal_user.customer, gateway_transaction="CAPTURE-SEEN-BY-PAYPAL")
    html = sign_in(Client(), portal_user).get(f"/pay/status/{payment.reference}/?left=1")
    html = html.content.decode()
    assert "Pending" in _lead(html) and "Not paid" not in html


def test_without_left_the_page_is_the_pending_page(portal_user):
    payment = _paypal_checkout(portal_user.customer)
    html = sign_in(Client(), portal_user).get(f"/pay/status/{payment.reference}/")
    html = html.content.decode()
    assert "Waiting for the payment to be confirmed by the gateway." in _lead(html)
    assert "Not paid" not in html


def test_what_the_gateway_said_stays_under_not_paid(portal_user):
    payment = _paypal_checkout(portal_user.customer)
    type(payment).objects.filter(pk=payment.pk).update(pending_reason="Not paid at PayPal yet.")
    html = sign_in(Client(), portal_user).get(f"/pay/status/{payment.reference}/?left=1")
    html = html.content.decode()
    assert "Not paid: you left PayPal before paying." in _lead(html)
    assert "PayPal says: <span data-reason>Not paid at PayPal yet.</span>" in html
