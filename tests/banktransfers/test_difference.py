"""Issue 13, finding 6: a transfer completed for another amount keeps the amount it expected.

Worked example: Acme's transfer expects $150.00; $148.50 arrives. Finance completes it with the
amount received: the payment's total (and the balance) is $148.50, and every page that shows the
transfer says it expected $150.00 and is $1.50 short — the back office's transfer page, its list
of transfers, the list of payments and the payment's page, and the customer's transfer page.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from paydesk.banktransfers.models import TransferApproval
from paydesk.banktransfers.selectors import transfer_amounts
from paydesk.banktransfers.services import transfer_complete
from paydesk.ledger.models import Payment
from tests.banktransfers.conftest import signed_in, transfer

pytestmark = pytest.mark.django_db

SHORT = "expected $150.00 USD, -$1.50 USD"


@pytest.fixture
def short_paid(customer, finance_user):
    payment = transfer(customer, total="150.00")
    return transfer_complete(
        payment=payment, actor=finance_user, received_amount="148.50", received_currency="USD"
    )


def test_the_approval_keeps_what_was_expected_and_the_total_is_what_arrived(short_paid, customer):
    approval = TransferApproval.objects.get(payment=short_paid)
    assert approval.expected == Decimal("150.00")
    assert short_paid.total == Decimal("148.50")
    customer.refresh_from_db()
    assert customer.balance == Decimal("148.50")
    amounts = transfer_amounts(payment=Payment.objects.get(pk=short_paid.pk))
    assert (amounts.expected, amounts.total, amounts.difference) == (
        Decimal("150.00"),
        Decimal("148.50"),
        Decimal("-1.50"),
    )
    assert amounts.note == SHORT


def test_the_back_office_transfer_page_shows_expected_credited_and_difference(
    short_paid, finance_user
):
    client = signed_in(finance_user)
    html = client.get(
        reverse("backoffice:banktransfers_banktransfer_change", args=[short_paid.pk])
    ).content.decode()
    assert '<dd class="transfer-expected">$150.00 USD</dd>' in html
    assert '<dd class="transfer-credited">$148.50 USD</dd>' in html
    assert "-$1.50 USD (less than expected)" in html


def test_the_transfer_page_writes_its_times_as_the_lists_do(short_paid, finance_user):
    """It wrote "Nov. 24, 2026, 7 a.m." for the creation and the approval, beside lists that
    write "2026-11-24 07:00"."""
    import re

    html = (
        signed_in(finance_user)
        .get(reverse("backoffice:banktransfers_banktransfer_change", args=[short_paid.pk]))
        .content.decode()
    )
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.search(rf"<dt>Created</dt><dd>{stamp}</dd>", html)
    assert re.search(rf'<tr><td class="backoffice-nowrap">{stamp}</td><td>', html)  # approval
    assert "a.m." not in html and "p.m." not in html


def test_the_lists_and_the_payment_page_show_the_difference(short_paid, finance_user):
    client = signed_in(finance_user)
    for url in (
        reverse("backoffice:banktransfers_banktransfer_changelist"),
        reverse("backoffice:ledger_payment_changelist"),
        reverse("backoffice:ledger_payment_change", args=[short_paid.pk]),
    ):
        html = client.get(url).content.decode()
        assert "$148.50 USD" in html and SHORT in html, url


def test_the_customers_transfer_page_shows_the_difference(short_paid, portal_client):
    html = portal_client.get(
        reverse("banktransfers:detail", args=[short_paid.reference])
    ).content.decode()
    assert '<dd class="transfer-expected">$150.00 USD</dd>' in html
    assert '<dd class="transfer-credited">$148.50 USD</dd>' in html
    assert "-$1.50 USD (less than expected)" in html


def test_more_than_expected_says_so_with_a_plus(customer, finance_user, portal_client):
    payment = transfer_complete(
        payment=transfer(customer, total="150.00"),
        actor=finance_user,
        received_amount="151.25",
        received_currency="USD",
    )
    html = portal_client.get(
        reverse("banktransfers:detail", args=[payment.reference])
    ).content.decode()
    assert "+$1.25 USD (more than expected)" in html
    listing = signed_in(finance_user).get(
        reverse("backoffice:banktransfers_banktransfer_changelist")
    )
    assert "expected $150.00 USD, +$1.25 USD" in listing.content.decode()


def test_the_amount_expected_shows_no_difference(customer, finance_user, portal_client):
    payment = transfer_complete(
        payment=transfer(customer, total="150.00"),
        actor=finance_user,
        received_amount="150.00",
        received_currency="USD",
    )
    assert not transfer_amounts(payment=payment).differs
    staff = signed_in(finance_user)
    for url in (
        reverse("backoffice:banktransfers_banktransfer_changelist"),
        reverse("backoffice:banktransfers_banktransfer_change", args=[payment.pk]),
    ):
        html = staff.get(url).content.decode()
        assert "$150.00 USD" in html and "expected $150.00" not in html
        assert "transfer-difference" not in html
    html = portal_client.get(
        reverse("banktransfers:detail", args=[payment.reference])
    ).content.decode()
    assert "transfer-difference" not in html and "$150.00 USD" in html


def test_two_approvals_keep_the_same_expected_amount(customer, finance_user, second_finance_user):
    payment = transfer(customer, total="1500.00")
    transfer_complete(
        payment=payment, actor=finance_user, received_amount="1490.00", received_currency="USD"
    )
    done = transfer_complete(
        payment=payment,
        actor=second_finance_user,
        received_amount="1490.00",
        received_currency="USD",
    )
    assert done.status == "completed" and done.total == Decimal("1490.00")
    kept = TransferApproval.objects.filter(payment=payment).values_list("expected", flat=True)
    assert set(kept) == {Decimal("1500.00")}
    assert transfer_amounts(payment=done).difference == Decimal("-10.00")
