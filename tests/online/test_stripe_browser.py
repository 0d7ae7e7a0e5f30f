"""Paying by card in a real browser (issue 4): Make Payment → the card fields in the processor's
frame (the sandbox's Stripe.js stand-in) → Pay → /pay/status/<ref>/ with the right status and
balance. Stripe's test cards: success 4242…, decline 0002, 3-D Secure 3184. Also: an expired card
is refused next to the field before anything is paid. (quality.md S5, after paying by every
method: tests/online/test_s5_no_secrets.py.)"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from paydesk.ledger.models import Payment, PaymentStatus
from tests.online.conftest import sign_in
from tests.online.stripe_support import DECLINE, THREE_D_SECURE, VISA

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

STATUS_URL = re.compile(r".*/pay/status/[A-Z0-9-]+/$")
CVC = "739"


def _fill_card(page, number: str, *, exp_month: str = "12", exp_year: str | None = None) -> None:
    frame = page.frame_locator("[data-card-element] iframe")
    frame.get_by_label("Card number").fill(number)
    frame.get_by_label("Expiry month").fill(exp_month)
    frame.get_by_label("Expiry year").fill(exp_year or str(timezone.localdate().year + 2))
    frame.get_by_label("CVC").fill(CVC)


def _pay(
    page, sandbox, user, number: str, *, amount: str = "10.50", signed_in: bool = False, **card: str
) -> None:
    if not signed_in:
        sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/pay/")
    page.get_by_label("Pay via").select_option("card")
    section = page.locator("fieldset[data-method='card']")
    section.get_by_label("Amount").fill(amount)
    page.locator("[data-quote='total_charged']").wait_for()  # the live quote is shown
    _fill_card(page, number, **card)
    page.get_by_role("button", name="Pay", exact=True).click()


def _status(page) -> tuple[str, str, str]:
    section = page.locator("[data-status]")
    reason = page.locator("[data-reason]")
    return (
        section.get_attribute("data-status"),
        reason.inner_text() if reason.count() else "",
        page.locator("[data-balance]").inner_text(),
    )


def test_card_success_4242(sandbox, online_customer, page):
    user = online_customer("card")
    _pay(page, sandbox, user, VISA)
    page.wait_for_url(STATUS_URL)
    assert _status(page) == ("completed", "", "$10.50 USD")
    payment = Payment.objects.get(customer=user.customer)
    assert payment.status == PaymentStatus.COMPLETED and payment.method == "card"
    assert page.url.endswith(f"/pay/status/{payment.reference}/")
    assert page.console_errors == []


def test_card_decline_0002(sandbox, online_customer, page):
    user = online_customer("card")
    _pay(page, sandbox, user, DECLINE)
    page.wait_for_url(STATUS_URL)
    assert _status(page) == ("cancelled", "Your card was declined.", "$0.00 USD")
    assert Payment.objects.get(customer=user.customer).status == PaymentStatus.CANCELLED
    assert page.console_errors == []


def test_card_3d_secure_3184(sandbox, online_customer, page):
    user = online_customer("card")
    # The sandbox's pages (shared, not the card's) name no icon: the browser's favicon guess.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=b""))
    _pay(page, sandbox, user, THREE_D_SECURE)
    page.wait_for_url(re.compile(r".*/sandbox/stripe/3ds/pi_\w+/$"))
    assert page.locator("[data-amount]").inner_text() == "10.50 USD"
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url(STATUS_URL)
    assert _status(page) == ("completed", "", "$10.50 USD")
    assert Payment.objects.get(customer=user.customer).status == PaymentStatus.COMPLETED
    assert page.console_errors == []


def test_an_expired_card_is_refused_next_to_the_card_fields(sandbox, online_customer, page):
    user = online_customer("card")
    _pay(page, sandbox, user, VISA, exp_month="01", exp_year="2001")
    error = page.locator("[data-card-error]")
    error.filter(has_text="expiration year is in the past").wait_for()
    assert page.url == f"{sandbox.url}/pay/"
    assert not Payment.objects.filter(customer=user.customer).exists()
