"""A customer's back-office page in the browser: pausing the online payment methods goes through
a confirmation page, the inline sections' headings read like the others, and at a phone's width
the object tools' rows line up."""

from __future__ import annotations

import os

import pytest

from paydesk.accounts.models import Customer
from tests.axe import assert_accessible
from tests.backoffice.browser import SHOTS, open_page, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _customer() -> Customer:
    return Customer.objects.filter(contacts__isnull=False).order_by("pk").first()


def _change(customer: Customer) -> str:
    return f"/backoffice/accounts/customer/{customer.pk}/change/"


def test_finance_pauses_through_the_confirmation_page(live_server, chromium, demo):
    customer = _customer()
    page = staff_page(chromium, live_server, "finance@example.com")
    page.set_viewport_size(LAPTOP)
    open_page(page, _change(customer), "customer-1280")

    page.get_by_role("link", name="Pause online payment methods").click()

    page.wait_for_url(f"**/accounts/customer/{customer.pk}/online-methods/")
    assert page.get_by_text(f"Pause the online payment methods of {customer.name}?").is_visible()
    customer.refresh_from_db()
    assert customer.online_methods_paused is False
    assert_accessible(page, "the pause confirmation at 1280 px")
    page.set_viewport_size(PHONE)
    assert_accessible(page, "the pause confirmation at 390 px")

    page.get_by_role("button", name="Confirm: pause online payment methods").click()

    page.wait_for_url(f"**{_change(customer)}")
    assert page.get_by_role("status").filter(has_text="Online payment methods paused").count()
    customer.refresh_from_db()
    assert customer.online_methods_paused is True


def test_cancel_leaves_the_methods_alone(live_server, chromium, demo):
    customer = _customer()
    page = staff_page(chromium, live_server, "finance@example.com")
    open_page(page, f"/backoffice/accounts/customer/{customer.pk}/online-methods/")

    page.get_by_role("link", name="Cancel").click()

    page.wait_for_url(f"**{_change(customer)}")
    customer.refresh_from_db()
    assert customer.online_methods_paused is False


HEADING_LOOK = """el => { const s = getComputedStyle(el);
    return [s.textTransform, s.letterSpacing, s.fontSize]; }"""


def test_inline_headings_read_like_the_other_sections(live_server, chromium, demo):
    """The billing profile's and contacts' headings were in capitals beside "Limits"."""
    page = staff_page(chromium, live_server, "admin@example.com")
    page.set_viewport_size(LAPTOP)
    open_page(page, _change(_customer()))
    section = page.locator("fieldset.module > h2", has_text="Limits").evaluate(HEADING_LOOK)
    inlines = page.locator(".inline-group > fieldset > h2, .inline-group h2").evaluate_all(
        f"els => els.map({HEADING_LOOK})"
    )
    assert len(inlines) >= 2
    assert all(look == section for look in inlines), (section, inlines)
    assert page.locator(".inline-group h2").first.inner_text() == "Billing profile"


def test_the_object_tools_rows_line_up_at_390_px(live_server, chromium, demo):
    """The admin indents every tool but the first: the second row started 15 px further in."""
    page = staff_page(chromium, live_server, "finance@example.com")
    page.set_viewport_size(PHONE)
    open_page(page, _change(_customer()), "phone-customer-tools")
    assert_accessible(page, "the customer page at 390 px")
    boxes = page.locator(".object-tools > li").evaluate_all(
        "els => els.map(el => { const r = el.getBoundingClientRect();"
        " return [Math.round(r.top), Math.round(r.left)]; })"
    )
    rows: dict[int, int] = {}
    for top, left in boxes:
        rows[top] = min(left, rows.get(top, left))
    assert len(rows) >= 2, boxes  # the tools wrap at this width: the case to check
    assert len(set(rows.values())) == 1, rows


def test_a_stale_save_says_who_changed_the_customer_and_when(live_server, chromium, demo):
    """Another Administrator saves while this one has the page open: this save is refused,
    the page shows the customer as it now is with who changed it and when (1366 and 390 px)."""
    from paydesk.accounts.services import customer_update
    from tests.factories import StaffFactory

    customer = _customer()
    page = staff_page(chromium, live_server, "admin@example.com")
    open_page(page, _change(customer))
    colleague = StaffFactory(staff_role="admin", email="colleague@provider.example")
    customer_update(customer=customer, actor=colleague, debit_limit="321")
    page.locator("#id_name").fill("Renamed over a colleague")
    page.locator("input[name=_continue]").click()

    page.wait_for_url(f"**{_change(customer)}")
    message = page.locator(".messagelist .error")
    assert "This customer was changed by colleague@provider.example at" in message.inner_text()
    assert page.locator("#id_debit_limit").input_value() == "321.00"
    customer.refresh_from_db()
    assert customer.name != "Renamed over a colleague"
    for name, size in (("1366", {"width": 1366, "height": 900}), ("390", PHONE)):
        page.set_viewport_size(size)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"customer-stale-{name}.png"))
        assert_accessible(page, f"the refused save at {name} px")
