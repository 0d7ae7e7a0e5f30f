"""Saving a card in a real browser (issue 14): Payment methods → Add a card → the card typed
into the processor's frame (the sandbox's Stripe.js stand-in) → confirmCardSetup → the list
shows it as the default; then it is removed. Paying with it in one click from Make Payment, with
and without 3-D Secure. The card number never reaches Paydesk."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.gateways.stripe.declines import AUTHENTICATION_FAILED
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.methods.models import MethodSetup
from paydesk.methods.services import saved_methods_list
from tests.axe import assert_accessible
from tests.online.conftest import sign_in
from tests.online.stripe_support import THREE_D_SECURE, VISA
from tests.online.test_stripe_sepa_browser import pay_with_saved_sepa, save_sepa_in_browser
from tests.signin import sandbox_staff_tab

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def save_card_in_browser(page, sandbox, number: str = VISA) -> None:
    page.goto(f"{sandbox.url}/billing/methods/")
    page.get_by_role("button", name="Add a card").click()
    page.wait_for_url("**/billing/methods/setup/seti_*/")
    frame = page.frame_locator("[data-setup-element] iframe")
    frame.get_by_label("Card number").fill(number)
    frame.get_by_label("Expiry month").fill("12")
    frame.get_by_label("Expiry year").fill(str(timezone.localdate().year + 2))
    frame.get_by_label("CVC").fill("739")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url(f"{sandbox.url}/billing/methods/")


def test_save_a_card_then_remove_it(sandbox, online_customer, page):
    user = online_customer("card")
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/pay/")
    page.locator("[data-methods-link]").click()
    page.wait_for_url(f"{sandbox.url}/billing/methods/")
    assert page.locator("[data-no-methods]").count() == 1
    save_card_in_browser(page, sandbox)
    assert page.locator("[data-method-label]").all_inner_texts() == ["Card •••• 4242 (default)"]
    assert MethodSetup.objects.get(customer=user.customer).completed_at is not None
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.get_by_role("button", name="Remove").click()
    assert questions and questions[0].startswith("Remove Card •••• 4242, Visa, expires ")
    assert page.locator("[data-no-methods]").count() == 1
    assert saved_methods_list(customer=user.customer) == []
    assert page.console_errors == []


STATUS_URL = re.compile(r".*/pay/status/[A-Z0-9-]+/$")


def _pay_with_saved_card(page, sandbox, amount: str = "10.50") -> None:
    """Make Payment opens on the default saved card (the first Pay via choice): an amount, the
    quote, one click on Pay. No card fields to fill."""
    page.goto(f"{sandbox.url}/pay/")
    pay_via = page.get_by_label("Pay via")
    chosen = pay_via.locator("option:checked").inner_text()
    assert chosen.startswith("Card •••• ") and chosen.endswith("(default)")
    section = page.locator(f"fieldset[data-method='{pay_via.input_value()}']")
    assert section.is_visible() and page.locator("[data-new-card]").is_hidden()
    section.get_by_label("Amount").fill(amount)
    page.locator("[data-quote='total_charged']").wait_for()
    page.get_by_role("button", name="Pay", exact=True).click()


def test_pay_with_a_saved_card_in_one_click(sandbox, online_customer, page):
    user = online_customer("card")
    sign_in(page, sandbox.url, user)
    save_card_in_browser(page, sandbox)
    _pay_with_saved_card(page, sandbox)
    page.wait_for_url(STATUS_URL)
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"
    payment = Payment.objects.get(customer=user.customer)
    assert payment.status == PaymentStatus.COMPLETED
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("button", "status"),
    [("Complete authentication", "completed"), ("Fail authentication", "cancelled")],
)
def test_pay_with_a_saved_card_that_asks_for_3d_secure(
    sandbox, online_customer, page, button, status
):
    """Completed at the bank: paid. Failed: the status page says so in plain words (issue 14
    polish), never Stripe's developer text ("The provided PaymentMethod has failed
    authentication…"), which stays in the payment log."""
    user = online_customer("card")
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=b""))
    sign_in(page, sandbox.url, user)
    save_card_in_browser(page, sandbox, THREE_D_SECURE)
    _pay_with_saved_card(page, sandbox)
    page.wait_for_url(re.compile(r".*/sandbox/stripe/3ds/pi_\w+/$"))
    page.get_by_role("button", name=button).click()
    page.wait_for_url(STATUS_URL)
    assert page.locator("[data-status]").get_attribute("data-status") == status
    assert Payment.objects.get(customer=user.customer).status == status
    if status == PaymentStatus.CANCELLED:
        assert page.locator("[data-reason]").inner_text() == AUTHENTICATION_FAILED
        assert "PaymentMethod" not in page.content()
    assert page.console_errors == []


def test_done_when_a_new_customer_sets_up_billing_and_pays(sandbox, online_customer, page):
    """Issue 14's Done-when, as a new customer walks it: fill in the billing profile, save a
    card and a SEPA mandate, pay with the saved card in one click, see the SEPA payment pending
    (and why, on its status page and in the Payments list), then completed."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=b""))
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/billing/")
    page.get_by_label("Legal name").fill("Nordwind Telekom GmbH")
    page.get_by_label("Address line 1").fill("Hauptstraße 1")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Tax / VAT id").fill("DE136695976")
    page.get_by_label("Billing contacts").fill("billing@nordwind.example")
    page.get_by_role("button", name="Save billing profile").click()
    page.wait_for_load_state()
    user.customer.billing_profile.refresh_from_db()
    assert user.customer.billing_profile.legal_name == "Nordwind Telekom GmbH"

    save_card_in_browser(page, sandbox)
    save_sepa_in_browser(page, sandbox)
    assert page.locator("[data-method-label]").all_inner_texts() == [
        "Card •••• 4242 (default)",
        "SEPA Direct Debit •••• 3000",
    ]

    _pay_with_saved_card(page, sandbox, amount="30.00")  # offered first: one click after the quote
    page.wait_for_url(STATUS_URL)
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"

    page.goto(f"{sandbox.url}/pay/")
    assert_accessible(page, "Make Payment with saved methods")
    pay_with_saved_sepa(page, sandbox)
    assert page.locator("[data-status]").get_attribute("data-status") == "pending"
    assert "few business days" in page.locator("[data-reason]").inner_text()
    debit = Payment.objects.get(customer=user.customer, method="sepa_debit")
    status_url = page.url
    page.goto(f"{sandbox.url}/payments/")
    row = page.locator(f"tr[data-payment-id='{debit.pk}']")
    assert "SEPA Direct Debit •••• 3000" in row.inner_text()
    assert "few business days" in row.locator("[data-pending-reason]").inner_text()

    staff = sandbox_staff_tab(page, sandbox.url)  # the switches page is for staff
    staff.goto(f"{sandbox.url}/sandbox/")
    staff.get_by_role("button", name=f"Settle {debit.reference} as succeeded").click()
    staff.wait_for_load_state()
    staff.close()
    page.goto(status_url)
    assert page.locator("[data-status]").get_attribute("data-status") == "completed"
    user.customer.refresh_from_db(fields=["balance"])
    assert user.customer.balance == Decimal("50.00")
    assert page.console_errors == []
