"""A refund of a bank transfer (Finance sent the money back and recorded it, docs/refunds.md)
keeps the method bank_transfer, but it is money going back: it is shown with refunds, never in
the incoming-transfer workflow (listed as expected, proofs and approvals, completion, expiry)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from paydesk.backoffice.home import work_waiting
from paydesk.banktransfers.errors import TransferError
from paydesk.banktransfers.models import TransferApproval
from paydesk.banktransfers.services import (
    transfer_cancel_by_customer,
    transfer_complete,
    transfers_expire,
)
from paydesk.checkout.refunds import payment_refund
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import refund_create
from tests.banktransfers.conftest import signed_in, transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(customer, finance_user):
    """A bank transfer of $250.00 that arrived and was completed."""
    done = transfer_complete(
        payment=transfer(customer),
        actor=finance_user,
        received_amount="250",
        received_currency="USD",
    )
    assert done.status == "completed"
    return done


@pytest.fixture
def refunded(paid, finance_user):
    """$100.00 of it paid back by bank transfer, recorded as made outside Paydesk."""
    refund = payment_refund(
        payment=paid,
        reason="Customer closed the account",
        actor=finance_user,
        total="100",
        outside=True,
        note="BANK-OUT-7",
    )
    assert (refund.status, refund.method, refund.total) == (
        "completed",
        "bank_transfer",
        Decimal("-100.00"),
    )
    return refund


@pytest.fixture
def pending_refund(paid, finance_user):
    """A refund of the transfer still pending (as a refund Finance has not sent yet would be)."""
    return refund_create(
        original=paid, total="100", reason="Duplicate top-up", actor=finance_user, status="pending"
    )


def _transfers_page(payment) -> str:
    return reverse("backoffice:banktransfers_banktransfer_change", args=[payment.pk])


def test_the_bank_transfer_list_shows_the_transfer_not_its_refund(finance_user, paid, refunded):
    client = signed_in(finance_user)
    for query in ("", "?status__exact=completed"):
        html = client.get(
            reverse("backoffice:banktransfers_banktransfer_changelist") + query
        ).content.decode()
        assert paid.reference in html
        assert refunded.reference not in html
        assert "-$100.00" not in html


def test_a_refund_has_no_transfer_page_and_its_payment_page_no_approvals_link(
    finance_user, paid, refunded
):
    client = signed_in(finance_user)
    assert client.get(_transfers_page(refunded)).status_code == 404
    refund_page = client.get(
        reverse("backoffice:ledger_payment_change", args=[refunded.pk])
    ).content.decode()
    assert "proof and approvals" not in refund_page
    assert _transfers_page(refunded) not in refund_page
    # The transfer itself keeps its link, and shows its refund.
    paid_page = client.get(reverse("backoffice:ledger_payment_change", args=[paid.pk]))
    html = paid_page.content.decode()
    assert "proof and approvals" in html and _transfers_page(paid) in html
    assert refunded.reference in html


def test_the_refund_is_still_listed_with_payments(finance_user, paid, refunded):
    client = signed_in(finance_user)
    html = client.get(
        reverse("backoffice:ledger_payment_changelist") + f"?customer={paid.customer_id}"
    ).content.decode()
    assert refunded.reference in html and "-$100.00" in html


def test_the_approval_service_refuses_a_refund(finance_user, second_finance_user, pending_refund):
    with pytest.raises(TransferError, match="money going back"):
        transfer_complete(
            payment=pending_refund.pk,
            actor=second_finance_user,
            received_amount="100",
            received_currency="USD",
        )
    assert Payment.objects.get(pk=pending_refund.pk).status == "pending"
    assert not TransferApproval.objects.filter(payment=pending_refund).exists()


def test_a_pending_refund_is_no_transfer_to_approve_or_expire(customer, settings, pending_refund):
    waiting = {work.label: work.count for work in work_waiting()}
    assert waiting["Bank transfers to approve"] == 0
    assert waiting["Other pending payments"] == 1
    settings.PAYDESK_TRANSFER_EXPIRY_DAYS = 14
    assert transfers_expire(now=timezone.now() + timedelta(days=30)) == 0
    assert Payment.objects.get(pk=pending_refund.pk).status == "pending"


def test_the_customer_has_no_transfer_page_for_a_refund(portal_user, refunded, pending_refund):
    client = signed_in(portal_user)
    for refund in (refunded, pending_refund):
        url = reverse("banktransfers:detail", args=[refund.reference])
        assert client.get(url).status_code == 404
    with pytest.raises(TransferError, match="No such bank transfer"):
        transfer_cancel_by_customer(payment=pending_refund, user=portal_user)
    assert Payment.objects.get(pk=pending_refund.pk).status == "pending"
