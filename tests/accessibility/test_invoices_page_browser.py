"""axe-core on the Invoices page and a payment's Documents section, at desktop and phone sizes;
an accountant downloads the receipt, the invoice and the credit note in the browser."""

from __future__ import annotations

import pytest

from paydesk.documents.models import Document
from paydesk.ledger.refunds import refund_create
from tests.axe import assert_accessible
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.factories import PortalUserFactory
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.mark.parametrize("size", SIZES)
def test_the_invoices_page_and_downloads(live_server, page, size):
    invoicing_on()
    customer = billed_customer()
    user = PortalUserFactory(customer=customer)
    paid = topup(customer, total="120.00")
    refund = refund_create(original=paid, total="20.00", reason="Unused", status="completed")
    invoice = Document.objects.get(payment=paid)
    note = Document.objects.get(payment=refund)
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    browser_sign_in(page, live_server.url, user, path="/accounts/login/")

    page.goto(f"{live_server.url}/payments/{paid.reference}/")
    assert page.get_by_role("heading", name="Documents").is_visible()
    assert_accessible(page, f"a payment's documents ({size})")
    with page.expect_download() as receipt:
        page.get_by_role("link", name=f"Receipt {paid.reference} (PDF)").click()
    assert receipt.value.suggested_filename == f"receipt-{paid.reference}.pdf"
    assert open(receipt.value.path(), "rb").read(5) == b"%PDF-"

    page.goto(f"{live_server.url}/invoices/")
    assert page.get_by_role("heading", name="Invoices", exact=True).is_visible()
    assert_accessible(page, f"the Invoices page ({size})")
    for doc in (invoice, note):
        with page.expect_download() as download:
            page.get_by_role("link", name=f"Download {doc.code}").click()
        assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    # A document number and a payment reference are one piece each: never cut over two lines.
    pieces = "td[data-label=Number], td[data-label=Payment], td[data-label=Corrects]"
    lines = page.locator(pieces).evaluate_all(
        """els => els.map(el => {
            const range = document.createRange(); range.selectNodeContents(el);
            const line = parseFloat(getComputedStyle(el).lineHeight);
            return range.getBoundingClientRect().height / line;
        })"""
    )
    assert lines and max(lines) < 1.5, f"a number or reference wraps ({size}): {lines}"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    # Nor does the list scroll sideways in its own box: every column shows at 1366 px.
    box = page.locator(".table-scroll")
    assert box.evaluate("el => el.scrollWidth <= el.clientWidth"), f"the list scrolls ({size})"
    page.get_by_label("From").fill("2026-02-01")
    page.get_by_label("To").fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.get_by_text("The end date is before the start date.").is_visible()
    assert_accessible(page, f"the Invoices page with a field error ({size})")
