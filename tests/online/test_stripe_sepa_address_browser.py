"""Saving a SEPA Direct Debit mandate from a UK, Swiss or other non-EEA IBAN in a real browser:
Stripe (API 2026-09-30.endive on) needs the account holder's address with it. The page sends the
Billing page's address; without one it says so, with a link, before asking Stripe."""

from __future__ import annotations

import json

import pytest

from paydesk.accounts.billing import billing_profile_update
from paydesk.gateways.stripe.client import SEPA_ADDRESS_NEEDED
from paydesk.methods.models import MethodSetup
from paydesk.sandbox.models import SandboxObject
from tests.axe import assert_accessible
from tests.online.conftest import sign_in
from tests.online.stripe_support import SWISS_IBAN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _open_sepa_setup(page, sandbox, user):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=b""))
    sign_in(page, sandbox.url, user)
    page.goto(f"{sandbox.url}/billing/methods/")
    page.get_by_role("button", name="Add a SEPA Direct Debit mandate").click()
    page.wait_for_url("**/billing/methods/setup/seti_*/")
    page.get_by_label("Account holder's name").fill("Jenny Rosen")


def _sepa_methods_made() -> int:
    return SandboxObject.objects.filter(
        gateway="stripe", kind="payment_method", data__type="sepa_debit"
    ).count()


def test_a_swiss_iban_without_a_billing_address_is_stopped_with_a_link(
    sandbox, online_customer, page
):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    _open_sepa_setup(page, sandbox, user)
    notice = page.locator("[data-address-needed]")
    assert notice.is_hidden()
    page.frame_locator("[data-setup-element] iframe").get_by_label("IBAN").fill(SWISS_IBAN)
    notice.wait_for(state="visible")
    assert "needs your billing address" in notice.inner_text()
    assert notice.get_by_role("link", name="Billing page").get_attribute("href") == "/billing/"
    assert_accessible(page, "the SEPA setup page asking for the billing address")

    page.get_by_role("button", name="Accept the mandate and save").click()
    assert page.evaluate("document.activeElement.hasAttribute('data-address-needed')")
    assert "/billing/methods/setup/seti_" in page.url
    assert _sepa_methods_made() == 0  # nothing was sent that Stripe would refuse
    assert not MethodSetup.objects.filter(customer=user.customer, completed_at__isnull=False)

    page.frame_locator("[data-setup-element] iframe").get_by_label("IBAN").fill("")
    notice.wait_for(state="hidden")


def test_a_swiss_iban_is_saved_with_the_billing_pages_address(sandbox, online_customer, page):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    billing_profile_update(
        customer=user.customer,
        actor=user,
        legal_name="Alpen Telekom AG",
        address_line1="Bahnhofstrasse 1",
        city="Zürich",
        postal_code="8001",
        country="CH",
    )
    _open_sepa_setup(page, sandbox, user)
    page.frame_locator("[data-setup-element] iframe").get_by_label("IBAN").fill(SWISS_IBAN)
    assert page.locator("[data-address-needed]").is_hidden()
    page.get_by_role("button", name="Accept the mandate and save").click()
    page.wait_for_url(f"{sandbox.url}/billing/methods/")
    labels = page.locator("[data-method-label]").all_inner_texts()
    assert labels == ["SEPA Direct Debit •••• 2957 (default)"]
    setup = MethodSetup.objects.get(customer=user.customer)
    method = SandboxObject.objects.get(gateway="stripe", object_id=setup.payment_method).data
    address = method["billing_details"]["address"]
    assert (address["line1"], address["city"], address["postal_code"], address["country"]) == (
        "Bahnhofstrasse 1",
        "Zürich",
        "8001",
        "CH",
    )


def test_stripes_refusal_of_a_missing_address_reads_plainly(sandbox, online_customer, page):
    """Should Stripe still refuse (its list of countries grew, say), the customer reads what to
    do, not the parameter's name. Stripe's answer is played by the browser's route."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    _open_sepa_setup(page, sandbox, user)
    refusal = {
        "error": {
            "type": "invalid_request_error",
            "code": "parameter_missing",
            "param": "billing_details[address][line1]",
            "message": "Missing required param: billing_details[address][line1].",
        }
    }
    page.route(
        "**/sandbox/stripe/v1/payment_methods",
        lambda route: route.fulfill(
            status=400, content_type="application/json", body=json.dumps(refusal)
        ),
    )
    page.frame_locator("[data-setup-element] iframe").get_by_label("IBAN").fill(
        "DE89370400440532013000"
    )
    page.get_by_role("button", name="Accept the mandate and save").click()
    error = page.locator("[data-setup-error]")
    error.filter(has_text="Billing page").wait_for()
    assert error.inner_text() == SEPA_ADDRESS_NEEDED
