"""Issue 19's "done when", in a browser: an Administrator takes a customer's payments CSV (the
demo's Acme Telecom, a year of payments), uploads it with a customer map on the import page,
reads the preview, imports, and the new customer has the same balance and running balances.
axe-core finds no critical or serious violation on the form, the preview or the list."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from paydesk.accounts.models import Customer
from paydesk.exports import payments_csv_response
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import DEFAULT_PAYMENT_SORT, balance_drifts
from tests.axe import assert_accessible
from tests.backoffice.browser import open_page, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
URL = "/backoffice/imports/importedpayment/import/"


def running(customer: Customer) -> list[tuple]:
    return list(
        Payment.objects.filter(customer=customer, status="completed")
        .order_by("occurred_at", "id")
        .values_list("total", "balance_after", "description")
    )


def test_an_administrator_moves_a_customer_with_the_import_page(
    live_server, chromium, demo, tmp_path
):
    acme = Customer.objects.get(name="Acme Telecom")
    response = payments_csv_response(
        queryset=Payment.objects.filter(customer=acme),
        sort=DEFAULT_PAYMENT_SORT,
        time_zone=ZoneInfo("America/New_York"),
        filename="acme.csv",
        currency=acme.currency,
    )
    export = tmp_path / "acme-payments.csv"
    export.write_bytes(b"".join(response.streaming_content))
    mapping = tmp_path / "map.csv"
    mapping.write_text("external_id,name,currency\n,Acme Telecom (moved),USD\n")

    page = staff_page(chromium, live_server, "admin@example.com")
    open_page(page, URL, "import-form")
    assert_accessible(page, "the import form")
    page.set_input_files("#id_payments_file", str(export))
    page.select_option("#id_file_format", "paydesk")
    page.set_input_files("#id_customer_map", str(mapping))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Acme Telecom (moved) (new, USD)").count() >= 1
    assert page.get_by_text("0 line(s) refused").count() == 1
    assert_accessible(page, "the import preview")

    page.get_by_role("button", name="Import").first.click()
    page.wait_for_load_state("load")
    assert page.get_by_text("skipped 0 already imported; refused 0.").count() == 1
    assert_accessible(page, "the imported payments list")

    moved = Customer.objects.get(name="Acme Telecom (moved)")
    acme.refresh_from_db()
    assert moved.balance == acme.balance
    assert running(moved) == running(acme)
    assert balance_drifts() == []
