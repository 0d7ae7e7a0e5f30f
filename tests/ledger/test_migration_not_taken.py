"""ledger 0014 marks the payments the processor did not take (`Payment.not_taken`) among those
cancelled before it: Paydesk's own cancels (no user, no gateway reference) whose reason begins
"Not taken: ", exactly. Cancelled payments are final: the migration lifts the guards for that
one UPDATE and puts them back. Run on SQLite and PostgreSQL (make test's two passes)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from paydesk.checkout.services import not_taken
from paydesk.ledger.models import Payment, PaymentMethod, PaymentStatus
from paydesk.ledger.services import payment_cancel, payment_create

BEFORE = [("ledger", "0013_voucher_bonus_relations")]
AFTER = [("ledger", "0014_payment_not_taken")]
RATE_LIMITED = "Not taken: Stripe is rate limiting requests (HTTP 429). Nothing was charged."


def _card(customer, *, gateway_reference: str = "") -> Payment:
    return payment_create(
        customer=customer,
        total="10.50",
        description="Card top-up",
        method=PaymentMethod.CARD,
        status=PaymentStatus.PENDING,
        gateway="stripe",
        gateway_reference=gateway_reference,
    )


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_earlier_not_taken_attempts_by_their_reason_and_keeps_the_guards(
    customer, finance_user
):
    # Cancelled as before 0014: the reason alone said so (payment_cancel without not_taken).
    rate_limited = payment_cancel(payment=_card(customer), reason=RATE_LIMITED, audited=True)
    by_staff = payment_cancel(payment=_card(customer), reason=RATE_LIMITED, actor=finance_user)
    with_reference = payment_cancel(
        payment=_card(customer, gateway_reference="pi_sandbox_1"), reason=RATE_LIMITED
    )
    other_case = payment_cancel(payment=_card(customer), reason=RATE_LIMITED.lower())
    abandoned = payment_cancel(
        payment=_card(customer), reason="Abandoned: not paid at Stripe within 90 minutes."
    )
    pending = _card(customer)
    assert not Payment.objects.filter(not_taken=True).exists()

    _migrate(BEFORE)
    _migrate(AFTER)

    marked = set(Payment.objects.filter(not_taken=True).values_list("pk", flat=True))
    assert marked == {rate_limited.pk}
    for payment in (rate_limited, by_staff, with_reference, other_case, abandoned, pending):
        payment.refresh_from_db()
    assert not_taken(rate_limited)
    assert not any(not_taken(p) for p in (by_staff, with_reference, other_case, abandoned))
    assert rate_limited.cancel_reason == RATE_LIMITED  # what the customer reads is unchanged
    assert pending.status == PaymentStatus.PENDING

    # The guards are back: a cancelled payment is final again.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=abandoned.pk).update(not_taken=True)
