"""Finding 2 of issue 13: a declined or cancelled payment's page says nothing was charged or
credited (no "Charged … / Credit …"), and offers to try again with the same amount."""

from __future__ import annotations

import pytest
from django.urls import reverse

from paydesk.ledger.services import payment_cancel, payment_create
from tests.checkout.conftest import method_configs  # noqa: F401 (fixture)
from tests.portal.test_unfinished import scripted, start  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_the_declined_paypal_page_offers_try_again_and_no_charged(
    portal_client,
    portal_user,
    scripted,  # noqa: F811 — the fixture imported above
):
    scripted["start"] = "declined"
    payment = start(portal_user, "declined-0123456789abcdef", amount="30.00").payment
    response = portal_client.get(reverse("checkout:status", args=[payment.reference]))
    html = response.content.decode()
    assert "Cancelled" in html and "Nothing was credited." in html
    assert "Charged" not in html and ">Credit<" not in html and "Credited" not in html
    assert "not charged, not credited" in html
    again = reverse("checkout:make_payment") + "?method=paypal&amp;amount=30.00&amp;currency=USD"
    assert f'href="{again}">Try again<' in html, html[html.find("Try again") - 200 :][:300]

    page = portal_client.get(again.replace("&amp;", "&")).content.decode()
    assert 'value="30.00"' in page  # the amount is filled in again
    assert '<option value="paypal" selected>' in page


def test_a_declined_card_offers_another_card(portal_client, customer):
    payment = payment_create(
        customer=customer,
        total="30",
        description="Card top-up",
        method="card",
        status="pending",
        gateway="stripe",
    )
    payment_cancel(payment=payment, reason="Your card was declined.")
    html = portal_client.get(reverse("checkout:status", args=[payment.reference])).content.decode()
    assert "Your card was declined." in html
    assert ">Try another card<" in html
    assert "Charged" not in html and "Credited" not in html


def test_a_declined_payment_s_own_page_says_the_amount_was_only_tried(portal_client, customer):
    """The payment's page (the Payments list's link) wrote "Total $30.00 USD" above the decline,
    read as money taken; the status page already said "Amount tried … (not charged …)"."""
    payment = payment_create(
        customer=customer, total="30", description="Card top-up", method="card",
        status="pending", gateway="stripe",
    )  # fmt: skip
    payment_cancel(payment=payment, reason="Your card was declined.")
    html = portal_client.get(reverse("portal:payment_detail", args=[payment.reference]))
    html = html.content.decode()
    assert (
        "<dt>Amount tried</dt><dd data-tried>$30.00 USD"
        ' <span class="muted">(not in your balance)</span></dd>'
    ) in html
    assert "<dt>Total</dt>" not in html
    assert "Your card was declined." in html
