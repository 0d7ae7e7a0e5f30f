"""The Stripe API version Paydesk speaks, and the sandbox answering by the version a request
speaks (its `Stripe-Version` header) as Stripe's changelog says:
- 2026-07-29.dahlia adds `allowed_payment_method_types` (an unknown parameter before);
- 2026-09-30.endive (and the 2026-08-26 preview) refuses a written `payment_method_types` on
  PaymentIntents and SetupIntents with 400 `payment_method_types_no_longer_supported`; the
  objects still answer it, read-only.
Requests are made here by hand (httpx), never through Paydesk's client: these check the sandbox."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from stripe._api_version import _ApiVersion

from paydesk.gateways.stripe.client import STRIPE_API_VERSION, StripeApi
from paydesk.gateways.stripe.vault import StripeVault
from paydesk.money import Money
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.stripe.common import WEBHOOK_API_VERSION
from tests.online.stripe_support import payment_method

pytestmark = pytest.mark.django_db(transaction=True)

DAHLIA = "2026-07-29.dahlia"
ENDIVE = "2026-09-30.endive"


def test_the_pinned_api_version_is_the_installed_sdks():
    # Fails on an upgrade of `stripe`: read Stripe's changelog between the two versions, then
    # move STRIPE_API_VERSION (and the webhook endpoint's version in the Dashboard).
    assert _ApiVersion.CURRENT == STRIPE_API_VERSION


def test_the_sandbox_webhook_endpoint_speaks_the_version_paydesk_parses():
    assert WEBHOOK_API_VERSION == STRIPE_API_VERSION


def _post(url: str, path: str, data: dict[str, str], version: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {settings.PAYDESK_STRIPE_SECRET_KEY}"}
    if version is not None:
        headers["Stripe-Version"] = version
    return httpx.post(f"{url}/sandbox/stripe/v1/{path}", data=data, headers=headers, timeout=10)


def _intent(url: str, version: str | None, **fields: str) -> httpx.Response:
    data = {"amount": "1050", "currency": "usd", **fields}
    return _post(url, "payment_intents", data, version)


def _error(answer: httpx.Response) -> dict:
    assert answer.status_code == 400, answer.text
    return answer.json()["error"]


@pytest.mark.parametrize("version", [ENDIVE, "2026-10-28.endive", "2026-08-26.preview"])
@pytest.mark.parametrize("path", ["payment_intents", "setup_intents"])
def test_a_written_payment_method_types_is_refused_from_endive(sandbox, version, path):
    data = {"amount": "1050", "currency": "usd"} if path == "payment_intents" else {}
    answer = _post(sandbox.url, path, {**data, "payment_method_types[0]": "card"}, version)
    error = _error(answer)
    assert error["code"] == "payment_method_types_no_longer_supported"
    assert (error["type"], error["param"]) == ("invalid_request_error", "payment_method_types")
    assert not SandboxObject.objects.filter(gateway="stripe", kind=path[:-1]).exists()


@pytest.mark.parametrize("version", [DAHLIA, "2024-06-20", None])
def test_before_endive_payment_method_types_is_still_written(sandbox, version):
    answer = _intent(sandbox.url, version, **{"payment_method_types[0]": "card"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["payment_method_types"] == ["card"]


@pytest.mark.parametrize("path", ["payment_intents", "setup_intents"])
def test_allowed_payment_method_types_is_an_unknown_parameter_before_dahlia(sandbox, path):
    data = {"amount": "1050", "currency": "usd"} if path == "payment_intents" else {}
    answer = _post(
        sandbox.url, path, {**data, "allowed_payment_method_types[0]": "card"}, "2026-03-25.dahlia"
    )
    error = _error(answer)
    assert (error["code"], error["param"]) == (
        "parameter_unknown",
        "allowed_payment_method_types",
    )


def test_a_request_without_stripe_version_speaks_the_accounts_default(sandbox):
    # The sandbox account's default predates dahlia: the parameter is unknown to it.
    answer = _intent(sandbox.url, None, **{"allowed_payment_method_types[0]": "card"})
    assert _error(answer)["code"] == "parameter_unknown"


@pytest.mark.parametrize(
    "other",
    [
        {"payment_method_types[0]": "card"},
        {"excluded_payment_method_types[0]": "sepa_debit"},
        {"automatic_payment_methods[enabled]": "true"},
        {"payment_method_configuration": "pmc_123"},
    ],
)
def test_allowed_payment_method_types_excludes_the_other_ways_to_choose(sandbox, other):
    answer = _intent(sandbox.url, DAHLIA, **{"allowed_payment_method_types[0]": "card", **other})
    assert _error(answer)["param"] == "allowed_payment_method_types"


def test_allowed_types_drop_the_incompatible_ones_and_the_intent_answers_them_read_only(sandbox):
    answer = _intent(
        sandbox.url,
        ENDIVE,
        **{
            "allowed_payment_method_types[0]": "card",
            "allowed_payment_method_types[1]": "sepa_debit",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["payment_method_types"] == ["card"]  # SEPA debits in eur only


def test_an_unknown_api_version_is_refused(sandbox):
    error = _error(_intent(sandbox.url, "2026-13-99.thistle!"))
    assert error["message"].startswith("Invalid Stripe API version")


def test_paydesks_intents_and_setups_are_restricted_to_their_type_on_the_pinned_version(
    sandbox,
):
    intent = StripeApi().payment_intent_create(
        amount=Money(Decimal("10.50"), "EUR"),
        payment_method=payment_method(sandbox.url),
        return_url=f"{sandbox.url}/pay/return/ABCDE-FGHJK-C/",
        payment_reference="ABCDE-FGHJK-C",
        description="Credit Card €10.50",
        idempotency_key="checkout:version-test-0001",
    )
    # In eur the account's dynamic methods would offer sepa_debit too: the card alone is allowed.
    assert intent["payment_method_types"] == ["card"]
    vault = StripeVault()
    customer = vault.customer_create(
        customer_ref="C-1", name="Acme", email="a@example.com", idempotency_key="cus-version-1"
    )
    setup = vault.setup_intent_create(
        customer_id=customer["id"], method_type="sepa_debit", idempotency_key="seti-version-1"
    )
    assert setup["payment_method_types"] == ["sepa_debit"]
    event = json.loads(sandbox.webhooks("stripe")[0].body)
    assert event["api_version"] == STRIPE_API_VERSION
