"""A dispute of a payment already refunded: the gateway still takes the money (the chargeback is
recorded, never refused), so Finance must contest it with the refund as evidence. The dispute's
page and its row in the list say so, with links to the refunds; the disputes list filters them
and the home page counts the open ones."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Dispute, Payment, PaymentRelation
from paydesk.ledger.refunds import refund_create, refund_settle
from tests.backoffice.conftest import PAYMENTS
from tests.backoffice.test_home import count_of
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db

DISPUTES = "/backoffice/ledger/dispute/"


def disputed(payment: Payment, dispute_id: str, stage: str = "funds_withdrawn") -> Dispute:
    dispute_apply(original=payment, gateway="card", dispute_id=dispute_id, stage=stage)
    return Dispute.objects.get(dispute_id=dispute_id)


def refunded(payment: Payment, total: str, actor, *, completed: bool = True) -> Payment:
    status = "completed" if completed else "pending"
    return refund_create(original=payment, total=total, reason="Asked", actor=actor, status=status)


def test_paid_50_refunded_20_then_disputed_the_page_gives_the_refund_as_evidence(
    finance, finance_user, customer
):
    payment = card_payment(customer)
    refund = refunded(payment, "20.00", finance_user)
    dispute = disputed(payment, "dp_after_refund")

    chargeback = Payment.objects.get(original=payment, relation=PaymentRelation.CHARGEBACK)
    assert chargeback.total == Decimal("-50.00")  # recorded whatever was refunded
    customer.refresh_from_db()
    assert customer.balance == Decimal("-20.00")  # 50 paid, 20 refunded, 50 taken back
    page = finance.get(f"{DISPUTES}{dispute.pk}/change/").content.decode()
    when = timezone.localtime(refund.completed_at).strftime("%Y-%m-%d %H:%M")
    link = f'<a href="{PAYMENTS}{refund.pk}/change/">{refund.reference}</a>'
    assert f"<li>Refunded $20.00 USD on {when}, refund {link}</li>" in page
    assert "give the gateway each refund&#x27;s reference and date as evidence" in page
    listed = finance.get(DISPUTES).content.decode()
    assert f"$20.00 USD on {when}, {link}" in listed


def test_a_pending_refund_is_said_pending_and_a_declined_one_is_not_evidence(
    finance, finance_user, customer
):
    payment = card_payment(customer)
    pending = refunded(payment, "10.00", finance_user, completed=False)
    declined = refunded(payment, "5.00", finance_user, completed=False)
    refund_settle(refund=declined, completed=False, reason="declined")
    dispute = disputed(payment, "dp_pending", stage="opened")

    page = finance.get(f"{DISPUTES}{dispute.pk}/change/").content.decode()

    assert "Refunding $10.00 USD since" in page and pending.reference in page
    assert declined.reference not in page


def test_a_dispute_of_a_payment_never_refunded_says_no(finance, customer):
    dispute = disputed(card_payment(customer), "dp_plain", stage="opened")
    page = finance.get(f"{DISPUTES}{dispute.pk}/change/").content.decode()
    assert "No: the payment has no refund." in page


def test_the_home_page_counts_open_disputes_of_refunded_payments_and_links_to_them(
    finance, finance_user, customer
):
    refunded_payment = card_payment(customer, n=1)
    refunded(refunded_payment, "50.00", finance_user)
    disputed(refunded_payment, "dp_refunded", stage="opened")
    disputed(card_payment(customer, n=2), "dp_not_refunded", stage="opened")
    closed = card_payment(customer, n=3)
    refunded(closed, "5.00", finance_user)
    disputed(closed, "dp_closed", stage="won")

    home = finance.get("/backoffice/").content.decode()

    assert count_of(home, "Open disputes of refunded payments") == 1
    url = re.search(
        r'<a href="([^"]+)"><span class="backoffice-count">\d+</span> Open disputes of refunded',
        home,
    )
    assert url
    listed = finance.get(url.group(1).replace("&amp;", "&")).content.decode()
    assert "dp_refunded" in listed
    assert "dp_not_refunded" not in listed and "dp_closed" not in listed
    not_refunded = finance.get(f"{DISPUTES}?refunded=no").content.decode()
    assert "dp_not_refunded" in not_refunded and "dp_refunded<" not in not_refunded


def test_the_disputes_list_reads_every_row_s_refunds_at_once(
    finance, finance_user, customer, django_assert_max_num_queries
):
    """The refunds column is prefetched: a page of disputes costs the same queries for 1 or 5."""

    def one_more(n: int) -> None:
        payment = card_payment(customer, n=n)
        refunded(payment, "1.00", finance_user)
        disputed(payment, f"dp_{n}", stage="opened")

    one_more(1)
    finance.get(DISPUTES)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        finance.get(DISPUTES)
    for n in range(2, 6):
        one_more(n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        listed = finance.get(DISPUTES).content.decode()
    assert listed.count("$1.00 USD") == 5


def test_the_payment_page_s_disputes_say_what_was_refunded_so_far(finance, finance_user, customer):
    payment = card_payment(customer)
    first, second = refunded(payment, "3.00", finance_user), refunded(payment, "1.00", finance_user)
    pending = refunded(payment, "2.00", finance_user, completed=False)
    disputed(payment, "dp_page", stage="opened")
    never_refunded = card_payment(customer, n=2)
    disputed(never_refunded, "dp_page_2", stage="opened")

    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()

    def link(refund: Payment) -> str:
        return f'<a href="{PAYMENTS}{refund.pk}/change/">{refund.reference}</a>'

    assert f"Refunded so far: $4.00 USD (2 refunds: {link(first)}, {link(second)})" in page
    assert f"Pending at the gateway: $2.00 USD (1 refund: {link(pending)})" in page
    other = finance.get(f"{PAYMENTS}{never_refunded.pk}/change/").content.decode()
    assert "Refunded so far: nothing." in other
