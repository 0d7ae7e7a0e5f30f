"""What a payer reads, in a browser at desktop (1366×900) and phone (390×844) sizes: a
chargeback's status page (what it took, the Payments page's Total and sign) and the Payments
page's *Unfinished* box with a checkout whose gateway page closed (Start a new payment). axe-core
finds no critical or serious violation; nothing is wider than the screen.
PAYDESK_SCREENSHOTS=<dir> keeps a picture of each."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.models import Quote
from paydesk.checkout.services import checkout_start
from paydesk.ledger.disputes import dispute_apply
from tests.axe import assert_accessible
from tests.checkout import scripted_gateway
from tests.checkout.conftest import configure, method_configs  # noqa: F401 (fixture)
from tests.refunds.conftest import card_payment
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
SHOTS = os.environ.get("PAYDESK_SCREENSHOTS", "")


@pytest.fixture
def story(settings, portal_user, method_configs):  # noqa: F811 (the fixture imported above)
    settings.PAYDESK_GATEWAYS = {
        **settings.PAYDESK_GATEWAYS,
        "paypal": "tests.checkout.scripted_gateway.ScriptedGateway",
    }
    scripted_gateway.SCRIPT.update(start="redirect", status="pending")
    configure("paypal", enabled=True, currencies=["USD"])
    customer = portal_user.customer
    paid = card_payment(customer)
    chargeback = dispute_apply(
        original=paid, gateway="card", dispute_id="dp_1", stage="lost",
        account_total=Decimal("10.00"), reason="fraudulent",
    ).posted  # fmt: skip
    started = [
        checkout_start(
            customer=customer, user=portal_user, method="paypal", amount=amount,
            currency="USD", idempotency_key=f"words-{n}-0123456789abcdef",
        ).payment
        for n, amount in enumerate(("51.54", "20.00"))
    ]  # fmt: skip
    Quote.objects.filter(payment=started[0]).update(expires_at=timezone.now())
    return {"paid": paid, "chargeback": chargeback, "closed": started[0], "open": started[1]}


def _look(page, url: str, name: str, size: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert_accessible(page, f"{url} at {size}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size][0], f"{url} is {width}px wide at {size}"
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_a_chargeback_and_a_closed_checkout_read_right(live_server, page, portal_user, story, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    browser_sign_in(page, live_server.url, portal_user, path="/accounts/login/")
    chargeback, paid = story["chargeback"], story["paid"]

    _look(page, f"{live_server.url}/pay/status/{chargeback.reference}/", "chargeback-status", size)
    line = page.locator("[data-taken]").inner_text()
    assert f"Chargeback of {paid.reference}: $10.00 USD was taken from your account." in line
    assert page.locator("[data-total]").inner_text() == "-$10.00 USD"
    assert "Credited" not in page.locator("main").inner_text()

    _look(page, f"{live_server.url}/payments/", "payments-unfinished", size)
    closed = page.locator(f'li[data-payment-id="{story["closed"].pk}"]')
    assert closed.get_by_role("link", name="Start a new payment").is_visible()
    assert closed.get_by_role("link", name="Resume").count() == 0
    assert "it can no longer be paid there" in closed.inner_text()
    still_open = page.locator(f'li[data-payment-id="{story["open"].pk}"]')
    assert still_open.get_by_role("link", name="Resume").is_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]
