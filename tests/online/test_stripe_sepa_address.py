"""SEPA Direct Debit from a non-EEA IBAN (UK, Swiss, …): since Stripe API 2026-09-30.endive the
PaymentMethod needs billing_details.address line1, city, postal_code and country, when it is made
and when an intent is confirmed with it (docs.stripe.com/changelog/endive/2026-09-30/
require-sepa-direct-debit-address-fields). The sandbox refuses as Stripe does; Paydesk says so in
plain words."""

from __future__ import annotations

import pytest

from paydesk.checkout.forms import new_form_token
from paydesk.checkout.services import checkout_start
from paydesk.gateways.stripe.client import SEPA_ADDRESS_NEEDED, STRIPE_API_VERSION
from paydesk.ledger.models import PaymentStatus
from paydesk.sandbox.core import object_get
from tests.online.stripe_support import ADDRESS, IBAN, SWISS_IBAN, save_sepa, sepa_method_answer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_swiss_iban_without_the_address_is_refused_from_endive(sandbox):
    answer = sepa_method_answer(sandbox.url, SWISS_IBAN, version=STRIPE_API_VERSION)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "parameter_missing",
        "billing_details[address][line1]",
    )


def test_each_of_the_four_address_fields_is_required(sandbox):
    for missing in ("line1", "city", "postal_code", "country"):
        partial = {k: v for k, v in ADDRESS.items() if k != missing}
        answer = sepa_method_answer(
            sandbox.url, SWISS_IBAN, address=partial, version=STRIPE_API_VERSION
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["param"] == f"billing_details[address][{missing}]"


def test_a_swiss_iban_with_the_address_is_accepted_and_keeps_it(sandbox):
    answer = sepa_method_answer(
        sandbox.url, SWISS_IBAN, address=ADDRESS, version=STRIPE_API_VERSION
    )
    assert answer.status_code == 200, answer.text
    method = answer.json()
    assert method["sepa_debit"]["country"] == "CH"
    assert {k: method["billing_details"]["address"][k] for k in ADDRESS} == ADDRESS


def test_an_eea_iban_and_older_versions_need_no_address(sandbox):
    assert sepa_method_answer(sandbox.url, IBAN, version=STRIPE_API_VERSION).status_code == 200
    assert sepa_method_answer(sandbox.url, SWISS_IBAN, version="2026-08-27.dahlia").is_success
    assert sepa_method_answer(sandbox.url, SWISS_IBAN).status_code == 200  # account default


def test_paying_with_a_swiss_mandate_saved_without_the_address_says_what_to_do(
    sandbox, online_customer
):
    """A mandate saved before the change (no address) is refused when Paydesk (speaking endive)
    charges it: the customer reads what to do, not Stripe's parameter name."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    setup = save_sepa(sandbox.url, user, SWISS_IBAN)  # the frame on the account's old version
    assert object_get("stripe", "payment_method", setup.payment_method) is not None
    checkout = checkout_start(
        customer=user.customer,
        user=user,
        method="card",
        amount="20.00",
        currency="EUR",
        idempotency_key=new_form_token(),
        saved_method=setup.payment_method,
    )
    assert SEPA_ADDRESS_NEEDED in checkout.problem
    assert "billing_details" not in checkout.problem
    assert checkout.payment.status == PaymentStatus.CANCELLED
    assert checkout.payment.cancel_reason == checkout.problem
