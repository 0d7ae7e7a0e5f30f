"""The Payments page told as a customer sees it: balance, badges, times, filters, flags."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from paydesk.accounts.models import PortalDefaults
from paydesk.ledger.services import payment_cancel, payment_create
from tests.factories import PortalUserFactory
from tests.portal.conftest import MODEL_BACKEND, at

pytestmark = pytest.mark.django_db
PAYMENTS = reverse("portal:payments")


def rows(response) -> list[str]:
    """The table's body rows as plain text, whitespace collapsed, top to bottom."""
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    cells = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


@pytest.fixture
def statement(customer):
    """Tops up 50, buys a DID for 10, a bank transfer of 20 is pending, one of 5 was cancelled."""
    payment_create(
        customer=customer,
        total="50",
        description="PayPal 8787 #payment from the demo",
        method="paypal",
        at=at(0),
    )
    payment_create(customer=customer, total="-10", description="DID rental +1 555 0100", at=at(60))
    payment_create(
        customer=customer,
        total="20",
        description="Bank transfer",
        method="bank_transfer",
        status="pending",
        at=at(120),
    )
    cancelled = payment_create(
        customer=customer,
        total="5",
        description="Card top-up",
        method="card",
        status="pending",
        at=at(180),
    )
    payment_cancel(payment=cancelled, reason="Card declined", at=at(190))
    customer.refresh_from_db()
    return customer


def test_tops_up_50_buys_a_did_for_10_and_sees_balance_40(portal_client, statement):
    response = portal_client.get(PAYMENTS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "$40.00 USD" in html  # the balance
    assert "Available credit" not in html  # prepaid: debit limit 0
    assert rows(response) == [
        "March 1, 2026, 12:30 p.m. UTC created $5.00 USD Cancelled Card top-up "
        + cancelled_reference(statement)
        + " —",
        "March 1, 2026, 11:30 a.m. UTC created $20.00 USD Pending Bank transfer "
        + reference(statement, "Bank transfer")
        + " —",
        "March 1, 2026, 10:30 a.m. UTC -$10.00 USD (purchase) Completed DID rental +1 555 0100 "
        + reference(statement, "DID rental +1 555 0100")
        + " $40.00 USD",
        "March 1, 2026, 9:30 a.m. UTC $50.00 USD Completed PayPal 8787 "
        + reference(statement, "PayPal 8787")
        + " $50.00 USD",
    ]
    assert 'class="badge badge-pending">Pending' in html
    assert 'class="badge badge-completed">Completed' in html
    assert 'class="badge badge-cancelled">Cancelled' in html


def test_each_rows_reference_opens_its_page_and_a_pending_transfer_its_bank_details(
    portal_client, statement
):
    """Receipts are on a payment's page: every row's reference leads there, completed or not,
    card, PayPal or purchase. A pending bank transfer's leads to its bank details and cancel,
    and its page links to them too."""
    html = portal_client.get(PAYMENTS + "?attempts=on").content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    links = dict(
        (ref, href)
        for href, ref in re.findall(r'<a class="reference" href="([^"]+)"[^>]*>([^<]+)</a>', body)
    )
    for description in ("PayPal 8787", "DID rental +1 555 0100", "Card top-up"):
        ref = reference(statement, description)
        assert links[ref] == reverse("portal:payment_detail", args=[ref])
    transfer = reference(statement, "Bank transfer")
    assert links[transfer] == reverse("banktransfers:detail", args=[transfer])
    assert len(links) == 4
    detail = portal_client.get(reverse("portal:payment_detail", args=[transfer])).content.decode()
    assert f'href="{reverse("banktransfers:detail", args=[transfer])}"' in detail
    assert "Bank details, proof of payment, cancel" in detail
    paid = reference(statement, "PayPal 8787")
    page = portal_client.get(reverse("portal:payment_detail", args=[paid])).content.decode()
    assert reverse("banktransfers:detail", args=[paid]) not in page


def reference(customer, description: str) -> str:
    return customer.payments.get(description=description).reference


def cancelled_reference(customer) -> str:
    return reference(customer, "Card top-up")


def test_staff_comment_is_never_on_the_page_nor_in_the_csv(portal_client, statement):
    page = portal_client.get(PAYMENTS).content.decode()
    csv_text = b"".join(portal_client.get(reverse("portal:payments_csv")).streaming_content)
    for text in (page, csv_text.decode("utf-8-sig")):
        assert "PayPal 8787" in text
        assert "payment from the demo" not in text
        assert "#" not in text.split("PayPal 8787", 1)[1][:5]


def test_available_credit_is_shown_when_there_is_a_debit_limit(portal_client, statement):
    statement.debit_limit = Decimal("100")
    statement.save(update_fields=["debit_limit"])
    html = portal_client.get(PAYMENTS).content.decode()
    assert "Available credit" in html
    assert "$140.00 USD" in html
    # where the figure comes from, so that it does not read as money the customer has
    assert "Your balance plus your debit limit of $100.00 USD" in html


def test_a_negative_balance_is_shown_with_its_sign(portal_client, customer):
    payment_create(customer=customer, total="-12.5", description="Setup fee", allow_overdraft=True)
    html = portal_client.get(PAYMENTS).content.decode()
    assert "-$12.50 USD" in html


def test_a_sub_cent_purchase_and_the_balances_read_as_the_csv_and_the_api(
    portal_client, portal_user, customer
):
    """A finance review's page: -10.6978 read -$10.70 and the Balance column did not add up
    ($1,676.00, then $1,665.31); the balance read $2,603.99 against the API's 2603.9855."""
    payment_create(customer=customer, total="1676", description="Wire", at=at(0))
    payment_create(customer=customer, total="-10.6978", description="Voice traffic", at=at(60))
    payment_create(customer=customer, total="938.6833", description="Card top-up", at=at(120))
    response = portal_client.get(PAYMENTS)
    html = response.content.decode()
    balance = re.search(r'<dl class="balance">(.*?)</dl>', html, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", " ", balance).split()) == "Balance $2,603.9855 USD"
    assert rows(response) == [
        "March 1, 2026, 11:30 a.m. UTC $938.6833 USD Completed Card top-up "
        + reference(customer, "Card top-up")
        + " $2,603.9855 USD",
        "March 1, 2026, 10:30 a.m. UTC -$10.6978 USD (purchase) Completed Voice traffic "
        + reference(customer, "Voice traffic")
        + " $1,665.3022 USD",
        "March 1, 2026, 9:30 a.m. UTC $1,676.00 USD Completed Wire "
        + reference(customer, "Wire")
        + " $1,676.00 USD",
    ]
    csv_text = b"".join(portal_client.get(reverse("portal:payments_csv")).streaming_content)
    assert "-10.6978" in csv_text.decode("utf-8-sig")
    api = portal_client.get("/api/v1/balance").json()
    assert api["balance"]["amount"] == "2603.9855"


def test_choosing_a_time_zone_changes_the_times_shown(portal_client, portal_user, statement):
    response = portal_client.post(
        reverse("portal:set_time_zone"), {"time_zone": "Asia/Kolkata", "next": PAYMENTS}
    )
    assert response.status_code == 302
    assert response["Location"] == PAYMENTS
    portal_user.refresh_from_db()
    assert portal_user.time_zone == "Asia/Kolkata"
    first = rows(portal_client.get(PAYMENTS))[-1]
    assert first.startswith("March 1, 2026, 3:00 p.m. IST")  # 09:30 UTC = 15:00 in India
    # Back to the provider's time zone (UTC in tests).
    portal_client.post(reverse("portal:set_time_zone"), {"time_zone": "", "next": PAYMENTS})
    assert rows(portal_client.get(PAYMENTS))[-1].startswith("March 1, 2026, 9:30 a.m. UTC")


def test_an_unknown_time_zone_is_refused_with_a_message(portal_client, portal_user):
    response = portal_client.post(
        reverse("portal:set_time_zone"),
        {"time_zone": "Mars/Olympus", "next": PAYMENTS},
        follow=True,
    )
    assert response.status_code == 200
    assert "That time zone is not known" in response.content.decode()
    portal_user.refresh_from_db()
    assert portal_user.time_zone == ""


def test_time_zone_redirect_never_leaves_the_site(portal_client):
    response = portal_client.post(
        reverse("portal:set_time_zone"), {"time_zone": "UTC", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("portal:dashboard")


def test_the_time_zone_picker_needs_a_csrf_token(portal_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user, backend=MODEL_BACKEND)
    response = client.post(reverse("portal:set_time_zone"), {"time_zone": "UTC"})
    assert response.status_code == 403


def test_date_range_is_inclusive_in_the_users_time_zone(portal_client, portal_user, customer):
    # 23:30 UTC on March 1 is already March 2 in Berlin (UTC+1).
    payment_create(customer=customer, total="3", description="Morning top-up", at=at(0))
    payment_create(customer=customer, total="7", description="Late top-up", at=at(14 * 60))
    only_march_2 = {"date_from": "2026-03-02", "date_to": "2026-03-02"}
    assert [r.split(" USD ")[1] for r in rows(portal_client.get(PAYMENTS, only_march_2))] == []
    portal_user.time_zone = "Europe/Berlin"
    portal_user.save(update_fields=["time_zone"])
    found = rows(portal_client.get(PAYMENTS, only_march_2))
    assert len(found) == 1 and "Late top-up" in found[0]
    found = rows(portal_client.get(PAYMENTS, {"date_from": "2026-03-01", "date_to": "2026-03-01"}))
    assert len(found) == 1 and "Morning top-up" in found[0]


def test_filters_by_status_method_and_description(portal_client, statement):
    def descriptions(**params: str) -> list[str]:
        return rows(portal_client.get(PAYMENTS, params))

    assert len(descriptions(status="pending")) == 1
    assert "Bank transfer" in descriptions(status="pending")[0]
    assert len(descriptions(method="paypal")) == 1
    assert "PayPal 8787" in descriptions(method="paypal")[0]
    found = descriptions(q="did rental")
    assert len(found) == 1 and "DID rental" in found[0]
    # The private comment is not searchable by the customer.
    assert descriptions(q="from the demo") == []


def test_sorting_by_total(portal_client, statement):
    totals = [
        r.split(" created ")[-1].split(" USD")[0].split(" ")[-1]
        for r in rows(portal_client.get(PAYMENTS, {"sort": "-total"}))
    ]
    assert totals == ["$50.00", "$20.00", "$5.00", "-$10.00"]
    totals = [
        r.split(" created ")[-1].split(" USD")[0].split(" ")[-1]
        for r in rows(portal_client.get(PAYMENTS, {"sort": "total"}))
    ]
    assert totals == ["-$10.00", "$5.00", "$20.00", "$50.00"]


@pytest.mark.parametrize(
    "params, field, listed",
    [
        ({"date_from": "not-a-date"}, "date_from", 4),
        ({"date_to": "2026-13-45"}, "date_to", 4),
        # The end date is dropped; the start date (after every payment here) still applies.
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", 0),
        ({"date_from": "0001-01-01"}, "date_from", 4),
        ({"status": "refunded"}, "status", 4),
        ({"method": "cash'; DROP TABLE"}, "method", 4),
        ({"sort": "reference"}, "sort", 4),
        ({"q": "x" * 500}, "q", 4),
    ],
)
def test_invalid_filters_get_a_message_next_to_the_field(
    portal_client, statement, params, field, listed
):
    response = portal_client.get(PAYMENTS, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'aria-invalid="true"' in html
    # The invalid filter is left out: the page still lists what the valid ones select.
    assert len(rows(response)) == listed


def test_a_filter_left_out_is_named_above_the_list(portal_client, statement):
    """A bad date showed "(filtered)" and a message by its field, folded away in the filters
    box on a phone: nothing near the list said which filter it did not use."""
    html = portal_client.get(PAYMENTS, {"date_to": "2026-13-45", "q": "DID"}).content.decode()
    assert "These filters are not applied (the list uses the others):" in html
    assert "<li>To: Enter a valid date.</li>" in html
    assert "not applied" not in portal_client.get(PAYMENTS, {"q": "DID"}).content.decode()


def test_csv_link_carries_the_filters(portal_client, statement):
    html = portal_client.get(PAYMENTS, {"status": "completed", "q": "top", "after": "x"}).content
    assert b'href="/payments/export.csv?status=completed&amp;q=top"' in html


def test_show_payments_off_hides_the_list(portal_client, statement):
    statement.show_payments = False
    statement.save(update_fields=["show_payments"])
    response = portal_client.get(PAYMENTS)
    assert response.status_code == 200
    assert "The payments list is not available" in response.content.decode()
    assert rows(response) == []
    assert portal_client.get(reverse("portal:payments_csv")).status_code == 403


def test_provider_default_can_hide_payments_and_a_customer_can_override_it(
    portal_client, statement
):
    PortalDefaults.objects.create(show_payments=False)
    assert rows(portal_client.get(PAYMENTS)) == []
    statement.show_payments = True
    statement.save(update_fields=["show_payments"])
    assert len(rows(portal_client.get(PAYMENTS))) == 4


def test_show_pending_bank_payments_off_hides_pending_bank_transfers(portal_client, statement):
    statement.show_pending_bank_payments = False
    statement.save(update_fields=["show_pending_bank_payments"])
    found = rows(portal_client.get(PAYMENTS))
    assert len(found) == 3
    assert not any("Bank transfer" in row for row in found)
    csv_text = b"".join(portal_client.get(reverse("portal:payments_csv")).streaming_content)
    assert b"Bank transfer" not in csv_text


def test_show_balance_off_hides_balance_statement_and_running_balance(portal_client, statement):
    statement.show_balance = False
    statement.save(update_fields=["show_balance"])
    html = portal_client.get(PAYMENTS).content.decode()
    assert "$40.00 USD" not in html
    assert "Statement" not in html
    assert len(rows(portal_client.get(PAYMENTS))) == 4
    dashboard = portal_client.get(reverse("portal:dashboard")).content.decode()
    assert "$40.00 USD" not in dashboard


def test_statement_opening_and_closing_balance_of_a_period(portal_client, customer):
    payment_create(customer=customer, total="100", description="Feb top-up", at=at(0, days=-10))
    payment_create(customer=customer, total="-30", description="March DID", at=at(0))
    payment_create(customer=customer, total="-20", description="March package", at=at(0, days=3))
    payment_create(customer=customer, total="40", description="April top-up", at=at(0, days=40))
    response = portal_client.get(
        PAYMENTS, {"date_from": "2026-03-01", "date_to": "2026-03-31", "q": "DID"}
    )
    html = response.content.decode()
    figures = re.search(r'<dl class="statement-figures">(.*?)</dl>', html, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", figures).split())
    # Account balance over March, whatever the text filter: 100 before, 100 - 30 - 20 after.
    assert text == (
        "Opening balance (March 1, 2026) $100.00 USD Closing balance (end of period) $50.00 USD"
    )
    assert len(rows(response)) == 1
    assert '<svg class="chart"' in html and "<title" in html
    assert "Opening balance $100.00 USD, closing balance $50.00 USD, lowest " in html


def test_dashboard_shows_the_balance_and_links_to_payments(portal_client, statement):
    html = portal_client.get(reverse("portal:dashboard")).content.decode()
    assert "$40.00 USD" in html
    assert f'href="{PAYMENTS}"' in html


def test_another_customers_user_sees_none_of_these_payments(client, statement):
    stranger = PortalUserFactory()
    client.force_login(stranger, backend=MODEL_BACKEND)
    response = client.get(PAYMENTS)
    assert rows(response) == []
    assert "PayPal 8787" not in response.content.decode()
    csv_text = b"".join(client.get(reverse("portal:payments_csv")).streaming_content)
    assert csv_text.decode("utf-8-sig").count("\n") == 1  # the header only


def test_every_time_is_written_with_its_minutes(portal_client, customer):
    """Django's English wrote "2 a.m." under "12:05 a.m." in the same column, and "noon" for a
    payment at 12:00 (paydesk/formats/en)."""
    from datetime import UTC, datetime

    for hour, minute in ((0, 0), (0, 5), (2, 0), (12, 0)):  # forward in time, as postings go
        payment_create(
            customer=customer,
            total="1",
            description=f"At {hour:02}:{minute:02}",
            at=datetime(2026, 3, 2, hour, minute, tzinfo=UTC),
        )
    shown = [row.split(" UTC")[0] for row in rows(portal_client.get(PAYMENTS))]
    assert shown == [
        "March 2, 2026, 12:00 p.m.",
        "March 2, 2026, 2:00 a.m.",
        "March 2, 2026, 12:05 a.m.",
        "March 2, 2026, 12:00 a.m.",
    ]


def test_a_staff_entry_reads_as_an_account_charge_or_credit_not_manual_entry(
    portal_client, customer
):
    """Usage the provider posts ("Voice termination", "DID rental") and a credit staff entered
    are `manual` payments: the customer reads what they did to the account."""
    charge = payment_create(
        customer=customer, total="-2.5", description="Voice termination", allow_overdraft=True
    )
    credit = payment_create(customer=customer, total="5", description="Goodwill credit")
    paid = payment_create(customer=customer, total="7", description="PayPal 1", method="paypal")
    for payment, method in (
        (charge, "Account charge"),
        (credit, "Account credit"),
        (paid, "PayPal"),
    ):
        html = portal_client.get(reverse("portal:payment_detail", args=[payment.reference]))
        assert f"<dd data-method>{method}</dd>" in html.content.decode()
        assert "Manual entry" not in html.content.decode()
    filters = portal_client.get(PAYMENTS).content.decode()
    assert '<option value="manual">Account charge or credit</option>' in filters
    assert "Manual entry" not in filters
    only = rows(portal_client.get(PAYMENTS, {"method": "manual"}))
    assert [row.split(" USD ")[0].split(" UTC ")[1] for row in only] == ["$5.00", "-$2.50"]
