"""Splitting a large credit does not get past four eyes: what one person credits by hand in one
currency over a rolling 24 hours — manual credits, completions of pending payments by hand, for
the amount expected or more, whatever the customers — adds up, and the credit or completion that
takes it above the threshold (1000 here) waits for a second Finance user like a large one does."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.accounts.models import PaymentMethod
from paydesk.audit.models import AuditEntry
from paydesk.credits.errors import CreditApprovalRefused
from paydesk.credits.models import CreditApproval, RefusedCompletionRequest
from paydesk.credits.services import (
    AWAITING_PROVIDER,
    credit_approve,
    credit_refuse,
    is_held,
    staff_payment_add,
    staff_payment_complete,
)
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from tests.credits.conftest import add_payment, checkout, signed_in
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

WINDOW_REASON = (
    "Awaiting approval by a second Finance user: with this one, what the same person credited "
    "by hand in USD in the last 24 hours comes to {total}, above the four-eyes threshold of "
    "$1,000.00 USD."
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
    assert payments[1].pending_reason == AWAITING_PROVIDER
    assert payments[1].credit_approval.reason == WINDOW_REASON.format(total="$2,000.00 USD")
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


def test_other_people_and_other_currencies_count_apart(customer, finance_user):
    euros = CustomerFactory(currency="EUR")
    colleague = StaffFactory(staff_role="finance")
    assert credit(customer, finance_user, "700").status == "completed"
    assert credit(customer, colleague, "700").status == "completed"
    assert credit(euros, finance_user, "700").status == "completed"
    assert credit(customer, finance_user, "300.00").status == "completed"  # exactly 1000
    assert credit(customer, finance_user, "0.01").status == "pending"


def test_one_person_s_credits_to_different_customers_add_up(customer, finance_user):
    """Before, each customer had their own window: 900 to each of two passed one by one."""
    assert credit(customer, finance_user, "900").status == "completed"
    other = credit(CustomerFactory(currency="USD"), finance_user, "900")
    assert other.status == "pending" and is_held(other)
    assert other.credit_approval.reason == WINDOW_REASON.format(total="$1,800.00 USD")


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
        "brings what you credited by hand in USD in the last 24 hours above the four-eyes "
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
        "With this one, what you credited by hand in USD in the last 24 hours would come to "
        "$1,600.00 USD, above the four-eyes threshold of $1,000.00 USD: a second Finance user "
        "must complete it."
    )
    second.refresh_from_db()
    assert second.status == "pending" and balance(customer) == Decimal("800")
    assert AuditEntry.objects.filter(action="credit.approval_refused").count() == 1
    done = staff_payment_complete(payment=second.pk, actor=second_finance_user)
    assert done.status == "completed" and balance(customer) == Decimal("1600")


# --- completions by hand count too -----------------------------------------------------------


def test_completions_of_gateway_payments_under_the_threshold_add_up(
    finance_user, second_finance_user
):
    """Twenty completions of 900 by one person passed a 1000 threshold one by one."""
    customers = [CustomerFactory(currency="USD") for _ in range(3)]
    first, second, third = (checkout(c, "900") for c in customers)

    assert staff_payment_complete(payment=first, actor=finance_user).status == "completed"
    asked = staff_payment_complete(payment=second, actor=finance_user)

    assert asked.status == "pending" and is_held(asked) and balance(customers[1]) == 0
    request = CreditApproval.objects.get(payment=second)
    assert request.requested_by == finance_user and request.requested_total == Decimal("900")
    assert request.reason == WINDOW_REASON.format(total="$1,800.00 USD")
    assert asked.pending_reason == AWAITING_PROVIDER
    hold = AuditEntry.objects.get(action="credit.hold")
    assert hold.after["window_total"] == "1800.00"
    # The second person completes it; what they approve is not theirs alone, and it frees
    # nobody: the first person's third completion still waits.
    done = credit_approve(payment=second, actor=second_finance_user)
    assert done.status == "completed" and balance(customers[1]) == Decimal("900")
    assert is_held(staff_payment_complete(payment=third, actor=finance_user))
    mine = staff_payment_complete(payment=checkout(customers[2], "900"), actor=second_finance_user)
    assert mine.status == "completed"
    assert balance_drifts() == []


def test_a_completion_for_more_counts_what_it_credited(customer, finance_user):
    assert staff_payment_complete(
        payment=checkout(customer, "10"), actor=finance_user, total="900"
    ).status == "completed"  # fmt: skip
    # 900 credited, not the 10 expected: a manual credit of 200 now takes it to 1100.
    assert credit(customer, finance_user, "200").status == "pending"


def test_completing_someone_else_s_pending_credit_for_more_counts_in_the_completer_s_window(
    customer, finance_user, second_finance_user
):
    entered = staff_payment_add(
        customer=customer, total="500", description="Wire", actor=second_finance_user,
        status="pending",
    )  # fmt: skip
    done = staff_payment_complete(payment=entered, actor=finance_user, total="900")
    assert done.status == "completed" and done.completed_by == finance_user

    assert credit(customer, finance_user, "200").status == "pending"  # 900 + 200
    assert credit(customer, second_finance_user, "1000").status == "completed"  # not theirs


def test_someone_else_s_pending_credit_beyond_one_s_window_is_a_request(
    customer, finance_user, second_finance_user
):
    credit(customer, finance_user, "800")
    entered = staff_payment_add(
        customer=customer, total="300", description="Wire", actor=second_finance_user,
        status="pending",
    )  # fmt: skip

    asked = staff_payment_complete(payment=entered, actor=finance_user, total="400")

    assert asked.status == "pending" and is_held(asked) and balance(customer) == Decimal("800")
    assert asked.credit_approval.requested_total == Decimal("400")
    third = StaffFactory(staff_role="finance")
    done = credit_approve(payment=entered, actor=third)
    assert done.status == "completed" and done.total == Decimal("400")


def test_a_refused_request_leaves_the_window_as_it_was(customer, finance_user, second_finance_user):
    credit(customer, finance_user, "800")
    payment = checkout(customer, "300")
    assert is_held(staff_payment_complete(payment=payment, actor=finance_user))
    credit_refuse(payment=payment, actor=second_finance_user, reason="Not seen at the gateway")
    assert RefusedCompletionRequest.objects.filter(payment=payment).exists()
    # Refused: nothing was credited, so it does not count; asked again, it waits again.
    assert credit(customer, finance_user, "200").status == "completed"  # 800 + 200
    assert is_held(staff_payment_complete(payment=payment, actor=finance_user))


def test_bank_transfers_keep_their_own_rule_and_do_not_count(customer, finance_user):
    transfer = payment_create(
        customer=customer, total="900", description="Bank transfer", status="pending",
        method=PaymentMethod.BANK_TRANSFER, gateway="bank_transfer",
    )  # fmt: skip
    assert staff_payment_complete(payment=transfer, actor=finance_user).status == "completed"
    assert credit(customer, finance_user, "1000").status == "completed"
