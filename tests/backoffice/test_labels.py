"""Issue 13, finding 11, as the server renders it: the sign-in has a heading, search boxes a
real label, the customer's contact fields a name."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from paydesk.backoffice.site import backoffice_site
from tests.backoffice.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_back_office_sign_in_has_an_h1():
    html = Client().get("/backoffice/login/").content.decode()
    assert re.search(r"<h1>Sign in to the back office</h1>", html)


def test_a_search_box_has_a_label_with_text(finance_user):
    html = signed_in(finance_user).get("/backoffice/ledger/payment/").content.decode()
    assert re.search(r'<label for="searchbar"[^>]*>.*Search payments</label>', html)


def test_every_search_box_says_in_words_what_it_searches(admin_user):
    """The words are put into the label of Django's own search box by a filter over its output
    (backoffice_lists.search_says_what): had Django's markup changed so that the filter no
    longer found the label, each box would be back to an icon whose text is "Search"."""
    client = signed_in(admin_user)
    boxes = 0
    for model in backoffice_site._registry:
        opts = model._meta
        answer = client.get(reverse(f"backoffice:{opts.app_label}_{opts.model_name}_changelist"))
        html = answer.content.decode()
        if answer.status_code != 200 or 'id="searchbar"' not in html:
            continue
        boxes += 1
        labels = re.findall(r'<label for="searchbar"[^>]*>(.*?)</label>', html, re.S)
        assert len(labels) == 1, opts
        assert strip_tags(labels[0]).strip() == f"Search {opts.verbose_name_plural}"
        assert re.findall(r'alt="([^"]*)"', labels[0]) == [""]  # the icon, now decoration
    assert boxes >= 10


def test_the_customer_contact_fields_are_named(admin_user, customer):
    html = (
        signed_in(admin_user)
        .get(f"/backoffice/accounts/customer/{customer.pk}/change/")
        .content.decode()
    )
    assert 'aria-label="Confirmation contact email"' in html


def test_the_relation_filter_names_a_payment_of_its_own_in_words(finance_user):
    """The payments' "By relation" filter offered a bare "—" for payments that follow from no
    other one."""
    html = signed_in(finance_user).get("/backoffice/ledger/payment/").content.decode()
    assert re.search(r'href="\?relation__exact=">None \(a payment of its own\)</a>', html)
    assert 'href="?relation__exact=">—</a>' not in html


def test_a_payments_page_says_needs_attention_and_its_gateway_in_words(finance_user, customer):
    """The payment page showed a red cross icon for "does not need attention", the gateway's
    code ("bank_transfer") and "None" for no fee."""
    from paydesk.ledger.services import payment_create

    payment = payment_create(
        customer=customer, total="25", description="Bank transfer", status="pending",
        method="bank_transfer", gateway="bank_transfer",
    )  # fmt: skip
    from paydesk.checkout.models import PaymentLogEntry

    PaymentLogEntry.objects.create(
        gateway="bank_transfer", direction="received", channel="webhook", event_id="evt_1",
        payment=payment, outcome="ok", result="applied",
    )  # fmt: skip
    html = (
        signed_in(finance_user)
        .get(f"/backoffice/ledger/payment/{payment.pk}/change/")
        .content.decode()
    )
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', html, re.S)
    assert "No" in readonly and "Bank Transfer" in readonly
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td><td>Received · Webhook</td>", html)
    assert "+00:00" not in html
    assert "bank_transfer" not in readonly and "None" not in readonly
    assert "icon-no" not in html and "icon-yes" not in html


def test_read_only_pages_say_yes_and_no_in_words_and_amounts_as_money(support_user):
    """A payment method's page, read by Support, showed a green tick and a red cross (whose only
    text was "True"/"False") and its surcharge as "0.0000"."""
    from paydesk.checkout.models import MethodConfig

    config = MethodConfig.objects.get(method="bank_transfer")
    html = (
        signed_in(support_user)
        .get(f"/backoffice/checkout/methodconfig/{config.pk}/change/")
        .content.decode()
    )
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', html, re.S)
    assert "icon-yes" not in html.split('id="content"')[-1]
    assert "icon-no" not in html.split('id="content"')[-1]
    assert {"Yes", "No"} <= set(readonly)  # enabled, deduct gateway fee
    assert ".0000" not in html
    assert "0 %" in readonly


def test_a_payments_page_shows_its_times_as_the_list_does_and_names_what_it_refunds(
    finance_user, customer
):
    """A payment's page wrote its history in the admin's "Nov. 26, 2026, 5 a.m." beside the
    list's "2026-11-26 05:00", and a refund's linked payment as "Refund for X" where its Refunds
    line (and the portal) say "Refund of X"."""
    from datetime import UTC, datetime

    from paydesk.ledger.refunds import refund_create
    from paydesk.ledger.services import payment_create

    at = datetime(2026, 11, 26, 5, 0, 12, tzinfo=UTC)
    topup = payment_create(customer=customer, total="50", description="Top-up", at=at)
    refund = refund_create(original=topup, total="20", reason="Sent twice", actor=finance_user)
    client = signed_in(finance_user)
    html = client.get(f"/backoffice/ledger/payment/{topup.pk}/change/").content.decode()
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', html, re.S)
    assert readonly.count("2026-11-26 05:00") == 3  # created, occurred, completed
    assert "Nov. 26, 2026" not in html and "a.m." not in html

    html = client.get(f"/backoffice/ledger/payment/{refund.pk}/change/").content.decode()
    assert "Refund of <a href=" in html and "Refund for" not in html
    assert html.count(f">{topup.reference}</a>") == 2  # linked payments and the refunds line


def test_a_lists_yes_no_icons_say_yes_and_no(finance_user):
    """The payment methods' list drew Enabled and Gateway ready as ticks whose text (alt) was
    "True": a screen reader read "True"."""
    html = signed_in(finance_user).get("/backoffice/checkout/methodconfig/").content.decode()
    assert re.search(r'<img src="[^"]*icon-yes[^"]*" alt="Yes">', html)
    assert 'alt="True"' not in html and 'alt="False"' not in html


def test_a_payments_page_marks_every_empty_field_the_same_way(finance_user, customer):
    """ "Cancelled at: —" stood above "Cancelled by: -" (the admin's own mark for an empty
    field) on one page."""
    from paydesk.ledger.services import payment_create

    payment = payment_create(customer=customer, total="5", description="Top-up")
    html = signed_in(finance_user).get(f"/backoffice/ledger/payment/{payment.pk}/change/")
    readonly = re.findall(r'<div class="readonly">(.*?)</div>', html.content.decode(), re.S)
    assert "—" in readonly and "-" not in readonly


def test_the_payment_logs_count_reads_as_entries(finance_user):
    """The list's count read "2 payment log" (the model's plural was "payment log")."""
    from paydesk.checkout.models import PaymentLogEntry

    for event_id in ("evt_1", "evt_2"):
        PaymentLogEntry.objects.create(
            gateway="stripe", event_id=event_id, signature_valid=True, outcome="ok",
            result="applied",
        )  # fmt: skip
    html = signed_in(finance_user).get("/backoffice/checkout/paymentlogentry/").content.decode()
    assert re.search(r"2\s+payment log entries", strip_tags(html))
    assert not re.search(r"2\s+payment log\b(?! entries)", strip_tags(html))


def test_a_payments_log_never_shows_an_id_an_unverified_notification_claimed(
    finance_user, customer
):
    """The payment's page showed every row's raw event id, where the payment log's list says
    "unverified" for a notification whose signature did not verify (rows written before
    Paydesk stopped keeping the id it claims still hold one): the page says what each row is
    in words, and a verified id in a small code that wraps."""
    from paydesk.checkout.models import PaymentLogEntry
    from paydesk.ledger.services import payment_create

    payment = payment_create(
        customer=customer, total="25", description="PayPal", status="pending",
        method="paypal", gateway="paypal",
    )  # fmt: skip
    claimed = "WH-CLAIMED-BY-ANYONE-4711"
    PaymentLogEntry.objects.create(
        gateway="paypal", direction="received", channel="webhook", event_id=claimed,
        payment=payment, signature_valid=False, outcome="", result="refused",
        detail="Signature did not verify.",
    )  # fmt: skip
    PaymentLogEntry.objects.create(
        gateway="paypal", direction="sent", channel="api", event_id="GET /v2/checkout/orders/5O1",
        payment=payment, outcome="ok", http_status=200, result="sent",
    )  # fmt: skip
    client = signed_in(finance_user)
    html = client.get(f"/backoffice/ledger/payment/{payment.pk}/change/").content.decode()
    log = html[html.index('<table class="payment-log">') :]
    log = log[: log.index("</table>")]
    assert claimed not in html
    rows = [
        [strip_tags(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)][1:4]
        for row in re.findall(r"<tr>(.*?)</tr>", log.split("<tbody>")[1], re.S)
    ]
    assert rows == [
        ["Received · Webhook", "unverified", "Refused"],
        ["Sent · API call", "GET /v2/checkout/orders/5O1", "Sent"],
    ]
    assert '<code class="payment-log-event">GET /v2/checkout/orders/5O1</code>' in log
    listed = client.get("/backoffice/checkout/paymentlogentry/").content.decode()
    assert claimed not in listed and "unverified" in listed
