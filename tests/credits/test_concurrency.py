"""Four eyes racing on PostgreSQL with real connections: the payment row lock orders approvers,
so a held credit is credited exactly once, and an approval racing a refusal leaves one outcome;
the person's own user row lock orders what one person credits by hand (manual credits and
completions, to any customers), so splitting at once gets past nobody."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.accounts.models import PaymentMethod
from paydesk.credits.services import (
    credit_approve,
    credit_refuse,
    is_held,
    staff_payment_add,
    staff_payment_complete,
)
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from tests.factories import CustomerFactory, StaffFactory
from tests.vouchers.conftest import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def held(customer, entered_by) -> Payment:
    return staff_payment_add(customer=customer, total="5000", description="Wire", actor=entered_by)


def outcome(result: object) -> str:
    if isinstance(result, Payment):
        return result.status
    if isinstance(result, PaydeskError):
        return result.code
    raise AssertionError(f"unexpected: {result!r}")


def test_two_approvers_at_once_credit_once(customer, finance_user):
    payment = held(customer, finance_user)
    approvers = [StaffFactory(staff_role="finance"), StaffFactory(staff_role="admin")]

    results = run_at_once(2, lambda i: credit_approve(payment=payment.pk, actor=approvers[i]))

    assert sorted(outcome(r) for r in results) == ["completed", "invalid_transition"]
    customer.refresh_from_db()
    assert customer.balance == Decimal("5000")
    assert balance_drifts() == []


def test_eight_approvers_at_once_credit_once(customer, finance_user):
    payment = held(customer, finance_user)
    approvers = [StaffFactory(staff_role="finance") for _ in range(8)]

    results = run_at_once(8, lambda i: credit_approve(payment=payment.pk, actor=approvers[i]))

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("completed") == 1
    assert outcomes.count("invalid_transition") == 7
    customer.refresh_from_db()
    assert customer.balance == Decimal("5000") == Payment.objects.get().balance_after
    assert balance_drifts() == []


def test_an_approval_racing_a_refusal_leaves_one_outcome(customer, finance_user):
    payment = held(customer, finance_user)
    approver, refuser = StaffFactory(staff_role="finance"), StaffFactory(staff_role="finance")

    def decide(i: int) -> Payment:
        if i == 0:
            return credit_approve(payment=payment.pk, actor=approver)
        return credit_refuse(payment=payment.pk, actor=refuser, reason="Not received")

    outcomes = sorted(outcome(r) for r in run_at_once(2, decide))

    assert outcomes in (["completed", "invalid_transition"], ["cancelled", "invalid_transition"])
    payment.refresh_from_db()
    customer.refresh_from_db()
    assert customer.balance == (Decimal("5000") if payment.status == "completed" else 0)
    assert balance_drifts() == []


def test_split_credits_at_once_cannot_all_slip_under_the_threshold(customer, finance_user):
    """Eight credits of 600 by one person at once, on eight connections: the person's row lock
    orders them, so each one counts those before it, one completes and seven wait."""
    results = run_at_once(
        8,
        lambda i: staff_payment_add(
            customer=customer, total="600", description=f"Part {i}", actor=finance_user
        ),
    )

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("completed") == 1
    assert outcomes.count("pending") == 7
    customer.refresh_from_db()
    assert customer.balance == Decimal("600")
    assert balance_drifts() == []


def test_two_seconds_completing_a_request_at_once_complete_it_once(customer, finance_user):
    """A card checkout of 10 asked completed for 100000 by one Finance user; two others
    complete it at the same moment, one by approving, one by completing it again."""
    payment = payment_create(
        customer=customer,
        total="10",
        description="Card top-up",
        method=PaymentMethod.CARD,
        status="pending",
        gateway="stripe",
    )
    staff_payment_complete(payment=payment, actor=finance_user, total="100000")
    seconds = [StaffFactory(staff_role="finance"), StaffFactory(staff_role="admin")]

    def second(i: int) -> Payment:
        if i == 0:
            return credit_approve(payment=payment.pk, actor=seconds[i])
        return staff_payment_complete(payment=payment.pk, actor=seconds[i], total="100000")

    results = run_at_once(2, second)

    assert sorted(outcome(r) for r in results) == ["completed", "invalid_transition"]
    customer.refresh_from_db()
    assert customer.balance == Decimal("100000") == Payment.objects.get().balance_after
    assert balance_drifts() == []


def test_completions_by_hand_at_once_cannot_all_slip_under_the_threshold(finance_user):
    """One person completes eight card checkouts of 600, of eight customers, by hand at once;
    with them, two manual credits of 300: the person's row lock orders all ten, so at most
    1000 is credited alone and the rest waits for a second person."""
    customers = [CustomerFactory(currency="USD") for _ in range(10)]
    checkouts = [
        payment_create(
            customer=customers[i],
            total="600",
            description="Card top-up",
            method=PaymentMethod.CARD,
            status="pending",
            gateway="stripe",
        )  # fmt: skip
        for i in range(8)
    ]

    def by_hand(i: int) -> Payment:
        if i < 8:
            return staff_payment_complete(payment=checkouts[i].pk, actor=finance_user)
        return staff_payment_add(
            customer=customers[i], total="300", description="Wire", actor=finance_user
        )

    results = run_at_once(10, by_hand)

    assert all(isinstance(r, Payment) for r in results), results
    alone = [r for r in results if r.status == "completed"]
    # In whatever order they ran: 600 + 300, 300 + 600 or 300 + 300, and the third waits.
    assert len(alone) == 2 and sum((r.total for r in alone), Decimal(0)) <= Decimal("1000")
    assert all(r.status == "pending" and is_held(r) for r in results if r not in alone)
    assert balance_drifts() == []
