"""On PostgreSQL the ledger's two hot statements (balance UPDATE, payment INSERT) are prepared
once per connection — unless PAYDESK_PG_PREPARED is off (PgBouncer) — and errors they raise are
still Django's."""

from __future__ import annotations

import json

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from paydesk.ledger import hooks
from paydesk.ledger.fastpath import payment_row_insert
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def prepared_ledger_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        texts = [row[0] for row in cursor.fetchall()]
    return {
        kind
        for kind, prefix in (
            ("update", 'UPDATE "accounts_customer" SET "balance"'),
            # with the webhooks' event rows in the same statement (ledger/hooks.py with_insert)
            ("insert", 'WITH new_payment AS (INSERT INTO "ledger_payment"'),
        )
        if any(text.startswith(prefix) for text in texts)
    }


def test_the_hot_statements_are_prepared(customer):
    connection.close()  # a fresh session: nothing prepared yet
    assert prepared_ledger_statements() == set()
    for n in range(3):
        payment_create(customer=customer, total="1.50", description=f"Top-up {n}")
    assert prepared_ledger_statements() == {"update", "insert"}
    customer.refresh_from_db()
    assert str(customer.balance) == "4.5000"


def test_nothing_is_prepared_when_switched_off(customer, settings):
    settings.PAYDESK_PG_PREPARED = False
    connection.close()
    for n in range(3):
        payment_create(customer=customer, total="1.50", description=f"Top-up {n}")
    assert prepared_ledger_statements() == set()


def test_a_database_error_of_a_prepared_statement_is_djangos(customer):
    payment = payment_create(customer=customer, total="2", description="First")
    duplicate = Payment(
        reference=payment.reference,
        customer=customer,
        total=1,
        status="completed",
        method="manual",
        description="Same reference",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        payment_row_insert(duplicate)


def test_the_event_rows_go_in_the_payments_own_statement(customer):
    connection.close()
    payment = payment_create(customer=customer, total="3.25", description="Top-up")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        texts = [row[0] for row in cursor.fetchall()]
    assert any(
        text.startswith('WITH new_payment AS (INSERT INTO "ledger_payment"')
        and 'INSERT INTO "outhooks_event"' in text
        for text in texts
    )
    events = list(Event.objects.filter(customer=customer).order_by("id"))
    assert [(e.type, e.payment_id) for e in events] == [
        ("payment.completed", payment.pk),
        ("balance.changed", payment.pk),
    ]
    assert json.loads(events[0].data)["reference"] == payment.reference
    balance = json.loads(events[1].data)["balance"]
    assert balance == {"amount": "3.25", "currency": customer.currency}


def test_a_listener_insert_that_fails_rolls_the_posting_back(customer):
    failing = (
        'INSERT INTO "outhooks_event" ("type", "customer_id", "payment_id", "created_at", '
        '"data", "dispatched") VALUES (%s, %s, (SELECT id FROM new_payment), now(), %s, '
        "1 / 0 = 1)"
    )
    hooks.payment_listener_register(
        "test-failing",
        lambda change: None,
        with_insert=lambda change: (failing, ["x", change.payment.customer_id, "{}"]),
    )
    try:
        with pytest.raises(DataError):
            payment_create(customer=customer, total="4", description="Top-up")
    finally:
        hooks._LISTENERS.pop("test-failing")
        hooks._WITH_INSERT.pop("test-failing")
    customer.refresh_from_db()
    assert customer.balance == 0
    assert not Payment.objects.filter(customer=customer).exists()
    assert not Event.objects.filter(customer=customer).exists()
    # the listener gone, the next posting goes through with its events
    payment = payment_create(customer=customer, total="4", description="Top-up")
    assert Event.objects.filter(payment=payment).count() == 2
