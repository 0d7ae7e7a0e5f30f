"""Saving a card in a real browser (issue 14): Payment methods → Add a card → the card typed
into the processor's frame (the sandbox's Stripe.js stand-in) → confirmCardSetup → the list
shows it as the default; then it is removed. The card number never reaches Paydesk."""

from __future__ import annotations

import pytest
from django.utils import timezone

from paydesk.methods.models import MethodSetup
from paydesk.methods.services import saved_methods_list
from tests.online.conftest import sign_in
from tests.online.stripe_support import VISA

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
    assert page.locator("[data-method-label]").all_inner_texts() == ["Visa •••• 4242 (default)"]
    assert MethodSetup.objects.get(customer=user.customer).completed_at is not None
    page.get_by_role("button", name="Remove").click()
    page.wait_for_url(f"{sandbox.url}/billing/methods/")
    assert page.locator("[data-no-methods]").count() == 1
    assert saved_methods_list(customer=user.customer) == []
    assert page.console_errors == []
