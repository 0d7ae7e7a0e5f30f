"""On PostgreSQL the ledger's two hot statements (balance UPDATE, payment INSERT) are prepared
once per connection — unless PAYDESK_PG_PREPARED is off (PgBouncer) — and errors they raise are
still Django's."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from paydesk.ledger.fastpath import payment_row_insert
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def prepared_ledger_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        texts = [row[0] for row in cursor.fetchall()]
    return {
        kind for kind, prefix in (
            ("update", 'UPDATE "accounts_customer" SET "balance"'),
            ("insert", 'INSERT INTO "ledger_payment"'),
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
        reference=payment.reference, customer=customer, total=1, status="completed",
        method="manual", description="Same reference",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        payment_row_insert(duplicate)
