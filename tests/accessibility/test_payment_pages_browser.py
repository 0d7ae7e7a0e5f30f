"""axe-core on a bank transfer's payment page (back office and portal) with a refund paid back
by bank transfer, and on the back office's customer page with its billing contacts: no blocking
violation, and none of the lesser rules a UI walk found there (two landmarks of one name, a table
header without text) — the customer page also with its scripts refused."""

from __future__ import annotations

import pytest

from paydesk.backoffice.services import customer_contacts_set
from paydesk.banktransfers.services import transfer_complete
from paydesk.checkout.refunds import payment_refund
from tests.axe import assert_accessible, violations
from tests.banktransfers.conftest import transfer
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory
from tests.refunds.conftest import RefundingCard, card_gateway, card_payment  # noqa: F401
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_IMPACTS = ("critical", "serious", "moderate", "minor")
WALK_RULES = {"landmark-unique", "empty-table-header"}


def _refunded_transfer():
    customer = CustomerFactory(currency="USD")
    finance = StaffFactory(staff_role="finance")
    paid = transfer_complete(
        payment=transfer(customer), actor=finance, received_amount="250", received_currency="USD"
    )
    refund = payment_refund(
        payment=paid, reason="Closed the account", actor=finance, total="100", outside=True
    )
    return finance, paid, refund


def _assert_clean(page, what: str) -> None:
    assert_accessible(page, what)
    found = [v for v in violations(page, impacts=ALL_IMPACTS) if v["id"] in WALK_RULES]
    assert found == [], f"{what}: {found}"


def test_the_back_office_payment_and_customer_pages(live_server, page):
    finance, paid, refund = _refunded_transfer()
    customer_contacts_set(
        customer=paid.customer,
        emails=["billing@acme.example", "ops@acme.example"],
        actor=StaffFactory(staff_role="admin"),
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_sign_in(page, live_server.url, finance)
    for payment in (paid, refund):
        page.goto(f"{live_server.url}/backoffice/ledger/payment/{payment.pk}/change/")
        assert payment.reference in page.content()
        _assert_clean(page, f"the back office's page of {payment.reference}")
    customer_page = f"{live_server.url}/backoffice/accounts/customer/{paid.customer_id}/change/"
    page.goto(customer_page)
    assert page.locator(".backoffice-contacts table").count() == 1
    _assert_clean(page, "the back office's customer page")
    # The same page with every script it loads refused (a11y.js, the admin's): its table
    # headers are named by the server-rendered HTML. (axe itself is evaluated by DevTools.)
    bare = page.context.browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    bare.context.add_cookies(page.context.cookies())  # the same session
    bare.route("**/*", lambda route: route.abort() if route.request.resource_type == "script"
               else route.continue_())  # fmt: skip
    refused: list[str] = []
    bare.on("requestfailed", lambda request: refused.append(request.url))
    bare.goto(customer_page)
    assert any(url.endswith("backoffice/a11y.js") for url in refused)
    headers = bare.locator(".backoffice-contacts thead th")
    assert [text.strip() for text in headers.all_text_contents()] == ["Saved", "Email", "Remove"]
    # (Only the table rule: without scripts Django's theme button has no name — its labels are
    # shown by its script.)
    unnamed = [v for v in violations(bare, impacts=ALL_IMPACTS) if v["id"] == "empty-table-header"]
    assert unnamed == [], f"the customer page without its scripts: {unnamed}"
    bare.context.close()


def test_the_portal_payment_page(live_server, page):
    _finance, paid, refund = _refunded_transfer()
    user = PortalUserFactory(customer=paid.customer)
    browser_sign_in(page, live_server.url, user, path="/accounts/login/")
    for payment in (paid, refund):
        page.goto(f"{live_server.url}/payments/{payment.reference}/")
        assert payment.reference in page.content()
        _assert_clean(page, f"the portal's page of {payment.reference}")


@pytest.mark.usefixtures("card_gateway")
def test_the_back_office_page_of_a_refund_waiting_for_its_gateway(live_server, page):
    """A pending refund's page says how it will be settled (docs/refunds.md): that paragraph
    passes axe too."""
    from paydesk.gateways.base import Outcome

    finance = StaffFactory(staff_role="finance")
    RefundingCard.answer = Outcome.PENDING
    refund = payment_refund(payment=card_payment(), reason="Asked", actor=finance, total="10")
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_sign_in(page, live_server.url, finance)
    page.goto(f"{live_server.url}/backoffice/ledger/payment/{refund.pk}/change/")
    assert "offers no way to ask where a refund stands" in page.content()
    _assert_clean(page, f"the back office's page of the pending refund {refund.reference}")
