"""The back office at a phone's width (390×844): no page is wider than the window. A list's
table keeps its columns and scrolls sideways inside its own box (a keyboard can reach it), while
the header, filters and actions stay in the window."""

from __future__ import annotations

import pytest
from django.urls import reverse

from paydesk.backoffice.site import backoffice_site
from tests.axe import assert_accessible
from tests.backoffice.browser import open_page, staff_page

PHONE = {"width": 390, "height": 844}

OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const box = document.querySelector('#changelist .results');
    const table = document.querySelector('#result_list');
    const wide = [...document.querySelectorAll('body *')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > width + 1 && !(box && box.contains(el));
    }).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '')
        + ' in ' + (el.parentElement.closest('[id], [class]') || {}).className
        + ' "' + el.innerText.slice(0, 30) + '"');
    return {
        page: document.documentElement.scrollWidth - width,
        wide: wide.slice(0, 5),
        box: box ? {
            scrolls: box.scrollWidth > box.clientWidth + 1,
            fits: box.getBoundingClientRect().right <= width + 1,
            focusable: box.tabIndex >= 0,
            table: table ? table.getBoundingClientRect().width : 0,
        } : null,
    };
}"""


def _lists() -> list[str]:
    return sorted(
        reverse(f"backoffice:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in backoffice_site._registry
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_list_scrolls_inside_its_box_at_390_px(live_server, chromium, demo):
    page = staff_page(chromium, live_server, "admin@example.com")
    page.set_viewport_size(PHONE)
    problems = {}
    for path in ["/backoffice/", *_lists()]:
        open_page(page, path)
        found = page.evaluate(OVERFLOW)
        box = found["box"]
        if path in ("/backoffice/", "/backoffice/ledger/payment/"):
            assert_accessible(page, f"{path} at 390 px")
        if (
            found["page"] > 1
            or found["wide"]
            or (box is not None and not box["fits"])
            or (box is not None and box["scrolls"] and not box["focusable"])  # keyboard users
        ):
            problems[path] = found
    assert problems == {}, "\n".join(f"{path}: {found}" for path, found in problems.items())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_customer_page_and_its_billing_contacts_fit_at_390_px(live_server, chromium, demo):
    """The billing contacts' table pushed its Delete? boxes past a phone's edge."""
    from paydesk.accounts.models import Customer

    customer = Customer.objects.filter(contacts__isnull=False).order_by("pk").first()
    page = staff_page(chromium, live_server, "admin@example.com")
    page.set_viewport_size(PHONE)
    open_page(page, f"/backoffice/accounts/customer/{customer.pk}/change/", "phone-customer")
    found = page.evaluate(OVERFLOW)
    assert found["page"] <= 1 and found["wide"] == [], found
    boxes = page.locator(".backoffice-contacts td.delete input[type=checkbox]")
    assert boxes.count() >= 1
    width = page.evaluate("() => document.documentElement.clientWidth")
    rights = boxes.evaluate_all("els => els.map(el => el.getBoundingClientRect().right)")
    assert max(rights) <= width, (rights, width)
    # A stacked inline's heading keeps the space between its name and its row's label
    # ("Billing profile: Acme…", not "Billing profile:Acme…").
    gaps = page.locator(".inline-related h3 > b").evaluate_all(
        """els => els.filter(el => el.nextElementSibling && el.offsetParent).map(el =>
            el.nextElementSibling.getBoundingClientRect().left
            - el.getBoundingClientRect().right)"""
    )
    assert gaps and min(gaps) >= 3, gaps


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_payments_list_shows_each_total_and_status_at_390_px(live_server, chromium, demo):
    """At a phone's width the payments list showed date, reference and part of the customer;
    the total and status only by scrolling the table sideways. Each payment is now a card of
    labelled lines, as on the portal's Payments page."""
    page = staff_page(chromium, live_server, "finance@example.com")
    page.set_viewport_size(PHONE)
    open_page(page, "/backoffice/ledger/payment/", "phone-payments")
    found = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const box = document.querySelector('#changelist .results');
            const cells = [...document.querySelectorAll('#result_list tbody td')].filter(
                (td) => td.matches('.field-total_display, .field-status_badge'));
            return {
                cells: cells.length,
                outside: cells.filter((td) => {
                    const r = td.getBoundingClientRect();
                    return r.width === 0 || r.left < 0 || r.right > width + 1;
                }).length,
                scrolls: box.scrollWidth > box.clientWidth + 1,
                labels: [...new Set(cells.map((td) => getComputedStyle(td, '::before').content))],
            };
        }"""
    )
    assert found["cells"] == 100, found  # a page of 50 payments
    assert found["outside"] == 0 and not found["scrolls"], found
    assert sorted(found["labels"]) == ['"Status"', '"Total"'], found
    assert_accessible(page, "the payments list at 390 px")


# Cells of `selector` that a box with hidden overflow cuts off, or that lie past the window's
# edge, with no box in view to scroll them into view.
CUT_CELLS = """(selector) => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll(selector)].filter((cell) => {
        let right = cell.getBoundingClientRect().right;
        for (let el = cell.parentElement; el && el !== document.body; el = el.parentElement) {
            const overflow = getComputedStyle(el).overflowX;
            // A box that scrolls brings the cell into view if the box itself is in view.
            if (overflow === 'auto' || overflow === 'scroll') {
                right = el.getBoundingClientRect().right;
            } else if ((overflow === 'hidden' || overflow === 'clip')
                && right > el.getBoundingClientRect().right + 1) return true;
        }
        return right > width + 1;
    }).map((cell) => cell.innerText);
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_payments_log_on_its_page_can_be_read_at_390_px(live_server, chromium, demo):
    """A payment's page lists its log (what the gateway said); at a phone's width the row cut
    the table at the screen's edge, the result and detail out of reach."""
    from paydesk.checkout.models import PaymentLogEntry
    from paydesk.ledger.models import Payment

    payment = Payment.objects.filter(method="nowpayments").order_by("-id").first()
    PaymentLogEntry.objects.create(
        gateway="nowpayments",
        direction="received",
        channel="reconcile",
        event_id="query:5077123344:no-payment",
        payment=payment,
        signature_valid=True,
        outcome="pending",
        result="ignored",
        detail="Still pending at the gateway.",
    )
    page = staff_page(chromium, live_server, "finance@example.com")
    page.set_viewport_size(PHONE)
    open_page(page, f"/backoffice/ledger/payment/{payment.pk}/change/", "phone-payment-log")

    assert page.evaluate(CUT_CELLS, "table.payment-log td") == []
    assert page.evaluate(OVERFLOW)["page"] <= 1
    assert_accessible(page, "a payment's page with its log at 390 px")
