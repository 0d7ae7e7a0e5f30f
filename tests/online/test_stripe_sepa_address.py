"""SEPA Direct Debit from a non-EEA IBAN (UK, Swiss, …): since Stripe API 2026-09-30.endive the
PaymentMethod needs billing_details.address line1, city, postal_code and country, when it is made
and when an intent is confirmed with it (docs.stripe.com/changelog/endive/2026-09-30/
require-sepa-direct-debit-address-fields). The sandbox refuses as Stripe does; Paydesk says so in
plain words."""

from __future__ import annotations

import httpx
import pytest
from django.conf import settings

from paydesk.accounts.models import BillingProfile
from paydesk.audit.models import AuditEntry
from paydesk.checkout.forms import new_form_token
from paydesk.checkout.models import MethodConfig, PaymentLogEntry
from paydesk.checkout.services import checkout_start
from paydesk.errors import MethodUnavailable, PaydeskError
from paydesk.gateways.stripe.client import SEPA_ADDRESS_NEEDED, STRIPE_API_VERSION
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject
from tests.api.conftest import ApiClient, key_for
from tests.online.stripe_support import ADDRESS, IBAN, SWISS_IBAN, save_sepa, sepa_method_answer
from tests.signin import sandbox_staff

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
    """A mandate saved before the change (no address at Stripe) and no address on the Billing
    page: Paydesk refuses before anything is written or charged, saying what to do (Stripe,
    speaking endive, would refuse the debit and name a parameter)."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    setup = save_sepa(sandbox.url, user, SWISS_IBAN)  # the frame on the account's old version
    assert object_get("stripe", "payment_method", setup.payment_method) is not None
    with pytest.raises(MethodUnavailable) as refused:
        _pay(user, setup.payment_method)
    assert refused.value.message == SEPA_ADDRESS_NEEDED
    assert refused.value.field == "payment_method"
    assert not Payment.objects.filter(customer=user.customer).exists()
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()


# --- a mandate saved without the address, repaired from the Billing page's --------------------

BILLING = {
    "address_line1": "Bahnhofstrasse 1",
    "address_line2": "3. Stock",
    "city": "Zürich",
    "postal_code": "8001",
    "region": "ZH",
    "country": "CH",
}
SENT = {
    "line1": "Bahnhofstrasse 1",
    "line2": "3. Stock",
    "city": "Zürich",
    "postal_code": "8001",
    "state": "ZH",
    "country": "CH",
}


def _pay(user, pm: str, currency: str = "EUR"):
    return checkout_start(
        customer=user.customer,
        user=user,
        method="card",
        amount="20.00",
        currency=currency,
        idempotency_key=new_form_token(),
        saved_method=pm,
    )


def _address_at_stripe(pm: str):
    return object_get("stripe", "payment_method", pm).data["billing_details"]["address"]


def test_a_swiss_mandate_saved_without_the_address_gets_the_billing_address_and_is_charged(
    sandbox, online_customer
):
    """Saved before the change (no address); the customer has since filled in the Billing page:
    Make Payment sends that address to Stripe's PaymentMethod, then the debit goes through."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user, SWISS_IBAN).payment_method
    assert _address_at_stripe(pm) is None
    BillingProfile.objects.create(customer=user.customer, **BILLING)
    checkout = _pay(user, pm)
    assert checkout.problem == ""
    assert checkout.payment.status == PaymentStatus.PENDING  # SEPA: processing for days
    assert _address_at_stripe(pm) == SENT
    [entry] = AuditEntry.objects.filter(action="payment_method_address_send")
    assert (entry.actor_id, entry.customer_id) == (user.pk, user.customer.pk)
    assert entry.after == {"payment_method": pm, "billing_address": SENT, "address_complete": True}
    assert PaymentLogEntry.objects.filter(event_id=f"POST /v1/payment_methods/{pm}").count() == 1
    settled = sandbox_staff().post(
        "/sandbox/stripe/sepa/settle/",
        {"intent": checkout.payment.gateway_reference, "action": "succeed"},
    )
    assert settled.status_code == 302
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.COMPLETED
    # Paid again: the address is there now, nothing is sent again.
    assert _pay(user, pm).problem == ""
    assert AuditEntry.objects.filter(action="payment_method_address_send").count() == 1


def test_without_a_complete_billing_address_nothing_is_sent_and_nothing_charged(
    sandbox, online_customer
):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user, SWISS_IBAN).payment_method
    BillingProfile.objects.create(customer=user.customer, **{**BILLING, "postal_code": ""})
    with pytest.raises(MethodUnavailable, match="add it on the Billing page"):
        _pay(user, pm)
    assert not Payment.objects.filter(customer=user.customer).exists()
    assert not SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").exists()
    assert _address_at_stripe(pm) is None
    assert not AuditEntry.objects.filter(action="payment_method_address_send").exists()


@pytest.mark.parametrize(
    ("refusal", "field"),
    [
        ({"minimum_amount": "50.00"}, "amount"),  # below SEPA Direct Debit's smallest payment
        ({"enabled": False}, "method"),  # SEPA Direct Debit switched off
        ({"currency": "USD"}, "currency"),  # a mandate pays in EUR only
    ],
)
def test_a_refused_quote_sends_no_address_to_stripe(sandbox, online_customer, refusal, field):
    """The quote is checked before the address is sent: a payment the quote refuses leaves the
    mandate's PaymentMethod as it was at Stripe (no update asked) and writes no audit entry."""
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user, SWISS_IBAN).payment_method
    BillingProfile.objects.create(customer=user.customer, **BILLING)
    currency = refusal.pop("currency", "EUR")
    MethodConfig.objects.filter(method="sepa_debit").update(**refusal)
    with pytest.raises(PaydeskError) as refused:
        _pay(user, pm, currency)
    assert refused.value.field == field
    assert _address_at_stripe(pm) is None
    assert not PaymentLogEntry.objects.filter(event_id=f"POST /v1/payment_methods/{pm}").exists()
    assert not AuditEntry.objects.filter(action="payment_method_address_send").exists()
    assert not Payment.objects.filter(customer=user.customer).exists()


def test_the_api_sends_no_address_for_a_refused_quote(sandbox, online_customer):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user, SWISS_IBAN).payment_method
    BillingProfile.objects.create(customer=user.customer, **BILLING)
    MethodConfig.objects.filter(method="sepa_debit").update(maximum_amount="10.00")
    api = ApiClient(key_for(user, "read", "pay"))
    refused = api.post(
        "/api/v1/payments",
        {"method": "card", "amount": "20.00", "currency": "EUR", "payment_method": pm},
        **{"Idempotency-Key": "sepa-too-much-01"},
    )
    assert refused.status_code == 422, refused.content
    assert refused.json()["error"]["field"] == "amount"
    assert _address_at_stripe(pm) is None
    assert not AuditEntry.objects.filter(action="payment_method_address_send").exists()
    # Within the quote's rules the same call sends the address, then debits.
    paid = api.post(
        "/api/v1/payments",
        {"method": "card", "amount": "10.00", "currency": "EUR", "payment_method": pm},
        **{"Idempotency-Key": "sepa-in-range-01"},
    )
    assert paid.status_code == 201, paid.content
    assert _address_at_stripe(pm) == SENT


def test_an_eea_mandate_is_never_updated(sandbox, online_customer):
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user, IBAN).payment_method
    BillingProfile.objects.create(customer=user.customer, **BILLING)
    checkout = _pay(user, pm)
    assert checkout.problem == ""
    assert checkout.payment.status == PaymentStatus.PENDING
    assert _address_at_stripe(pm) is None
    assert not AuditEntry.objects.filter(action="payment_method_address_send").exists()


# --- the sandbox's "Update a PaymentMethod" ---------------------------------------------------


def _update(base_url: str, pm: str, fields: dict[str, str], *, key: str = "", version: str = ""):
    headers = {"Authorization": f"Bearer {key or settings.PAYDESK_STRIPE_SECRET_KEY}"}
    if version:
        headers["Stripe-Version"] = version
    return httpx.post(
        f"{base_url}/sandbox/stripe/v1/payment_methods/{pm}", data=fields, headers=headers
    )


def _address_fields(address: dict[str, str]) -> dict[str, str]:
    return {f"billing_details[address][{k}]": v for k, v in address.items()}


def test_the_sandbox_updates_only_an_attached_payment_method(sandbox, online_customer):
    unknown = _update(sandbox.url, "pm_NoSuchMethod1234", _address_fields(ADDRESS))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "resource_missing"
    loose = sepa_method_answer(sandbox.url, SWISS_IBAN).json()["id"]  # attached to nobody
    detached = _update(sandbox.url, loose, _address_fields(ADDRESS))
    assert detached.status_code == 400
    assert detached.json()["error"]["message"] == (
        "You must save this PaymentMethod to a customer before you can update it."
    )
    assert _address_at_stripe(loose) is None
    publishable = _update(
        sandbox.url, loose, _address_fields(ADDRESS), key=settings.PAYDESK_STRIPE_PUBLISHABLE_KEY
    )
    assert publishable.status_code == 401
    user = online_customer("card", "EUR", account="EUR", sepa=True)
    pm = save_sepa(sandbox.url, user, SWISS_IBAN).payment_method
    # From endive a non-EEA IBAN's PaymentMethod may not be left without the four.
    partial = _update(
        sandbox.url,
        pm,
        _address_fields({k: v for k, v in ADDRESS.items() if k != "city"}),
        version=STRIPE_API_VERSION,
    )
    assert partial.status_code == 400
    assert partial.json()["error"]["param"] == "billing_details[address][city]"
    assert _address_at_stripe(pm) is None
    done = _update(sandbox.url, pm, _address_fields(ADDRESS), version=STRIPE_API_VERSION)
    assert done.status_code == 200, done.text
    assert {k: done.json()["billing_details"]["address"][k] for k in ADDRESS} == ADDRESS
    assert done.json()["billing_details"]["name"] == "Jenny Rosen"  # the rest is kept
    assert _address_at_stripe(pm)["line2"] is None
