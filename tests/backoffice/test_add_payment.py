"""Spec §8 "Add payment", told as worked examples: what Finance types, what the ledger says."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core import mail

from paydesk.accounts.models import Contact
from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.notifications.services import outbox_send_due
from paydesk.settings.values import Threshold
from tests.backoffice.conftest import ADD_PAYMENT

pytestmark = pytest.mark.django_db


def form_token(client, customer=None) -> str:
    url = ADD_PAYMENT + (f"?customer={customer.pk}" if customer else "")
    page = client.get(url).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def post(client, customer, **fields):
    data = {
        "customer": customer.pk,
        "description": "Top-up",
        "total": "10",
        "status": "completed",
        "fee": "",
        "form_token": form_token(client),
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(ADD_PAYMENT, data)


def test_the_form_has_the_fields_of_the_spec_and_defaults_to_completed(finance, customer):
    response = finance.get(f"{ADD_PAYMENT}?customer={customer.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields) == [
        "customer",
        "description",
        "total",
        "status",
        "fee",
        "email_confirmation",
        "allow_overdraft",
        "form_token",
    ]
    assert form.initial["status"] == "completed"
    assert not form.fields["email_confirmation"].initial
    assert form.fields["description"].required and form.fields["total"].required


def test_finance_tops_up_50_and_the_balance_is_50(finance, finance_user, customer):
    response = post(finance, customer, total="50.00", description="Wire 2026-11-02", fee="1.25")
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/ledger/payment/{payment.pk}/change/"
    customer.refresh_from_db()
    assert customer.balance == Decimal("50")
    assert payment.status == "completed"
    assert payment.method == "manual"
    assert payment.fee == Decimal("1.25")
    assert payment.created_by == finance_user
    entry = AuditEntry.objects.get(action="payment.create")
    assert entry.actor == finance_user
    assert Decimal(entry.after["total"]) == Decimal("50")
    assert Decimal(entry.after["balance_after"]) == Decimal("50")


def test_text_after_hash_is_the_private_staff_comment(finance, customer):
    post(finance, customer, description="PayPal 87878787744 #payment from the demo")
    payment = Payment.objects.get()
    assert payment.description == "PayPal 87878787744"
    assert payment.staff_comment == "payment from the demo"


def test_a_purchase_past_the_limit_is_refused_next_to_the_total(finance, customer):
    customer.debit_limit = Decimal("5")
    customer.save(update_fields=["debit_limit"])
    post(finance, customer, total="10", description="Top-up")
    response = post(finance, customer, total="-15.01", description="DID rental")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "total" in errors
    assert "$15.01 USD" in errors["total"][0]
    assert "Allow overdraft" in errors["total"][0]
    assert Payment.objects.count() == 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("10")


def test_the_same_purchase_goes_through_when_staff_allow_the_overdraft(finance, customer):
    response = post(
        finance, customer, total="-15.01", description="DID rental", allow_overdraft="on"
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.balance == Decimal("-15.01")
    entry = AuditEntry.objects.get(action="payment.create")
    assert entry.after["allow_overdraft"] is True


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"total": "ten"}, "total", "not a number"),
        ({"total": "0"}, "total", "cannot be zero"),
        ({"total": "1.00001"}, "total", "4 decimal"),
        ({"total": ""}, "total", "required"),
        ({"description": ""}, "description", "required"),
        ({"description": "#only a comment"}, "description", "customer can read"),
        ({"fee": "-1"}, "fee", "zero or more"),
        ({"status": "refunded"}, "status", "valid choice"),
    ],
)
def test_bad_input_is_shown_next_to_its_field(finance, customer, fields, field, words):
    response = post(finance, customer, **fields)
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    assert not Payment.objects.exists()


def test_a_double_submit_records_one_payment(finance, customer):
    token = form_token(finance)
    data = {
        "customer": customer.pk,
        "description": "Top-up",
        "total": "10",
        "status": "completed",
        "form_token": token,
    }
    first = finance.post(ADD_PAYMENT, data)
    second = finance.post(ADD_PAYMENT, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("10")


def test_a_missing_or_malformed_token_is_refused(finance, customer):
    response = finance.post(
        ADD_PAYMENT,
        {"customer": customer.pk, "description": "Top-up", "total": "10", "status": "completed"},
    )
    assert "form_token" in response.context["form"].errors
    response = finance.post(
        ADD_PAYMENT,
        {
            "customer": customer.pk,
            "description": "Top-up",
            "total": "10",
            "status": "completed",
            "form_token": "<script>",
        },
    )
    assert "form_token" in response.context["form"].errors
    assert not Payment.objects.exists()


def test_email_confirmation_tells_every_contact_amount_and_reference(
    finance, customer, django_capture_on_commit_callbacks, settings
):
    # One person: tests/credits hold it.
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = Threshold(Decimal("5000"))
    Contact.objects.create(customer=customer, email="billing@example.com")
    Contact.objects.create(customer=customer, email="cfo@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        post(
            finance,
            customer,
            total="2123",
            description="Wire #checked by Ann",
            email_confirmation="on",
        )
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
    payment = Payment.objects.get()
    assert sorted(m.to[0] for m in mail.outbox) == ["billing@example.com", "cfo@example.com"]
    for message in mail.outbox:
        assert "$2,123.00 USD" in message.subject + message.body
        assert payment.reference in message.subject
        assert payment.reference in message.body
        assert "checked by Ann" not in message.body  # the staff comment stays private


def test_no_email_unless_asked_or_when_the_payment_is_not_completed(
    finance, customer, django_capture_on_commit_callbacks
):
    Contact.objects.create(customer=customer, email="billing@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        post(finance, customer, total="5")
        post(finance, customer, total="5", status="pending", email_confirmation="on")
    assert Payment.objects.count() == 2
    assert mail.outbox == []


def test_a_mail_failure_is_logged_and_the_payment_stands(
    finance, customer, django_capture_on_commit_callbacks, settings, caplog
):
    Contact.objects.create(customer=customer, email="billing@example.com")
    settings.EMAIL_BACKEND = "tests.backoffice.broken_mail.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = post(finance, customer, total="5", email_confirmation="on")
    assert response.status_code == 302
    assert outbox_send_due() == 0  # the worker's try fails
    assert Payment.objects.get().status == "completed"
    assert "could not be sent" in caplog.text


def test_a_cancelled_entry_is_recorded_without_moving_the_balance(finance, customer):
    post(finance, customer, total="40", status="cancelled")
    payment = Payment.objects.get()
    customer.refresh_from_db()
    assert payment.status == "cancelled"
    assert customer.balance == 0


def test_a_sub_cent_entry_is_confirmed_with_every_decimal_it_has(finance, customer):
    """A finance review: 15.005 was confirmed as "$15.01 USD recorded" and "refundable: $15.01"."""
    response = post(finance, customer, total="15.005", description="Minutes credit", fee=None)
    payment = Payment.objects.get()
    assert payment.total == Decimal("15.005")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [
        f"Payment {payment.reference} of $15.005 USD for {customer.name} recorded as completed."
    ]
    page = finance.get(response["Location"]).content.decode()
    assert "Refunded $0.00 USD of $15.005 USD" in page
    assert "refundable: $15.005 USD" in page
    assert "$15.01" not in page
