"""Refunds and chargebacks in the customer's portal and CSV: linked to the payment they came
from, which says "refunded X of Y"; the payment's own page tells the story."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.utils.html import escape

from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.services import payment_create
from tests.factories import CustomerFactory, StaffFactory
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(portal_user):
    """A 50.00 card top-up, refunded 20.00 outside a gateway, then charged back 10.00."""
    customer = portal_user.customer
    finance = StaffFactory(staff_role="finance")
    payment = card_payment(customer)
    refund = refund_create(
        original=payment, total="20.00", reason="Unused minutes", actor=finance,
        status="completed", description=f"Refund of {payment.reference}: Unused minutes #tx-1",
    )  # fmt: skip
    change = dispute_apply(
        original=payment, gateway="card", dispute_id="dp_1", stage="lost",
        account_total=Decimal("10.00"),
    )  # fmt: skip
    return payment, refund, change.posted


def test_the_list_links_each_row_to_its_original_and_says_how_much_was_refunded(
    portal_client, story
):
    payment, refund, chargeback = story
    page = portal_client.get("/payments/").content.decode()
    detail = f"/payments/{payment.reference}/"
    assert f'<a class="payment-original" href="{detail}">Refund of {payment.reference}</a>' in page
    assert f'href="{detail}">Chargeback of {payment.reference}</a>' in page
    assert f'<a class="refunded-of" href="{detail}">refunded $20.00 USD of $50.00 USD</a>' in page
    assert "tx-1" not in page  # the staff note


def test_the_list_reads_the_originals_in_its_own_query_not_one_per_row(
    portal_client, story, django_assert_num_queries
):
    """Review finding: the list read `payment.original.reference` once per follow-up row."""
    from django.test.utils import CaptureQueriesContext

    payment = story[0]
    with CaptureQueriesContext(connection) as two_follow_ups:
        portal_client.get("/payments/")
    for n in range(3):
        refund_create(
            original=payment, total="1.00", reason=f"Credit note {n}", status="completed",
            actor=StaffFactory(staff_role="finance"),
        )  # fmt: skip
    with django_assert_num_queries(len(two_follow_ups)):
        page = portal_client.get("/payments/").content.decode()
    assert page.count(f"Refund of {payment.reference}</a>") == 4


def test_the_payment_page_tells_the_story(portal_client, story):
    payment, refund, chargeback = story
    page = portal_client.get(f"/payments/{payment.reference}/").content.decode()
    # Under its "Refunded" label, the amount without the word again.
    assert '<dt>Refunded</dt><dd class="refunded-of">$20.00 USD of $50.00 USD</dd>' in page
    assert f'href="/payments/{refund.reference}/">{refund.reference}</a>' in page
    assert f'href="/payments/{chargeback.reference}/">{chargeback.reference}</a>' in page
    refund_page = portal_client.get(f"/payments/{refund.reference.lower()}/").content.decode()
    assert f'Refund of <a href="/payments/{payment.reference}/">{payment.reference}</a>' in (
        refund_page
    )
    assert "-$20.00 USD" in refund_page and "tx-1" not in refund_page


def test_another_customer_s_payment_is_not_found(portal_client, story):
    other = payment_create(customer=CustomerFactory(), total="5", description="Theirs")
    assert portal_client.get(f"/payments/{other.reference}/").status_code == 404
    assert portal_client.get("/payments/NOT-A-REF/").status_code == 404


def test_a_view_only_user_without_view_payments_is_refused(client, story, portal_user):
    from tests.factories import PortalUserFactory

    payment = story[0]
    user = PortalUserFactory(customer=portal_user.customer, can_view_payments=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/payments/{payment.reference}/").status_code == 403


def test_the_csv_has_the_relation_and_the_original(portal_client, story):
    payment, refund, chargeback = story
    response = portal_client.get("/payments/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0][-2:] == ["Relation", "Original reference"]
    by_reference = {row[1]: row for row in table[1:]}
    assert by_reference[refund.reference][-2:] == ["Refund", payment.reference]
    assert by_reference[chargeback.reference][-2:] == ["Chargeback", payment.reference]
    assert by_reference[payment.reference][-2:] == ["", ""]
    assert Payment.objects.filter(original=payment).count() == 2


def test_a_reversal_and_a_late_payment_read_as_for_and_nothing_is_called_a_purchase(
    portal_client, story
):
    """Found trying the demo: "Chargeback reversed of PD-…", and a screen reader heard every
    refund and chargeback called a "(purchase)"."""
    payment, refund, chargeback = story
    reversal = dispute_apply(
        original=payment, gateway="card", dispute_id="dp_1", stage="won",
        account_total=Decimal("10.00"),
    ).posted  # fmt: skip
    page = portal_client.get("/payments/").content.decode()
    detail = f"/payments/{payment.reference}/"
    assert f'href="{detail}">Chargeback reversed for {payment.reference}</a>' in page
    assert "reversed of" not in page
    assert '<span class="visually-hidden"> (refund)</span>' in page
    assert '<span class="visually-hidden"> (chargeback)</span>' in page
    assert "(purchase)" not in page  # the story has no purchase
    reversal_page = portal_client.get(f"/payments/{reversal.reference}/").content.decode()
    assert f'Chargeback reversed for <a href="{detail}">{payment.reference}</a>' in reversal_page


def test_a_payment_only_charged_back_does_not_say_refunded_nothing(portal_client, portal_user):
    """Found trying the demo: a card payment lost to a dispute said "refunded $0.00 USD of
    $40.00 USD" above the chargeback that took it all."""
    payment = card_payment(portal_user.customer, total="40.00")
    chargeback = dispute_apply(
        original=payment, gateway="card", dispute_id="dp_9", stage="lost",
        account_total=Decimal("40.00"),
    ).posted  # fmt: skip
    page = portal_client.get(f"/payments/{payment.reference}/").content.decode()
    assert "refunded $0.00" not in page and "Refunded" not in page
    assert f'href="/payments/{chargeback.reference}/">{chargeback.reference}</a>' in page
    assert "-$40.00 USD" in page


def test_what_followed_is_labelled_for_phones(portal_client, story):
    """On a phone the table stacks into cards whose labels come from data-label (as on the
    Payments list); without them the demo showed bare dates, words and amounts."""
    payment, refund, chargeback = story
    page = portal_client.get(f"/payments/{payment.reference}/").content.decode()
    for label in ("Date / Time", "What", "Payment", "Total", "Status"):
        assert page.count(f'data-label="{label}"') == 2, label  # the refund and the chargeback


@pytest.mark.parametrize(
    ("gateway", "reason", "stored", "shown"),
    [
        # A reason passed as Stripe's code (as its parser did before its words): stored with its
        # underscores as spaces, read in Stripe's words.
        (
            "card",
            "product_not_received",
            "product not received",
            "the cardholder says they did not receive what they paid for",
        ),
        (
            "card",
            "fraudulent",
            "fraudulent",
            "the cardholder says they did not authorise the payment",
        ),
        (
            "paypal",
            "MERCHANDISE_OR_SERVICE_NOT_RECEIVED (PayPal case PP-D-7)",
            "merchandise or service not received (PayPal case PP-D-7)",
            "merchandise or service not received (PayPal case PP-D-7)",  # a card payment's
        ),
    ],
)
def test_a_chargeback_row_gives_the_gateway_s_reason_in_words(
    portal_client, portal_user, gateway, reason, stored, shown
):
    """The customer's chargeback row read "Chargeback of …: product_not_received", the
    gateway's code as it came; then "…: fraudulent", an accusation, on rows stored before the
    gateway's words, which are final and never edited: they read in words where shown."""
    payment = card_payment(portal_user.customer, total="40.00")
    chargeback = dispute_apply(
        original=payment, gateway=gateway, dispute_id="dp_7", stage="lost", reason=reason,
        account_total=Decimal("40.00"),
    ).posted  # fmt: skip
    assert chargeback.description == f"Chargeback of {payment.reference}: {stored}"
    assert "_" not in chargeback.description
    page = portal_client.get("/payments/").content.decode()
    assert f"Chargeback of {payment.reference}: {escape(shown)}" in page
    detail = portal_client.get(f"/payments/{chargeback.reference}/").content.decode()
    assert f"<dd>Chargeback of {payment.reference}: {escape(shown)}</dd>" in detail


def test_a_chargeback_s_status_page_says_what_it_took_as_the_payments_page_does(
    portal_client, story
):
    """The review's finding: a chargeback's status page said "Credited -$10.00 USD" and "-$10.00
    USD was credited to your account". It takes money back: the Payments page's Total (negative)
    and what it follows, and a sentence that says the money was taken."""
    payment, refund, chargeback = story
    page = portal_client.get(f"/pay/status/{chargeback.reference}/").content.decode()
    assert "Credited" not in page and "credited" not in page
    assert f"Chargeback of {payment.reference}: $10.00 USD was taken from your account." in page
    assert '<dt>Total</dt><dd class="amount-negative" data-total>-$10.00 USD</dd>' in page
    assert (
        f'<dt>Chargeback of</dt><dd><a href="/payments/{payment.reference}/">'
        f"{payment.reference}</a></dd>"
    ) in page
    listed = portal_client.get("/payments/").content.decode()
    assert "-$10.00 USD" in listed  # the same sign as the list


def test_a_top_up_s_status_page_still_says_credited(portal_client, story):
    payment = story[0]
    page = portal_client.get(f"/pay/status/{payment.reference}/").content.decode()
    assert "$50.00 USD was credited to your account." in page
    assert "<dt>Credited</dt>" in page and "taken from" not in page
