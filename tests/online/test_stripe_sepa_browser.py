"""SEPA Direct Debit in a real browser (issue 14): save a mandate (the IBAN typed into the
processor's frame, the mandate text shown before saving), pay with it in one click, see the
payment pending and why, settle the debit on the sandbox's switches page, see it completed."""

from __future__ import annotations

import re

import pytest

from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.methods.models import MethodSetup
from tests.online.conftest import sign_in
from tests.online.stripe_support import IBAN
from tests.signin import sandbox_staff_tab

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
STATUS_URL = re.compile(r".*/pay/status/[A-Z0-9-]+/$")


def save_sepa_in_browser(page, sandbox) -> None:
    """Payment methods → Add a SEPA Direct Debit mandate → the IBAN in the processor's frame."""
    page.goto(f"{sandbox.url}/billing/methods/")
    page.get_by_role("button", name="Add a SEPA Direct Debit mandate").click()
    page.wait_for_url("**/billing/methods/setup/seti_*/")
    assert "authorise" in page.locator("[data-mandate-text]").inner_text()
    page.frame_locator("[data-setup-element] iframe").get_by_label("IBAN").fill(IBAN)
    page.get_by_label("Account holder's name").fill("Jenny Rosen")
    page.get_by_role("button", name="Accept the mandate and save").click()
    page.wait_for_url(f"{sandbox.url}/billing/methods/")


def pay_with_saved_sepa(page, sandbox, amount: str = "20.00") -> None:
    """Make Payment: choose the saved mandate (offered first), euros only, the quote, Pay."""
    page.goto(f"{sandbox.url}/pay/")
    pay_via = page.get_by_label("Pay via")
    mandate = pay_via.locator("option", has_text="SEPA Direct Debit •••• 3000")
    pay_via.select_option(mandate.get_attribute("value"))
    section = page.locator(f"fieldset[data-method='{pay_via.input_value()}']")
    assert section.get_by_label("Currency").locator("option").all_inner_texts() == ["EUR"]
    assert "few business days" in section.locator("[data-sepa-note]").inner_text()
    section.get_by_label("Amount").fill(amount)
    page.locator("[data-quote='total_charged']").wait_for()
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(STATUS_URL)


def test_save_a_sepa_mandate_pay_and_settle(sandbox, online_customer, page):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=b""))
    sign_in(page, sandbox.url, user)
    save_sepa_in_browser(page, sandbox)
    labels = page.locator("[data-method-label]").all_inner_texts()
    assert labels == ["SEPA Direct Debit •••• 3000 (default)"]
    assert MethodSetup.objects.get(customer=user.customer).mandate.startswith("mandate_")

    pay_with_saved_sepa(page, sandbox)
    assert page.locator("[data-status]").get_attribute("data-status") == "pending"
    assert "SEPA Direct Debit is on its way" in page.locator("[data-reason]").inner_text()
    payment = Payment.objects.get(customer=user.customer)
    status_url = page.url

    staff = sandbox_staff_tab(page, sandbox.url)  # the switches page is for staff
    staff.goto(f"{sandbox.url}/sandbox/")
    staff.get_by_role("button", name=f"Settle {payment.reference} as succeeded").click()
    staff.wait_for_load_state()
    staff.close()
    page.goto(status_url)
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
