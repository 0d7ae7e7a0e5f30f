"""A customer's back-office page in the browser: pausing the online payment methods goes through
a confirmation page."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import Customer
from tests.axe import assert_accessible
from tests.backoffice.browser import open_page, staff_page

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
