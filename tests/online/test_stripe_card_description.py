"""Issue 13, finding 12: a card payment's description names the card Stripe's server reports
("Credit Card Visa •••• 4242, $10.50 USD"): the PaymentIntent is read with its payment method
expanded, through the real client and the sandbox; the browser never sets it, and a description
staff changed is never overwritten."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, LogDirection, PaymentLogEntry
from paydesk.gateways.stripe.cards import card_label
from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.stripe_support import DECLINE, THREE_D_SECURE, card_checkout

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _authenticate_and_return(user, checkout) -> None:
    """The customer passes the sandbox's 3-D Secure page and comes back to /pay/return/."""
    client = _client(user)
    path = urlsplit(checkout.redirect_url).path
    back = urlsplit(client.post(path, {"action": "complete"})["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302


def test_a_paid_card_names_its_brand_and_last_four(sandbox, online_customer):
    user = online_customer("card")
    payment = card_checkout(sandbox.url, user, amount="10.50").payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.description == "Credit Card Visa •••• 4242, $10.50 USD"
    page = _client(user).get("/payments/").content.decode()
    assert "Credit Card Visa •••• 4242, $10.50 USD" in page
    # The payment log keeps the payment method's id, never the card's details.
    sent = PaymentLogEntry.objects.filter(payment=payment, direction=LogDirection.SENT)
    assert sent and all("4242" not in str(e.summary) for e in sent)
    assert any(str(e.summary.get("response.payment_method", "")).startswith("pm_") for e in sent)
    # The payment log says what was credited, as every page shows money.
    applied = PaymentLogEntry.objects.get(payment=payment, result=EventResult.APPLIED)
    assert applied.detail == "Completed: $10.50 USD credited."


def test_a_declined_card_is_named_too(sandbox, online_customer):
    user = online_customer("card")
    payment = card_checkout(sandbox.url, user, number=DECLINE, amount="10.50").payment
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.description == "Credit Card Visa •••• 0002, $10.50 USD"


def test_the_card_is_named_from_the_start_of_3d_secure(sandbox, online_customer):
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE, amount="10.50")
    assert checkout.payment.status == PaymentStatus.PENDING
    assert checkout.payment.description == "Credit Card Visa •••• 3184, $10.50 USD"


def test_unnamed_at_the_start_the_return_names_the_card(sandbox, online_customer):
    """When Stripe could not name the card before the payment was made (the plain description),
    the intent's answer on the return names it while the payment is still pending (Stripe's
    webhook held back, so the return is first)."""
    user = online_customer("card")
    sandbox.switch(webhooks="late")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE, amount="10.50")
    Payment.objects.filter(pk=checkout.payment.pk).update(description="Credit Card $10.50 USD")
    _authenticate_and_return(user, checkout)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.description == "Credit Card Visa •••• 3184, $10.50 USD"


def test_a_description_staff_changed_is_kept(sandbox, online_customer):
    user = online_customer("card")
    sandbox.switch(webhooks="late")
    checkout = card_checkout(sandbox.url, user, number=THREE_D_SECURE, amount="10.50")
    Payment.objects.filter(pk=checkout.payment.pk).update(description="Top-up for May")
    _authenticate_and_return(user, checkout)
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.description == "Top-up for May"


def test_the_card_is_asked_of_stripe_never_taken_from_the_browser(sandbox, online_customer):
    """A token that names no PaymentMethod at Stripe gets no card name (and no payment)."""
    user = online_customer("card")
    checkout = card_checkout(sandbox.url, user, token="pm_madeupbythebrowser0000", amount="10.50")
    assert checkout.payment.status == PaymentStatus.CANCELLED
    assert checkout.payment.description == "Credit Card $10.50 USD"


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ({"card": {"brand": "mastercard", "last4": "4444"}}, "Mastercard •••• 4444"),
        ({"card": {"brand": "amex", "last4": "0005"}}, "American Express •••• 0005"),
        ({"card": {"brand": "unknown", "last4": "1234"}}, "Card •••• 1234"),
        ({"card": {"brand": "new_brand", "last4": "1234"}}, "New Brand •••• 1234"),
        ({"card": {"brand": "<b>x</b>", "last4": "1234"}}, "Card •••• 1234"),
        ({"card": {"brand": "visa", "last4": "12"}}, ""),
        ({"card": {"brand": "visa"}}, ""),
        ("pm_123456", ""),
        (None, ""),
        ({"type": "sepa_debit"}, ""),
        # A SEPA mandate: its IBAN's last four only (the method's name says the rest).
        ({"type": "sepa_debit", "sepa_debit": {"last4": "3000", "country": "DE"}}, "•••• 3000"),
        ({"type": "sepa_debit", "sepa_debit": {"last4": "30"}}, ""),
        ({"type": "card", "sepa_debit": {"last4": "3000"}}, ""),
    ],
)
def test_card_label(method, label):
    assert card_label(method) == label
