"""The two refund emails as their readers take them (found trying the demo as Finance): the
customer's says whose account the refund comes off without "refunded … to the account" (the
money goes back to the card), and Finance's names the method that was disputed, not the
gateway's code ("at card")."""

from __future__ import annotations

import pytest

from paydesk.checkout.refunds import payment_refund
from paydesk.gateways.base import DisputeStage
from paydesk.notifications.models import EmailKind, OutboundEmail
from paydesk.notifications.services import email_content
from tests.factories import CustomerFactory, StaffFactory
from tests.refunds.conftest import card_payment
from tests.refunds.test_worked_examples import _dispute

pytestmark = pytest.mark.django_db


def test_the_refund_email_says_which_payment_and_account(card_gateway, finance, settings):
    settings.PAYDESK_PROVIDER_NAME = "Paydesk Telecom"
    customer = CustomerFactory(name="Acme Telecom")
    customer.contacts.create(email="billing@example.com")
    payment = card_payment(customer)
    refund = payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="20")
    _subject, body_text, body_html = email_content(
        OutboundEmail.objects.get(kind=EmailKind.REFUND_ISSUED, payment=refund)
    )
    opening = (
        f"Paydesk Telecom has refunded $20.00 USD of payment {payment.reference} "
        "(account: Acme Telecom)."
    )
    assert opening in body_text and opening in body_html
    assert "to the account of" not in body_text


def test_the_dispute_email_names_the_method_not_the_gateway_code(card_gateway):
    StaffFactory(staff_role="finance", email="finance@example.com")
    payment = card_payment(CustomerFactory(name="Acme Telecom"))
    _dispute(payment, DisputeStage.OPENED, "evt_d1")
    _subject, body_text, body_html = email_content(
        OutboundEmail.objects.get(kind=EmailKind.DISPUTE_OPENED, to="finance@example.com")
    )
    opening = f"A payer has disputed Credit Card payment {payment.reference} of Acme Telecom."
    assert opening in body_text and opening in body_html
    assert " at card" not in body_text


def test_the_dispute_email_says_the_reason_in_the_gateways_words(card_gateway, monkeypatch):
    """As the disputes list and the payment page say it, never the stored code
    ("fraudulent" read as Stripe words it)."""
    from paydesk.gateways.stripe.disputes import REASONS

    monkeypatch.setattr(card_gateway, "dispute_reasons", REASONS, raising=False)
    StaffFactory(staff_role="finance", email="finance@example.com")
    payment = card_payment(CustomerFactory(name="Acme Telecom"))
    _dispute(payment, DisputeStage.OPENED, "evt_d1")
    _subject, body_text, body_html = email_content(
        OutboundEmail.objects.get(kind=EmailKind.DISPUTE_OPENED, to="finance@example.com")
    )
    words = REASONS["fraudulent"]
    assert words != "fraudulent"
    assert words in body_text and words in body_html
    assert "fraudulent\n" not in body_text


def test_the_dispute_email_says_what_was_refunded_so_far(card_gateway, finance):
    StaffFactory(staff_role="finance", email="finance2@example.com")
    payment = card_payment(CustomerFactory(name="Acme Telecom"))
    refunds = [
        payment_refund(payment=payment, reason="Unused minutes", actor=finance, total=total)
        for total in ("3", "1")
    ]
    card_gateway.unavailable = True  # no answer: the refund stays pending
    pending = payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="2")
    _dispute(payment, DisputeStage.OPENED, "evt_d1")
    _subject, body_text, body_html = email_content(
        OutboundEmail.objects.get(kind=EmailKind.DISPUTE_OPENED, to="finance2@example.com")
    )
    said = f"$4.00 USD (2 refunds: {refunds[0].reference}, {refunds[1].reference})"
    assert f"Refunded so far: {said}" in body_text
    assert f"Refunded so far</th><td>{said}" in body_html
    assert "The payer already got money back from this payment" in body_text
    assert f"Pending at the gateway: $2.00 USD (1 refund: {pending.reference})" in body_text


def test_the_dispute_email_of_a_payment_never_refunded_says_nothing_of_refunds(card_gateway):
    StaffFactory(staff_role="finance", email="finance@example.com")
    _dispute(card_payment(CustomerFactory()), DisputeStage.OPENED, "evt_d1")
    _subject, body_text, _html = email_content(OutboundEmail.objects.get(to="finance@example.com"))
    assert "Refund" not in body_text and "Gateway's id:" in body_text
