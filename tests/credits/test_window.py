"""Splitting a large credit does not get past four eyes: one person's manual credits to one
customer over a rolling 24 hours add up, and the credit that takes them above the threshold
(1000 here) waits for a second Finance user like a large one does."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.audit.models import AuditEntry
from paydesk.credits.errors import CreditApprovalRefused
from paydesk.credits.services import (
    credit_approve,
    is_held,
    staff_payment_add,
    staff_payment_complete,
)
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from tests.credits.conftest import add_payment, signed_in
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

WINDOW_REASON = (
    "Awaiting approval by a second Finance user: with this one, the manual credits entered by "
    "the same person for this account in the last 24 hours come to {total}, above the "
    "four-eyes threshold of $1,000.00 USD."
)


def credit(customer, actor, total="1000.00") -> Payment:
    return staff_payment_add(customer=customer, total=total, description="Wire", actor=actor)


def balance(customer) -> Decimal:
    customer.refresh_from_db()
    return customer.balance


def test_five_credits_of_1000_by_one_person_credit_1000_and_hold_the_rest(customer, finance_user):
    payments = [credit(customer, finance_user) for _ in range(5)]

    assert [p.status for p in payments] == ["completed"] + ["pending"] * 4
    assert all(is_held(p) for p in payments[1:])
    assert payments[1].pending_reason == WINDOW_REASON.format(total="$2,000.00 USD")
    assert payments[1].needs_attention
    assert balance(customer) == Decimal("1000")
    hold = AuditEntry.objects.filter(action="credit.hold").first()
    assert hold.after["window_total"] == "2000.00" and hold.after["threshold"] == "1000.00"
    assert balance_drifts() == []


def test_a_credit_held_by_the_window_is_approved_by_a_second_person(
    customer, finance_user, second_finance_user
):
    credit(customer, finance_user, "600")
    held = credit(customer, finance_user, "600")
    assert is_held(held)
    done = credit_approve(payment=held.pk, actor=second_finance_user)
    assert done.status == PaymentStatus.COMPLETED and balance(customer) == Decimal("1200")
    # An approved credit had its second person: it no longer counts against the one who
    # entered it, so a small credit afterwards needs nobody.
    assert credit(customer, finance_user, "300").status == PaymentStatus.COMPLETED


def test_other_people_and_other_customers_count_apart(customer, finance_user):
    other_customer = CustomerFactory(currency="USD")
    colleague = StaffFactory(staff_role="finance")
    assert credit(customer, finance_user, "700").status == "completed"
    assert credit(customer, colleague, "700").status == "completed"
    assert credit(other_customer, finance_user, "700").status == "completed"
    assert credit(customer, finance_user, "300.00").status == "completed"  # exactly 1000
    assert credit(customer, finance_user, "0.01").status == "pending"


def test_purchases_and_pending_entries_are_not_held_and_do_not_count(customer, finance_user):
    assert credit(customer, finance_user, "900").status == "completed"
    purchase = credit(customer, finance_user, "-500")
    assert purchase.status == "completed" and not is_held(purchase)
    pending = staff_payment_add(
        customer=customer, total="900", description="Wire", actor=finance_user, status="pending"
    )
    assert not is_held(pending)
    assert credit(customer, finance_user, "100").status == "completed"  # 900 + 100


def test_the_window_rolls_over_24_hours(customer, finance_user):
    now = timezone.now()
    for hours in (25, 23):
        payment_create(
            customer=customer, total="600", description="Wire", actor=finance_user,
            at=now - timedelta(hours=hours),
        )  # fmt: skip
    # 25 hours ago is out of the window; 23 hours ago is in: 600 + 400 = 1000, not above.
    assert credit(customer, finance_user, "400").status == "completed"
    assert credit(customer, finance_user, "0.01").status == "pending"


def test_the_system_is_never_held(customer):
    payments = [credit(customer, None) for _ in range(3)]
    assert [p.status for p in payments] == ["completed"] * 3


def test_the_back_office_says_why_it_was_held(customer, finance_user):
    client = signed_in(finance_user)
    add_payment(client, customer, "800.00")
    response = add_payment(client, customer, "800.00")
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True).content.decode()
    assert (
        "brings your manual credits to this customer in the last 24 hours above the four-eyes "
        "threshold of $1,000.00 USD: it is pending until a second Finance user approves it."
    ) in page


def test_completing_one_s_own_pending_credits_counts_the_same_window(
    customer, finance_user, second_finance_user
):
    def pending(total: str) -> Payment:
        return staff_payment_add(
            customer=customer, total=total, description="Wire", actor=finance_user,
            status="pending",
        )  # fmt: skip

    first, second = pending("800"), pending("800")
    assert staff_payment_complete(payment=first.pk, actor=finance_user).status == "completed"
    with pytest.raises(CreditApprovalRefused) as refused:
        staff_payment_complete(payment=second.pk, actor=finance_user)
    assert refused.value.message == (
        "With this one, the manual credits you entered for this account in the last 24 hours "
        "would come to $1,600.00 USD, above the four-eyes threshold of $1,000.00 USD: a second "
        "Finance user must complete it."
    )
    second.refresh_from_db()
    assert second.status == "pending" and balance(customer) == Decimal("800")
    assert AuditEntry.objects.filter(action="credit.approval_refused").count() == 1
    done = staff_payment_complete(payment=second.pk, actor=second_finance_user)
    assert done.status == "completed" and balance(customer) == Decimal("1600")
