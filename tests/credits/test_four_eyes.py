"""Four eyes on manual credits, told as Finance lives it (spec §13, issue 10): a credit above
the threshold waits for a second Finance user; below it, one person records it as before."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from paydesk.accounts.models import Contact
from paydesk.audit.models import AuditEntry
from paydesk.credits.errors import CreditApprovalRefused, CreditError
from paydesk.credits.models import CreditApproval
from paydesk.credits.selectors import credit_threshold
from paydesk.credits.services import (
    AWAITING_APPROVAL,
    AWAITING_PROVIDER,
    credit_approve,
    credit_refuse,
    is_held,
    staff_payment_add,
    staff_payment_complete,
)
from paydesk.errors import InvalidTransition, PermissionDenied
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.notifications.services import outbox_send_due
from paydesk.settings.values import threshold_parse
from tests.credits.conftest import AWAITING, add_payment, signed_in
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def balance(customer) -> Decimal:
    customer.refresh_from_db()
    return customer.balance


def test_below_the_threshold_one_person_credits_at_once(finance_user, customer):
    response = add_payment(signed_in(finance_user), customer, "1000")  # not above 1000
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert payment.status == "completed" and balance(customer) == Decimal("1000")
    assert not CreditApproval.objects.exists()


def test_above_the_threshold_the_credit_waits_for_a_second_finance_user(
    finance_user, second_finance_user, customer
):
    response = add_payment(signed_in(finance_user), customer, "2500")
    payment = Payment.objects.get()

    assert response.status_code == 302
    assert payment.status == "pending" and is_held(payment)
    assert payment.pending_reason == AWAITING_PROVIDER and payment.needs_attention
    assert CreditApproval.objects.get(payment=payment).reason == AWAITING_APPROVAL
    assert balance(customer) == 0
    hold = AuditEntry.objects.get(action="credit.hold")
    assert hold.actor == finance_user and hold.after["total"] == "2500.00"
    listing = signed_in(second_finance_user).get(AWAITING).content.decode()
    assert payment.reference in listing and finance_user.email in listing

    approved = signed_in(second_finance_user).post(f"{AWAITING}{payment.pk}/approve/")

    assert approved.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "completed" and payment.completed_by == second_finance_user
    assert payment.pending_reason == "" and not payment.needs_attention
    assert balance(customer) == Decimal("2500") == payment.balance_after
    entry = AuditEntry.objects.get(action="credit.approve")
    assert entry.actor == second_finance_user and entry.after["entered_by"] == finance_user.email
    assert AuditEntry.objects.filter(action="payment.complete", actor=second_finance_user).exists()
    assert payment.reference not in signed_in(second_finance_user).get(AWAITING).content.decode()
    assert balance_drifts() == []


def test_the_customer_sees_nothing_credited_until_approved(finance_user, customer):
    user = PortalUserFactory(customer=customer)
    add_payment(signed_in(finance_user), customer, "2500")
    portal = signed_in(user)
    assert portal.get("/api/v1/balance").json()["balance"]["amount"] == "0.00"
    rows = portal.get("/api/v1/payments").json()["data"]
    assert [(r["status"], r["total"]["amount"]) for r in rows] == [("pending", "2500.00")]
    assert "checked on the statement" not in portal.get("/payments/").content.decode()


def test_nobody_approves_a_credit_they_entered(finance_user, customer):
    client = signed_in(finance_user)
    add_payment(client, customer, "2500")
    payment = Payment.objects.get()

    page = client.get(f"{AWAITING}{payment.pk}/change/").content.decode()
    assert "You entered this credit" in page and "/approve/" not in page
    response = client.post(f"{AWAITING}{payment.pk}/approve/", follow=True)

    assert "Nobody approves a credit they entered" in response.content.decode()
    with pytest.raises(CreditApprovalRefused):
        credit_approve(payment=payment, actor=finance_user)
    payment.refresh_from_db()
    assert payment.status == "pending" and balance(customer) == 0
    refusal = AuditEntry.objects.filter(action="credit.approval_refused", actor=finance_user)
    assert refusal.count() == 2


def test_the_plain_complete_paths_keep_the_rule(finance_user, second_finance_user, customer):
    client = signed_in(finance_user)
    add_payment(client, customer, "2500")
    payment = Payment.objects.get()
    # The payment's Complete button leads to the approval page.
    complete = client.get(f"/backoffice/ledger/payment/{payment.pk}/complete/")
    assert complete["Location"] == f"{AWAITING}{payment.pk}/change/"
    # Bulk complete by the person who entered it: refused, reported.
    bulk = client.post(
        "/backoffice/ledger/payment/",
        {"action": "complete_selected", "_selected_action": [payment.pk], "post": "yes"},
        follow=True,
    )
    assert "Nobody approves a credit they entered" in bulk.content.decode()
    assert balance(customer) == 0
    # Bulk complete by someone else: that is the approval.
    signed_in(second_finance_user).post(
        "/backoffice/ledger/payment/",
        {"action": "complete_selected", "_selected_action": [payment.pk], "post": "yes"},
    )
    assert balance(customer) == Decimal("2500")


def test_an_administrator_counts_as_finance(finance_user, admin_user, customer):
    add_payment(signed_in(finance_user), customer, "2500")
    payment = Payment.objects.get()
    signed_in(admin_user).post(f"{AWAITING}{payment.pk}/approve/")
    assert balance(customer) == Decimal("2500")


def test_an_administrators_own_entry_needs_finance_too(admin_user, finance_user, customer):
    add_payment(signed_in(admin_user), customer, "2500")
    payment = Payment.objects.get()
    with pytest.raises(CreditApprovalRefused):
        credit_approve(payment=payment, actor=admin_user)
    credit_approve(payment=payment, actor=finance_user)
    assert balance(customer) == Decimal("2500")


def test_support_reads_the_list_but_can_neither_approve_nor_refuse(
    finance_user, support_user, customer
):
    add_payment(signed_in(finance_user), customer, "2500")
    payment = Payment.objects.get()
    support = signed_in(support_user)
    assert support.get(AWAITING).status_code == 200
    page = support.get(f"{AWAITING}{payment.pk}/change/").content.decode()
    assert "/approve/" not in page and "/refuse/" not in page
    assert support.post(f"{AWAITING}{payment.pk}/approve/").status_code == 403
    assert support.post(f"{AWAITING}{payment.pk}/refuse/", {"reason": "no"}).status_code == 403
    with pytest.raises(PermissionDenied):
        credit_approve(payment=payment, actor=support_user)
    with pytest.raises(PermissionDenied):
        staff_payment_add(customer=customer, total="2500", description="x", actor=support_user)
    assert Payment.objects.get().status == "pending" and balance(customer) == 0


def test_a_portal_user_gets_nothing_from_the_list(finance_user, customer):
    add_payment(signed_in(finance_user), customer, "2500")
    portal = signed_in(PortalUserFactory(customer=customer))
    assert portal.get(AWAITING).status_code == 302  # to the back office's sign-in


def test_refusing_cancels_with_the_reason_and_credits_nothing(
    finance_user, second_finance_user, customer
):
    add_payment(signed_in(finance_user), customer, "2500")
    payment = Payment.objects.get()
    client = signed_in(second_finance_user)

    empty = client.post(f"{AWAITING}{payment.pk}/refuse/", {"reason": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    response = client.post(f"{AWAITING}{payment.pk}/refuse/", {"reason": "Not on the statement"})

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == "cancelled" and payment.cancel_reason == "Not on the statement"
    assert payment.cancelled_by == second_finance_user and payment.pending_reason == ""
    assert balance(customer) == 0
    assert AuditEntry.objects.get(action="credit.refuse").actor == second_finance_user
    with pytest.raises(InvalidTransition):
        credit_approve(payment=payment, actor=finance_user)
    assert balance_drifts() == []


def test_the_person_who_entered_it_may_withdraw_it(finance_user, customer):
    payment = staff_payment_add(
        customer=customer, total="2500", description="Typo", actor=finance_user
    )
    credit_refuse(payment=payment, actor=finance_user, reason="Typed 2500 for 250")
    assert Payment.objects.get().status == "cancelled"


def test_a_decided_credit_is_not_decided_again(finance_user, second_finance_user, customer):
    payment = staff_payment_add(
        customer=customer, total="2500", description="x", actor=finance_user
    )
    credit_approve(payment=payment, actor=second_finance_user)
    with pytest.raises(InvalidTransition):
        credit_approve(payment=payment, actor=StaffFactory(staff_role="finance"))
    with pytest.raises(InvalidTransition):
        credit_refuse(payment=payment, actor=second_finance_user, reason="late")
    assert balance(customer) == Decimal("2500")
    ordinary = staff_payment_add(customer=customer, total="5", description="y", actor=finance_user)
    with pytest.raises(CreditError):
        credit_approve(payment=ordinary, actor=second_finance_user)


def test_purchases_are_never_held(finance_user, customer):
    response = add_payment(
        signed_in(finance_user), customer, "-5000", description="Setup fee", allow_overdraft="on"
    )
    assert response.status_code == 302
    assert Payment.objects.get().status == "completed" and balance(customer) == Decimal("-5000")
    assert not CreditApproval.objects.exists()


def test_a_pending_entry_above_the_threshold_is_completed_by_someone_else_as_entered(
    finance_user, second_finance_user, customer
):
    add_payment(signed_in(finance_user), customer, "2500", status="pending")
    payment = Payment.objects.get()
    assert not is_held(payment)  # pending on purpose: the money is expected
    with pytest.raises(CreditApprovalRefused):
        staff_payment_complete(payment=payment, actor=finance_user)
    with pytest.raises(CreditApprovalRefused, match="approved as entered"):
        staff_payment_complete(payment=payment, actor=second_finance_user, total="9000")
    # Nor can the one who entered a small pending credit complete it as a big one alone.
    small = staff_payment_add(
        customer=customer, total="10", description="z", status="pending", actor=finance_user
    )
    with pytest.raises(CreditApprovalRefused):
        staff_payment_complete(payment=small, actor=finance_user, total="5000")
    assert balance(customer) == 0
    staff_payment_complete(payment=payment, actor=second_finance_user)
    assert balance(customer) == Decimal("2500")


def test_the_confirmation_email_goes_when_approved_not_before(
    finance_user, second_finance_user, customer, django_capture_on_commit_callbacks
):
    Contact.objects.create(customer=customer, email="billing@example.com")
    client = signed_in(finance_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_payment(client, customer, "2500", email_confirmation="on")
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
    assert mail.outbox == []
    assert "the confirmation email goes then" in client.get(response["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        credit_approve(payment=Payment.objects.get(), actor=second_finance_user)
    outbox_send_due()  # the worker's email-outbox job sends what the request queued
    assert [m.to for m in mail.outbox] == [["billing@example.com"]]


def test_the_threshold_may_differ_per_currency(settings, finance_user):
    settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = threshold_parse(
        "1000, JPY=150000, kwd=300", setting="PAYDESK_CREDIT_TWO_PERSON_THRESHOLD"
    )
    assert credit_threshold("USD") == Decimal("1000")
    assert credit_threshold("JPY") == Decimal("150000")
    yen = CustomerFactory(currency="JPY")
    assert not is_held(
        staff_payment_add(customer=yen, total="150000", description="a", actor=finance_user)
    )
    assert is_held(
        staff_payment_add(customer=yen, total="150001", description="b", actor=finance_user)
    )


def test_the_system_itself_is_never_held(customer):
    """The command line without --as (the operator of the machine) and the demo's seed."""
    payment = staff_payment_add(customer=customer, total="99999", description="Import", actor=None)
    assert payment.status == "completed"


def test_the_command_line_as_a_staff_member_keeps_the_rule(finance_user, customer):
    from io import StringIO

    out = StringIO()
    call_command(
        "payments",
        "add",
        "--customer",
        str(customer.pk),
        "--total",
        "2500",
        "--description",
        "Wire",
        "--as",
        finance_user.email,
        "--json",
        stdout=out,
    )
    payment = Payment.objects.get()
    assert is_held(payment)
    with pytest.raises(CommandError, match="approved by a second Finance user"):
        call_command("payments", "complete", "--payment", payment.reference, stdout=out)
    with pytest.raises(CommandError, match="Nobody approves a credit they entered"):
        call_command(
            "payments",
            "complete",
            "--payment",
            payment.reference,
            "--as",
            finance_user.email,
            stdout=out,
        )
    assert balance(customer) == 0


def test_the_approve_and_refuse_forms_need_csrf(finance_user, second_finance_user, customer):
    add_payment(signed_in(finance_user), customer, "2500")
    payment = Payment.objects.get()
    client = sign_in(Client(enforce_csrf_checks=True), second_finance_user)
    assert client.post(f"{AWAITING}{payment.pk}/approve/").status_code == 403
    assert client.get(f"{AWAITING}{payment.pk}/approve/").status_code == 405
    assert balance(customer) == 0
