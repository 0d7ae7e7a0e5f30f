"""The bank-transfer instructions email: the reference, the amount to send and the provider's bank
details, to the customer's contacts and to the user who asked for the transfer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from paydesk.accounts.models import Contact
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import EmailKind, OutboundEmail
from paydesk.notifications.services import (
    email_content,
    notify_bank_transfer_instructions,
    outbox_send_due,
)
from tests.factories import PortalUserFactory
from tests.smtp import LoopbackSMTP, smtp_settings

pytestmark = pytest.mark.django_db

BANK = {
    "beneficiary_name": "Paydesk Telecom Ltd",
    "account_number": "GB33BUKB20201555555555",
    "bank_name": "Example Bank plc",
    "bank_address": "1 Bank Street\nLondon",
    "swift": "BUKBGB22",
}


def test_instructions_reach_contacts_and_the_requester_with_reference_and_bank_details(
    customer, settings, django_capture_on_commit_callbacks
):
    Contact.objects.create(customer=customer, email="billing@example.com")
    requester = PortalUserFactory(customer=customer, email="Ann@Example.com")
    with LoopbackSMTP() as smtp:
        smtp_settings(settings, smtp.port)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            transfer = payment_create(
                customer=customer,
                total="250",
                description="Bank transfer #customer asked twice",
                status="pending",
                method="bank_transfer",
                gateway="bank_transfer",
                actor=requester,
            )
            queued = notify_bank_transfer_instructions(payment=transfer, bank_details=BANK)
        assert smtp.received == []  # the request only queues
        outbox_send_due()  # the worker's email-outbox job sends what the request queued
    assert queued == 2
    assert sorted(r for got in smtp.received for r in got.rcpt_tos) == [
        "ann@example.com",
        "billing@example.com",
    ]
    for got in smtp.received:
        subject = got.message["Subject"]
        assert (
            subject == f"Bank transfer instructions: $250.00 USD (reference {transfer.reference})"
        )
        text = got.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        html = got.message.get_body(preferencelist=("html",)).get_content()
        for body in (text, html):
            assert transfer.reference in body
            assert "$250.00 USD" in body
            for value in ("Paydesk Telecom Ltd", "GB33BUKB20201555555555", "BUKBGB22"):
                assert value in body
        assert "1 Bank Street\nLondon" in text
        assert "1 Bank Street<br>London" in html
        # Labelled as what it is: an IBAN (the email said "Account number").
        assert "  IBAN:             GB33BUKB20201555555555\n" in text
        assert '<th scope="row">IBAN</th><td>GB33BUKB20201555555555</td>' in html
        assert "Account number" not in text + html
        assert b"asked twice" not in got.raw


def test_the_amount_to_send_may_differ_from_the_credit(customer):
    Contact.objects.create(customer=customer, email="billing@example.com")
    transfer = payment_create(
        customer=customer, total="100", description="Bank transfer", status="pending",
        method="bank_transfer",
    )  # fmt: skip
    notify_bank_transfer_instructions(
        payment=transfer, bank_details=BANK, amount=Decimal("92.5"), currency="EUR"
    )
    row = OutboundEmail.objects.get(kind=EmailKind.BANK_TRANSFER_INSTRUCTIONS)
    subject, body_text, body_html = email_content(row)  # as the worker renders it
    assert "€92.50 EUR" in subject
    assert "€92.50 EUR" in body_text and "€92.50 EUR" in body_html


def test_html_in_bank_details_is_escaped_in_the_html_part(customer):
    Contact.objects.create(customer=customer, email="billing@example.com")
    transfer = payment_create(
        customer=customer, total="10", description="Bank transfer", status="pending",
        method="bank_transfer",
    )  # fmt: skip
    details = {**BANK, "bank_name": "<script>alert(1)</script> Bank"}
    notify_bank_transfer_instructions(payment=transfer, bank_details=details)
    _subject, body_text, body_html = email_content(OutboundEmail.objects.get())
    assert "<script>" not in body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bank" in body_html
    assert "<script>alert(1)</script> Bank" in body_text  # plain text is not HTML
