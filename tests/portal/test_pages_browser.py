"""Issue 13 walked again in a browser, at desktop (1366×900) and phone (390×844) sizes: axe-core
finds no critical or serious violation on any portal page; the payments' columns are all shown
without sideways scrolling; on a phone the first payment is on the first screen; the API keys
page fits; copy buttons and confirmations run from ui.js under the CSP."""

from __future__ import annotations

import pytest

from paydesk.banktransfers.services import bank_details_update
from paydesk.ledger.services import payment_cancel, payment_create
from tests.axe import assert_accessible
from tests.portal.conftest import at
from tests.signin import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
COLUMNS = ("td.when", "td.total", "td.status .badge", "td.description", "td.balance-after")


@pytest.fixture
def history(portal_user, admin_user):
    customer = portal_user.customer
    # Sub-cent amounts are shown with every decimal: the widest figures a carrier's page has.
    payment_create(customer=customer, total="12345.6789", description="Wire", at=at(0, days=-1))
    for day in range(30):
        payment_create(
            customer=customer,
            total="100.0125" if day % 7 == 0 else "-6.3012",
            description=f"DID rental +1 305 555 01{day:02d} (Dec 2026)",
            at=at(day, days=day),
        )
    card = payment_create(
        customer=customer,
        total="30",
        description="Card top-up",
        method="card",
        status="pending",
        gateway="stripe",
    )
    declined = payment_create(
        customer=customer,
        total="30",
        description="Card top-up",
        method="card",
        status="pending",
        gateway="stripe",
    )
    payment_cancel(payment=declined, reason="Your card was declined.")
    transfer = payment_create(
        customer=customer,
        total="150",
        description="Bank transfer",
        method="bank_transfer",
        status="pending",
    )
    bank_details_update(
        actor=admin_user,
        beneficiary_name="Paydesk Telecom Ltd",
        account_number="GB29NWBK60161331926819",
        bank_name="Demo Bank",
        bank_address="1 Demo Street\nLondon",
        swift="NWBKGB2L",
    )
    return {"card": card, "declined": declined, "transfer": transfer}


def _sign_in(page, live_server, user):
    browser_sign_in(page, live_server.url, user, path="/accounts/login/")


@pytest.mark.parametrize("size", SIZES)
def test_every_portal_page_passes_axe(live_server, page, portal_user, history, size):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    _sign_in(page, live_server, portal_user)
    paths = [
        "/",
        "/payments/",
        "/payments/?attempts=on",
        "/pay/",
        f"/pay/status/{history['card'].reference}/",
        f"/pay/status/{history['card'].reference}/?left=1",
        f"/pay/status/{history['declined'].reference}/",
        f"/transfers/{history['transfer'].reference}/",
        f"/payments/{history['transfer'].reference}/",
        "/api-keys/",
        "/preferences/",
        "/accounts/sessions/",
        "/accounts/password/",
        "/accounts/two-factor/",
        "/accounts/two-factor/authenticator/",
    ]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() >= 1, path
        assert_accessible(page, f"{path} at {size}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size][0], f"{path} is {width}px wide at {size}"
        sideways = page.evaluate(
            "[...document.querySelectorAll('.table-scroll')]"
            ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
        )
        assert sideways == 0, f"a table of {path} scrolls sideways at {size}"
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
def test_the_payments_columns_are_all_visible(live_server, page, portal_user, history, size):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    _sign_in(page, live_server, portal_user)
    page.goto(f"{live_server.url}/payments/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    region = page.locator(".table-scroll")
    assert region.evaluate("e => e.scrollWidth <= e.clientWidth")  # nothing scrolls sideways
    first = page.locator("tr[data-payment-id]").first
    for selector in COLUMNS:
        cell = first.locator(selector)
        assert cell.is_visible(), selector
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    badge = first.locator(".badge")
    assert badge.evaluate("e => e.scrollWidth <= e.clientWidth")  # the badge is not cut
    assert first.locator("td.status").inner_text().strip() in ("Completed", "Pending", "Cancelled")
    top = first.bounding_box()["y"]
    assert top < height, f"the first payment starts at {top}px, below the first screen"
    if size == "phone":
        assert page.locator("details.filters-box").get_attribute("open") is None
        statement = page.locator(".statement").bounding_box()["y"]
        assert statement > top  # the chart comes after the list


# The filters' drop-downs whose chosen option is cut off: each is measured against a copy of
# itself sized to its longest option.
CUT_OFF_SELECTS = """(form) => [...document.querySelectorAll(form + ' select')].filter((select) => {
    const copy = select.cloneNode(true);
    Object.assign(copy.style, {width: 'auto', minWidth: '0', maxWidth: 'none',
                               position: 'absolute', visibility: 'hidden'});
    select.parentElement.append(copy);
    const needed = copy.getBoundingClientRect().width;
    copy.remove();
    return select.getBoundingClientRect().width + 0.5 < needed;
}).map((select) => select.labels[0].innerText)"""


@pytest.mark.parametrize("size", SIZES)
def test_the_filter_drop_downs_show_their_whole_choice(
    live_server, page, portal_user, history, size
):
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    _sign_in(page, live_server, portal_user)
    page.goto(f"{live_server.url}/payments/")
    page.get_by_text("Filter and sort").click()

    assert page.evaluate(CUT_OFF_SELECTS, ".filter-fields") == []


def test_copy_buttons_and_the_cancel_confirmation(live_server, page, portal_user, history):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _sign_in(page, live_server, portal_user)
    reference = history["transfer"].reference
    page.goto(f"{live_server.url}/transfers/{reference}/")
    page.get_by_role("button", name="Copy payment reference").click()
    page.wait_for_selector("text=Copied")
    assert page.evaluate("navigator.clipboard.readText()") == reference
    page.get_by_role("button", name="Copy all bank details").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "GB29NWBK60161331926819" in copied and reference in copied

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Cancel transfer").click()
    assert asked and reference in asked[0]
    history["transfer"].refresh_from_db()
    assert history["transfer"].status == "pending"  # No: nothing was cancelled

    page.goto(f"{live_server.url}/api-keys/")
    page.get_by_label("Name").fill("Billing script")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").input_value()
    page.get_by_role("button", name="Copy the new key").click()
    page.wait_for_selector("text=Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_pending_status_page_updates_in_place(live_server, page, portal_user, history):
    from paydesk.ledger.services import payment_complete

    _sign_in(page, live_server, portal_user)
    reference = history["card"].reference
    page.goto(f"{live_server.url}/pay/status/{reference}/")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    page.evaluate("window.__notReloaded = true")
    payment_complete(payment=history["card"])
    page.wait_for_selector('.payment-status[data-status="completed"]', timeout=20_000)
    assert page.evaluate("window.__notReloaded") is True
    assert "The payment status was updated." in page.locator("#status-live").inner_text()
    assert page.console_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", SIZES)
def test_the_statement_chart_labels_high_and_low_beside_their_levels(
    live_server, page, portal_user, history, size
):
    """The chart's "Low" label sat top right, level with "High", far from the lowest balance it
    names. Each label now sits at the axis side (left), High just above the highest point of the
    line and Low just under the lowest, clear of each other and of the dates."""
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    _sign_in(page, live_server, portal_user)
    page.goto(f"{live_server.url}/payments/")
    boxes = page.evaluate(
        """() => {
            const box = (el) => { const r = el.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
            const chart = document.querySelector('svg.chart');
            const labels = [...chart.querySelectorAll('text.chart-label')].map(box);
            return {
                chart: box(chart), line: box(chart.querySelector('.chart-line')),
                high: box(chart.querySelector('.chart-high')),
                low: box(chart.querySelector('.chart-low')),
                dates: labels.slice(-2),
            };
        }"""
    )
    chart, line, high, low = boxes["chart"], boxes["line"], boxes["high"], boxes["low"]
    width = chart["right"] - chart["left"]
    for label in (high, low):  # at the axis side, where a reader looks for the scale
        assert label["left"] - chart["left"] < width * 0.1, (label, chart)
    assert high["bottom"] <= line["top"] + 1, (high, line)  # just above the highest point
    assert line["bottom"] - 1 <= low["top"] < line["bottom"] + 30, (low, line)  # just under
    assert all(low["bottom"] <= d["top"] + 1 for d in boxes["dates"]), (low, boxes["dates"])


@pytest.mark.parametrize("size", SIZES)
def test_the_statement_chart_text_is_readable_on_a_phone(
    live_server, page, portal_user, history, size
):
    """The chart scaled with its width, text included: on a phone its labels were drawn about
    10 px high. Each label's font size as drawn (its size times the scale the SVG applies to
    it) is now at least 12 px, and every label stays inside the chart."""
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    _sign_in(page, live_server, portal_user)
    page.goto(f"{live_server.url}/payments/")
    labels = page.evaluate(
        """() => {
            const chart = document.querySelector('svg.chart').getBoundingClientRect();
            return [...document.querySelectorAll('svg.chart text')].map((text) => {
                const m = text.getScreenCTM(), box = text.getBoundingClientRect();
                const scale = Math.min(Math.hypot(m.a, m.b), Math.hypot(m.c, m.d));
                return {
                    text: text.textContent,
                    px: parseFloat(getComputedStyle(text).fontSize) * scale,
                    inside: box.left >= chart.left - 1 && box.right <= chart.right + 1,
                };
            });
        }"""
    )
    assert len(labels) == 4  # High, Low and the period's first and last day
    for label in labels:
        assert label["px"] >= 12, label
        assert label["inside"], label
