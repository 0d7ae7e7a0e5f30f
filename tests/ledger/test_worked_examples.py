"""The ledger told as an accountant would: amounts in, balance out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from paydesk.errors import InsufficientCredit, InvalidAmount, InvalidTransition, PermissionDenied
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_cancel, payment_complete, payment_create

pytestmark = pytest.mark.django_db


def test_customer_tops_up_50_buys_a_did_for_10_balance_is_40(customer):
    top_up = payment_create(customer=customer, total="50", description="Bank top-up")
    did = payment_create(customer=customer, total="-10", description="DID rental +1 555 0100")
    customer.refresh_from_db()
    assert customer.balance == Decimal("40")
    assert top_up.balance_after == Decimal("50")
    assert did.balance_after == Decimal("40")
    assert did.is_purchase
    assert balance_drifts() == []


def test_sub_cent_charges_stay_exact(customer):
    for _ in range(3):
        payment_create(customer=customer, total="0.0001", description="Call minute")
    payment_create(customer=customer, total="0.1", description="Top-up")
    payment_create(customer=customer, total="0.2", description="Top-up")
    customer.refresh_from_db()
    assert customer.balance == Decimal("0.3003")


def test_more_than_four_decimals_is_refused(customer):
    with pytest.raises(InvalidAmount):
        payment_create(customer=customer, total="0.00001", description="Too fine")
    with pytest.raises(InvalidAmount):
        payment_create(customer=customer, total=1.5, description="A float")  # type: ignore[arg-type]


def test_purchase_past_available_credit_is_refused_and_nothing_is_written(customer):
    customer.debit_limit = Decimal("5")
    customer.save(update_fields=["debit_limit"])
    payment_create(customer=customer, total="10", description="Top-up")
    with pytest.raises(InsufficientCredit, match=r"\$15.01 USD"):
        payment_create(customer=customer, total="-15.01", description="Package")
    assert Payment.objects.filter(customer=customer).count() == 1
    # Exactly down to the limit is allowed: available credit is then zero.
    payment_create(customer=customer, total="-15", description="Package")
    customer.refresh_from_db()
    assert customer.balance == Decimal("-5")
    assert customer.available_credit == Decimal("0")


def test_staff_may_explicitly_allow_an_overdraft(customer, finance_user):
    payment = payment_create(
        customer=customer,
        total="-25",
        description="Setup fee",
        actor=finance_user,
        allow_overdraft=True,
    )
    assert payment.balance_after == Decimal("-25")


def test_private_comment_is_split_from_what_the_customer_sees(customer):
    payment = payment_create(
        customer=customer, total="100", description="PayPal 87878787744 #payment from the demo"
    )
    assert payment.description == "PayPal 87878787744"
    assert payment.staff_comment == "payment from the demo"


def test_pending_does_not_count_until_completed(customer):
    pending = payment_create(
        customer=customer, total="20", description="Transfer", status="pending"
    )
    customer.refresh_from_db()
    assert customer.balance == 0
    completed = payment_complete(payment=pending)
    customer.refresh_from_db()
    assert customer.balance == Decimal("20")
    assert completed.balance_after == Decimal("20")
    assert completed.completed_at is not None


def test_completed_and_cancelled_are_final(customer):
    pending = payment_create(
        customer=customer, total="20", description="Transfer", status="pending"
    )
    payment_cancel(payment=pending, reason="Customer asked")
    with pytest.raises(InvalidTransition):
        payment_complete(payment=pending)
    with pytest.raises(InvalidTransition):
        payment_cancel(payment=pending, reason="again")
    customer.refresh_from_db()
    assert customer.balance == 0


def test_support_cannot_move_money(customer, support_user):
    with pytest.raises(PermissionDenied):
        payment_create(customer=customer, total="10", description="x", actor=support_user)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_payment SET total = total + 10000 WHERE id = %s",
        "UPDATE ledger_payment SET status = 'pending' WHERE id = %s",
        "UPDATE ledger_payment SET status = 'cancelled' WHERE id = %s",
        "DELETE FROM ledger_payment WHERE id = %s",
    ],
)
def test_database_refuses_raw_sql_that_rewrites_history(customer, sql):
    payment = payment_create(customer=customer, total="10", description="Top-up")
    with pytest.raises(IntegrityError, match="paydesk: "):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [payment.pk])
    payment.refresh_from_db()
    assert (payment.total, payment.status) == (Decimal("10"), "completed")


def test_database_refuses_a_currency_change(customer):
    with pytest.raises(IntegrityError, match="currency"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_customer SET currency = 'EUR' WHERE id = %s", [customer.pk]
            )
