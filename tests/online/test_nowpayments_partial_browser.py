"""The pages a partly paid NOWPayments payment changed (finance review), in a browser at the
finance desk's 1366×900 and a phone's 390×844, each checked by axe-core: the staff Complete form
showing what arrived, then — completed with that amount — the customer's status page ("Received
… (expected …)") and payment page (no "Why it is pending"). PAYDESK_SCREENSHOTS=<dir> keeps
a picture of each."""

from __future__ import annotations

import os

import pytest

from paydesk.sandbox.core import object_find
from tests.axe import assert_accessible
from tests.conftest import chromium_launched
from tests.online.conftest import sign_in
from tests.online.nowpayments_steps import press, start
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = os.environ.get("PAYDESK_SCREENSHOTS", "")


def _look(page, url: str, name: str) -> str:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert_accessible(page)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
    return page.locator("body").inner_text()


def test_a_partly_paid_payment_in_the_browser(sandbox, online_customer, finance_user, monkeypatch):
    user = online_customer("nowpayments")
    payment = start(user).payment
    press(
        object_find("nowpayments", "invoice", payment.reference).data["invoice_url"],
        "partially_paid",
    )
    base = sandbox.url
    with chromium_launched(monkeypatch) as browser:
        for size, viewport in SIZES.items():
            staff = browser.new_page(viewport=viewport)
            browser_sign_in(staff, base, finance_user)
            form = _look(
                staff,
                f"{base}/backoffice/ledger/payment/{payment.pk}/complete/",
                f"partly-paid-complete-{size}",
            )
            assert "0.00010000 BTC" in form and "Leave empty" not in form
            staff.close()
        staff = browser.new_page(viewport=SIZES["desk"])
        browser_sign_in(staff, base, finance_user)
        staff.goto(f"{base}/backoffice/ledger/payment/{payment.pk}/complete/")
        staff.locator("input[name=total]").fill("6.00")
        staff.get_by_role("button", name="Complete payment").click()
        staff.wait_for_load_state()
        staff.close()
        for size, viewport in SIZES.items():
            customer = browser.new_page(viewport=viewport)
            sign_in(customer, base, user)
            status = _look(
                customer, f"{base}/pay/status/{payment.reference}/", f"partly-paid-status-{size}"
            )
            assert "$6.00 USD (expected $10.00 USD)" in status and "Charged" not in status
            detail = _look(
                customer, f"{base}/payments/{payment.reference}/", f"partly-paid-detail-{size}"
            )
            assert "Why it is pending" not in detail
            customer.close()
