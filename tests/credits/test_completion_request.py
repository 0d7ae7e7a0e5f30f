"""Four eyes on completing a pending payment for more than it expected (a card checkout left
pending, a flagged late payment): above the manual credits' threshold the first Finance user's
completion is a request, completed when a second one approves it; for the expected amount or
less, or at or below the threshold, one person completes it."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from paydesk.accounts.models import PaymentMethod
from paydesk.audit.models import AuditEntry
from paydesk.credits.errors import CreditApprovalRefused
from paydesk.credits.models import CreditApproval
from paydesk.credits.services import (
    credit_approve,
    credit_refuse,
    is_held,
    staff_payment_complete,
)
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create, payment_pending_note
from paydesk.settings.values import threshold_parse
from tests.api.conftest import ApiClient, key_for
from tests.credits.conftest import AWAITING, checkout, signed_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/staff/payments"


def balance(customer) -> Decimal:
    customer.refresh_from_db()
    return customer.balance


def test_one_person_cannot_complete_it_for_more_above_the_threshold(finance_user, customer):
    payment = checkout(customer)

    asked = staff_payment_complete(payment=payment, actor=finance_user, total="100000")

    assert asked.status == "pending" and is_held(asked) and asked.needs_attention
    assert asked.total == Decimal("10") and balance(customer) == 0
    assert asked.pending_reason == "Awaiting approval by the provider."
    request = CreditApproval.objects.get(payment=payment)
    assert request.reason == (
        "Awaiting approval by a second Finance user: completing it for $100,000.00 USD, more "
        "than the $10.00 USD it expected, is above the four-eyes threshold of $1,000.00 USD."
    )
    assert request.requested_by == finance_user
    assert request.requested_total == Decimal("100000")
    hold = AuditEntry.objects.get(action="credit.hold")
    assert hold.actor == finance_user
    assert hold.after["total"] == "100000.00" and hold.after["expected"] == "10.00"


def test_a_second_finance_user_completes_it_for_the_amount_asked(
    finance_user, second_finance_user, customer
):
    payment = checkout(customer)
    staff_payment_complete(payment=payment, actor=finance_user, total="100000")

    done = credit_approve(payment=payment, actor=second_finance_user)

    assert done.status == "completed" and done.total == Decimal("100000")
    assert done.expected_total == Decimal("10") and done.completed_by == second_finance_user
    assert not done.needs_attention
    assert balance(customer) == Decimal("100000")
    approve = AuditEntry.objects.get(action="credit.approve")
    assert approve.actor == second_finance_user
    assert approve.after["entered_by"] == finance_user.email
    assert approve.after["total"] == "100000.00" and approve.after["expected"] == "10.00"
    assert balance_drifts() == []


def test_the_second_may_complete_it_again_with_the_same_amount_never_another(
    finance_user, second_finance_user, customer
):
    payment = checkout(customer)
    staff_payment_complete(payment=payment, actor=finance_user, total="100000")

    with pytest.raises(CreditApprovalRefused, match=r"for \$100,000.00 USD was asked") as refused:
        staff_payment_complete(payment=payment, actor=second_finance_user, total="200000")
    assert refused.value.field == "total" and balance(customer) == 0

    done = staff_payment_complete(payment=payment, actor=second_finance_user, total="100000.00")
    assert done.status == "completed" and balance(customer) == Decimal("100000")


def test_the_same_person_twice_is_refused(finance_user, customer):
    payment = checkout(customer)
    staff_payment_complete(payment=payment, actor=finance_user, total="100000")

    with pytest.raises(CreditApprovalRefused, match="a second Finance user must approve it"):
        staff_payment_complete(payment=payment, actor=finance_user, total="100000")
    with pytest.raises(CreditApprovalRefused):
        credit_approve(payment=payment, actor=finance_user)

    payment.refresh_from_db()
    assert payment.status == "pending" and balance(customer) == 0
    assert AuditEntry.objects.filter(action="credit.approval_refused").count() == 2


@pytest.mark.parametrize("total", [None, "10", "7.50", "1000"])
def test_the_expected_amount_or_less_or_up_to_the_threshold_stays_one_person(
    finance_user, customer, total
):
    payment = checkout(customer)

    done = staff_payment_complete(payment=payment, actor=finance_user, total=total)

    assert done.status == "completed" and not CreditApproval.objects.exists()


def test_a_large_gateway_payment_completed_by_hand_as_expected_waits_for_a_second(
    finance_user, second_finance_user, customer
):
    """Money its gateway never confirmed (a checkout still pending): one Finance user credited
    $50,000.00 of it alone, at its expected amount, as a bank transfer that size never is."""
    payment = checkout(customer, total="50000")

    asked = staff_payment_complete(payment=payment, actor=finance_user)

    assert asked.status == "pending" and is_held(asked) and balance(customer) == 0
    assert asked.pending_reason == "Awaiting approval by the provider."
    assert CreditApproval.objects.get(payment=payment).reason == (
        "Awaiting approval by a second Finance user: completing it by hand for $50,000.00 USD, "
        "money its gateway never confirmed, is above the four-eyes threshold of $1,000.00 USD."
    )
    with pytest.raises(CreditApprovalRefused):
        staff_payment_complete(payment=payment, actor=finance_user)
    done = credit_approve(payment=payment, actor=second_finance_user)
    assert done.status == "completed" and balance(customer) == Decimal("50000")


def test_a_large_bank_transfer_keeps_its_own_rule(finance_user, customer):
    """A transfer's two-person rule is banktransfers' (received amount, day's rate); completing
    one here for what it expected is not turned into a credit request."""
    transfer = payment_create(
        customer=customer, total="50000", description="Bank transfer", status="pending",
        method=PaymentMethod.BANK_TRANSFER, gateway="bank_transfer",
    )  # fmt: skip

    done = staff_payment_complete(payment=transfer, actor=finance_user)

    assert done.status == "completed" and not CreditApproval.objects.filter(payment=transfer)


def test_the_threshold_is_per_currency_as_manual_credits_have_it(settings, finance_user):
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = threshold_parse(
        "1000,JPY=150000", setting="PAYDESK_CREDIT_TWO_PERSON_THRESHOLD"
    )
    customer = CustomerFactory(currency="JPY")

    below = staff_payment_complete(payment=checkout(customer), actor=finance_user, total="150000")
    above = staff_payment_complete(payment=checkout(customer), actor=finance_user, total="150001")

    assert below.status == "completed"
    assert above.status == "pending" and is_held(above)


def test_refusing_the_request_leaves_the_payment_as_it_was(
    finance_user, second_finance_user, customer
):
    payment = checkout(customer)
    payment_pending_note(payment=payment, reason="Paid late: the session had expired.")
    staff_payment_complete(payment=payment, actor=finance_user, total="100000")

    kept = credit_refuse(payment=payment, actor=second_finance_user, reason="No such wire")

    assert kept.status == "pending" and not is_held(kept)
    assert kept.pending_reason == "Paid late: the session had expired."
    assert not kept.needs_attention and balance(customer) == 0
    refuse = AuditEntry.objects.get(action="credit.refuse")
    assert refuse.after["reason"] == "No such wire"
    assert refuse.after["requested_by"] == finance_user.email
    # Completing as expected is one person's again.
    assert staff_payment_complete(payment=payment, actor=finance_user).status == "completed"


def test_the_back_office_records_the_request_and_shows_it_to_the_second(
    finance_user, second_finance_user, customer
):
    payment = checkout(customer)
    first = signed_in(finance_user)

    response = first.post(
        f"/backoffice/ledger/payment/{payment.pk}/complete/", {"total": "100000"}, follow=True
    )

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{AWAITING}{payment.pk}/change/"
    assert (
        f"Payment {payment.reference} was not completed: $100,000.00 USD is more than the "
        "$10.00 USD it expected and above the four-eyes threshold of $1,000.00 USD." in page
    )
    assert "You asked for this: a second Finance user must approve it." in page
    assert balance(customer) == 0

    second = signed_in(second_finance_user)
    listed = second.get(AWAITING).content.decode()
    assert "$100,000.00 USD (expected $10.00 USD)" in listed
    shown = second.get(f"{AWAITING}{payment.pk}/change/").content.decode()
    assert "$100,000.00 USD (expected $10.00 USD)" in shown and finance_user.email in shown
    assert "Refuse (the payment stays pending)" in shown

    second.post(f"{AWAITING}{payment.pk}/approve/")
    assert balance(customer) == Decimal("100000")


def test_the_staff_api_answers_202_then_the_second_approves(
    finance_user, second_finance_user, customer
):
    payment = checkout(customer)
    first, second = ApiClient(key_for(finance_user)), ApiClient(key_for(second_finance_user))

    asked = first.post(f"{PAYMENTS}/{payment.reference}/complete", {"total": "100000"})

    assert asked.status_code == 202 and asked.json()["status"] == "pending"
    assert asked.json()["reason"] == "Awaiting approval by the provider."
    (awaiting,) = second.get("/api/v1/staff/approvals").json()
    assert awaiting["reason"].startswith("Awaiting approval by a second Finance user: completing")
    assert awaiting["entered_by"] == finance_user.email
    assert awaiting["requested_total"] == {"amount": "100000.00", "currency": "USD"}
    own = first.post(f"{PAYMENTS}/{payment.reference}/approve")
    assert own.status_code == 422 and own.json()["error"]["code"] == "approval_refused"
    assert balance(customer) == 0

    approved = second.post(f"{PAYMENTS}/{payment.reference}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "completed"
    assert balance(customer) == Decimal("100000")


def test_the_command_line_as_a_staff_member_asks(finance_user, second_finance_user, customer):
    payment = checkout(customer)
    out = StringIO()

    call_command(
        "payments",
        "complete",
        "--payment",
        payment.reference,
        "--total",
        "100000",
        "--as",
        finance_user.email,
        stdout=out,
    )

    assert f"Asked to complete payment {payment.reference}" in out.getvalue()
    assert "Awaiting approval by a second Finance user" in out.getvalue()
    assert balance(customer) == 0
    call_command(
        "payments", "complete", "--payment", payment.reference, "--as", second_finance_user.email
    )
    assert balance(customer) == Decimal("100000")
