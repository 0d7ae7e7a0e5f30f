"""Issue 13, finding 6 in the browser: a demo transfer completed $1.50 short shows what it
expected and the difference on the back office's pages and the customer's page, with no critical
or serious axe-core violation, and the transfers list still fits 1366 px."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.accounts.models import User
from paydesk.banktransfers.services import transfer_complete
from paydesk.demo.customers import DEMO_LOGINS
from paydesk.ledger.models import Payment
from tests.axe import assert_accessible
from tests.backoffice.browser import DESK, hidden_columns, open_page, staff_page
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _short_paid_transfer() -> Payment:
    finance = User.objects.get(email="finance@example.com")
    acme = User.objects.get(email="customer@example.com").customer
    payment = (
        Payment.objects.filter(
            method="bank_transfer", status="pending", customer=acme, total__lte=900
        )
        .exclude(created_by=finance)
        .order_by("pk")
        .first()
    )
    return transfer_complete(
        payment=payment,
        actor=finance,
        received_amount=payment.total - Decimal("1.50"),
        received_currency="USD",
    )


def test_a_short_transfer_reads_well_everywhere(live_server, chromium, demo):
    done = _short_paid_transfer()
    assert done.status == "completed"
    page = staff_page(chromium, live_server, "admin@example.com")
    open_page(page, f"/backoffice/banktransfers/banktransfer/{done.pk}/change/", "transfer-short")
    assert "-$1.50 USD (less than expected)" in page.locator(".transfer-difference").inner_text()
    assert_accessible(page, "a transfer completed short")
    open_page(page, f"/backoffice/banktransfers/banktransfer/?q={done.reference}")
    assert "-$1.50 USD" in page.locator("#result_list .amount-expected").first.inner_text()
    assert hidden_columns(page, ["Reference", "Total", "Status", "Approval"]) == []
    assert_accessible(page, "the transfers list")

    customer = chromium.new_page(viewport=DESK)
    user = User.objects.get(email="customer@example.com")
    password = next(x.password for x in DEMO_LOGINS if x.email == user.email)
    browser_sign_in(customer, live_server.url, user, path="/accounts/login/", password=password)
    customer.goto(f"{live_server.url}/transfers/{done.reference}/")
    assert "less than expected" in customer.locator(".transfer-difference").inner_text()
    assert_accessible(customer, "the customer's transfer completed short")
