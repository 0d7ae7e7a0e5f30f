"""A bank transfer's instructions email, written by the payment's own statement on PostgreSQL
(its outbox rows select the new payment, bench P5), is the rows `notify_bank_transfer_instructions`
writes: the same recipients in the same order, each once, the same template and values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.signals import post_save

from paydesk.accounts.models import Contact
from paydesk.checkout.services import checkout_start
from paydesk.notifications.models import EmailKind, OutboundEmail
from paydesk.notifications.services import notify_bank_transfer_instructions
from tests.banktransfers.conftest import bank_details  # noqa: F401 - a fixture
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bank_details")]

COMPARED = ("to", "subject", "body_text", "body_html", "template", "context", "kind", "status")


def _rows(payment) -> list[tuple]:
    rows = OutboundEmail.objects.filter(payment=payment, kind=EmailKind.BANK_TRANSFER_INSTRUCTIONS)
    return [
        (*(getattr(r, name) for name in COMPARED), r.attempts, r.sent_at, r.last_error)
        for r in rows.order_by("id")
    ]


def _transfer(rates):
    rates({"USD": "1.0850"})
    configure(surcharge_percent=Decimal("1"))
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "EUR"])
    # Contacts sorted by address; the requester among them in another case, once in all.
    for email in ("zed@example.com", "Ann@Example.com", "bob@example.com"):
        Contact.objects.create(customer=customer, email=email)
    user = PortalUserFactory(customer=customer, email="ann@example.com")
    checkout = checkout_start(
        customer=customer,
        user=user,
        method="bank_transfer",
        amount="100",
        currency="EUR",
        idempotency_key="form-token-0123456789abcdef",
    )
    return checkout, user


def _as_notify_writes_them(checkout) -> list[tuple]:
    written = _rows(checkout.payment)
    OutboundEmail.objects.all().delete()
    notify_bank_transfer_instructions(
        payment=checkout.payment,
        bank_details={
            name: getattr(checkout.bank_details, name)
            for name in ("beneficiary_name", "account_number", "bank_name", "bank_address", "swift")
        },
        amount=checkout.quote.total_charged,
        currency=checkout.quote.currency,
    )
    assert _rows(checkout.payment) == written
    return written


def test_the_instructions_are_the_rows_notify_writes(rates):
    checkout, _user = _transfer(rates)
    written = _as_notify_writes_them(checkout)
    assert [row[0] for row in written] == [
        "ann@example.com",
        "bob@example.com",
        "zed@example.com",
    ]
    assert written[0][5]["reference"] == checkout.payment.reference
    assert written[0][5]["amount"] == "€101.00 EUR"


@pytest.mark.postgres
def test_on_postgresql_the_payments_statement_writes_them(rates):
    checkout, _user = _transfer(rates)
    assert len(_as_notify_writes_them(checkout)) == 3
    # The statement that wrote them: the payment's, prepared on this connection.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['WITH new_payment AS (INSERT INTO "ledger_payment"%"notifications_outboundemail"%'],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
def test_with_a_listener_to_outbox_rows_they_are_written_apart_and_heard(rates):
    heard: list[str] = []

    def listen(sender, instance, created, **kwargs):  # noqa: ANN001, ANN202
        heard.append(instance.to)

    post_save.connect(listen, sender=OutboundEmail)
    try:
        checkout, _user = _transfer(rates)
    finally:
        post_save.disconnect(listen, sender=OutboundEmail)
    assert heard == ["ann@example.com", "bob@example.com", "zed@example.com"]
    assert len(_as_notify_writes_them(checkout)) == 3
