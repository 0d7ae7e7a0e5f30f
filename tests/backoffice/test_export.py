"""The staff CSV: the changelist's rows, every customer, the staff comment, spreadsheet-safe."""

from __future__ import annotations

import csv
import io

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.ledger.services import payment_create
from tests.backoffice.conftest import PAYMENTS
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EXPORT = PAYMENTS + "export.csv"


def rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_the_changelist_links_to_the_csv_with_its_filters(support):
    page = support.get(PAYMENTS + "?status__exact=pending").content.decode()
    assert EXPORT + "?status__exact=pending" in page


def test_all_customers_newest_first_with_the_staff_comment(support, support_user, customer):
    euro = CustomerFactory(name="Zürich Telekom", currency="EUR")
    payment_create(customer=customer, total="10", description="Top-up #wired by Ann")
    payment_create(customer=euro, total="-0.0125", description="Calls", allow_overdraft=True)
    table = rows(support.get(EXPORT))
    assert table[0] == [
        "Date / Time",
        "Reference",
        "Customer",
        "Total",
        "Currency",
        "Status",
        "Method",
        "Description",
        "Staff comment",
        "Relation",
        "Original reference",
    ]
    assert [r[2:] for r in table[1:]] == [
        ["Zürich Telekom", "-0.0125", "EUR", "Completed", "Manual entry", "Calls", "", "", ""],
        [customer.name, "10.00", "USD", "Completed", "Manual entry", "Top-up", "wired by Ann",
         "", ""],
    ]  # fmt: skip
    assert AuditEntry.objects.get(action="payment.export").actor == support_user


def test_the_csv_follows_the_changelist_filters_and_search(support, customer):
    payment_create(customer=customer, total="10", description="Bank top-up")
    payment_create(customer=customer, total="20", description="Card top-up", status="pending")
    payment_create(customer=customer, total="30", description="Bank again", status="pending")
    table = rows(support.get(EXPORT + "?status__exact=pending&q=bank"))
    assert [r[3] for r in table[1:]] == ["30.00"]
    assert len(rows(support.get(EXPORT + f"?customer={customer.pk}"))) == 4


@pytest.mark.parametrize("risky", ["=SUM(A1:A9)", "+1 555", "-2 refund", "@cmd"])
def test_formula_like_text_is_neutralised_and_totals_stay_numbers(support, customer, risky):
    payment_create(
        customer=customer, total="-10", description=f"{risky} #{risky}", allow_overdraft=True
    )
    table = rows(support.get(EXPORT))
    row = table[1]
    assert row[3] == "-10.00"  # a number, untouched
    assert row[7] == "'" + risky
    assert row[8] == "'" + risky


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "\tTabbed Ltd", "\rReturn Ltd"])
def test_a_risky_customer_name_is_neutralised(support, name):
    # Descriptions are stripped by the ledger; a name (set by an Administrator) is not.
    shady = CustomerFactory(name=name, currency="USD")
    payment_create(customer=shady, total="1", description="Top-up")
    assert rows(support.get(EXPORT))[1][2] == "'" + name


def test_portal_users_cannot_download_it(portal_user):
    from tests.backoffice.conftest import signed_in

    response = signed_in(portal_user).get(EXPORT)
    assert response.status_code == 302
