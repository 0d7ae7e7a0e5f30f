"""The request writes an outbox row with its template and the plain values it says; the worker
renders it at the first attempt and keeps what it rendered (issue 18). The message says what the
customer was told when the row was written, and a row queued in the old form (subject and bodies
written by the request) is still sent as it is."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from paydesk.accounts.models import Contact
from paydesk.banktransfers.services import bank_details_update
from paydesk.ledger.services import payment_create
from paydesk.notifications.models import EmailKind, OutboundEmail
from paydesk.notifications.services import (
    email_content,
    notify_bank_transfer_instructions,
    notify_contacts,
    notify_payment_received,
    outbox_send_due,
)
from paydesk.provider.brand import brand_update
from tests.notifications.test_bank_transfer_instructions import BANK
from tests.signin import sign_in
from tests.smtp import free_port, smtp_settings

pytestmark = pytest.mark.django_db


def transfer_row(customer) -> OutboundEmail:
    Contact.objects.create(customer=customer, email="billing@example.com")
    transfer = payment_create(
        customer=customer, total="25", description="Bank transfer", status="pending",
        method="bank_transfer",
    )  # fmt: skip
    notify_bank_transfer_instructions(payment=transfer, bank_details=BANK)
    return OutboundEmail.objects.get(kind=EmailKind.BANK_TRANSFER_INSTRUCTIONS)


def test_the_request_stores_plain_values_and_renders_nothing(customer):
    row = transfer_row(customer)
    assert (row.subject, row.body_text, row.body_html) == ("", "", "")
    assert row.template == "notifications/email/bank_transfer_instructions"
    assert row.context["bank"] == BANK and row.context["amount"] == "$25.00 USD"
    assert json.loads(json.dumps(row.context)) == row.context  # plain JSON values only


def test_the_email_says_the_bank_details_the_customer_was_given(customer, admin_user):
    row = transfer_row(customer)
    # The provider changes its bank details after the request answered, before the worker sends.
    bank_details_update(
        actor=admin_user, **{**BANK, "account_number": "DE89 3704 0044 0532 0130 00"}
    )
    assert outbox_send_due() == 1
    (sent,) = mail.outbox
    assert "GB33BUKB20201555555555" in sent.body and "DE89" not in sent.body
    assert row.payment.reference in sent.subject
    row.refresh_from_db()
    assert (row.subject, row.body_text) == (sent.subject, sent.body)  # kept for staff and retries


def test_a_failed_attempt_keeps_the_rendered_message_for_the_retry(customer, settings, admin_user):
    row = transfer_row(customer)
    smtp_settings(settings, free_port())  # nothing listens: the attempt fails
    assert outbox_send_due() == 0
    row.refresh_from_db()
    assert row.status == "failed" and "GB33BUKB20201555555555" in row.body_text
    first = (row.subject, row.body_text, row.body_html)
    brand_update(actor=admin_user, name="Renamed Telecom")
    assert email_content(row) == first  # the retry sends what the first attempt rendered


def test_a_row_queued_in_the_old_form_is_sent_as_it_is(customer):
    OutboundEmail.objects.create(
        to="billing@example.com", subject="Payment received: $5.00 USD (P-1)",
        body_text="Old body", body_html="<p>Old body</p>", kind=EmailKind.PAYMENT_RECEIVED,
    )  # fmt: skip
    assert outbox_send_due() == 1
    (sent,) = mail.outbox
    assert (sent.subject, sent.body) == ("Payment received: $5.00 USD (P-1)", "Old body")
    assert sent.alternatives[0].content == "<p>Old body</p>"


def test_a_value_json_cannot_hold_fails_in_the_request(customer):
    Contact.objects.create(customer=customer, email="billing@example.com")
    with pytest.raises(TypeError):
        notify_contacts(
            kind=EmailKind.LOW_BALANCE, customer_id=customer.pk, template="autotopup/email/notice",
            context={"subject": "x", "amount": Decimal("1.00")},
        )  # fmt: skip


def test_staff_read_a_queued_message_as_it_will_be_sent(customer, support_user):
    Contact.objects.create(customer=customer, email="billing@example.com")
    payment = payment_create(customer=customer, total="5", description="Top-up")
    notify_payment_received(payment=payment)
    row = OutboundEmail.objects.get()
    page = sign_in(Client(), support_user).get(
        f"/backoffice/notifications/outboundemail/{row.pk}/change/"
    )
    assert page.status_code == 200
    assert f"Payment received: $5.00 USD ({payment.reference})" in page.content.decode()
