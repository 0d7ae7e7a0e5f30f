"""Contract: Paydesk's Paystack client and the sandbox's Paystack both speak the API as Paystack's
official OpenAPI description (`tests/gateways/data/paystack-openapi.yaml`, copied verbatim from
the reference folder) says.

(a) every request our client puts on the wire — path, path parameters, `Authorization: Bearer`,
    JSON body against the operation's requestBody schema — and (b) every answer the sandbox gives
    (status code and body against that status's response schema) is validated with openapi-core.
The requests are recorded as sent (httpx's Client.send wrapped), never built by the test.

Quirks of the file, followed as written:
- `amount` is `integer` (Paystack's live API also takes digits in a string): our client sends a
  JSON integer of hundredths;
- `Error.code` is an enum of validation_error / processor_error / api_error, so the 404 of
  verify carries no `code` (the live API says `transaction_not_found`); the 400 of initialize
  has its own schema, where `code: duplicate_reference` is allowed;
- verify's `data.status` is a free string (the list filter names success, failed, abandoned,
  reversed); the adapter keeps any other status pending.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from paydesk.checkout.refunds import payment_refund, refund_check
from paydesk.errors import GatewayError
from paydesk.gateways.paystack.client import (
    PaystackAuthFailed,
    PaystackClient,
    PaystackDuplicateReference,
    PaystackNotFound,
)
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.models import PaymentStatus
from paydesk.money import Money
from tests.factories import StaffFactory
from tests.online.openapi_wire import as_spec_request, as_spec_response
from tests.online.paystack_support import (  # noqa: F401 (wire_fixture: the `wire` fixture)
    SANDBOX_PREFIX,
    Wire,
    press,
    start,
    wire_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)

SPEC_FILE = Path(__file__).resolve().parents[1] / "gateways" / "data" / "paystack-openapi.yaml"
SERVER = "https://api.paystack.co"  # the file's server: the sandbox's prefix stands for it


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_FILE))


def _as_spec_request(request: httpx.Request) -> MockRequest:
    return as_spec_request(
        request, server=SERVER, path=request.url.path.removeprefix(SANDBOX_PREFIX)
    )


_as_spec_response = as_spec_response


def _validate_all(spec: OpenAPI, wire: Wire, *, requests: bool = True) -> list[tuple[str, int]]:
    """Validate every recorded exchange; what was seen, as (METHOD path, status)."""
    seen = []
    for request, response in wire.api():
        spec_request = _as_spec_request(request)
        if requests:
            spec.validate_request(spec_request)
        spec.validate_response(spec_request, _as_spec_response(response))
        seen.append((f"{request.method} {spec_request.path}", response.status_code))
    return seen


def test_the_file_is_the_official_one_and_the_validator_is_strict(spec):
    """The validator refuses what the file forbids (so a pass below means something)."""
    body = {"email": "a@example.com", "amount": "500000", "currency": "EUR"}
    bad = MockRequest(
        SERVER,
        "post",
        "/transaction/initialize",
        headers={"Authorization": "Bearer sk_test_x"},
        data=json.dumps(body).encode(),
        content_type="application/json",
    )
    with pytest.raises(Exception, match="is not of type 'integer'"):
        spec.validate_request(bad)
    no_key = MockRequest(SERVER, "get", "/transaction/verify/ABC")
    with pytest.raises(Exception, match="Security"):
        spec.validate_request(no_key)
    verify = MockRequest(
        SERVER, "get", "/transaction/verify/ABC", headers={"Authorization": "Bearer sk_test_x"}
    )
    thin = {"status": True, "message": "ok", "data": {"id": 1, "status": "success"}}
    with pytest.raises(Exception, match="required property"):
        spec.validate_response(verify, MockResponse(json.dumps(thin).encode()))
    assert "Paystack" in SPEC_FILE.read_text()[:200]


def test_a_paid_checkout_speaks_the_documented_api(spec, wire, sandbox, online_customer):
    user = online_customer("paystack", "NGN")
    checkout = start(user, amount="5000")
    payment = checkout.payment
    paystack = gateway_for("paystack")
    # Verified before paying (abandoned) and after (success, fees, authorization).
    paystack.fetch_status(payment_reference=payment.reference, gateway_reference="")
    press(checkout.redirect_url, "pay")
    paystack.fetch_status(payment_reference=payment.reference, gateway_reference="")
    seen = _validate_all(spec, wire)
    assert seen == [
        ("POST /transaction/initialize", 200),
        ("GET /transaction/verify/" + payment.reference, 200),
        ("GET /transaction/verify/" + payment.reference, 200),
    ]
    sent = json.loads(wire.api()[0][0].content)
    assert sent["amount"] == 500000 and isinstance(sent["amount"], int)
    paid = json.loads(wire.api()[-1][1].content)["data"]
    assert paid["status"] == "success" and paid["fees"] == 7500


def test_declined_and_unknown_transactions_speak_the_documented_api(
    spec, wire, sandbox, online_customer
):
    user = online_customer("paystack", "GHS")
    checkout = start(user, amount="10", currency="GHS")
    press(checkout.redirect_url, "decline")
    client = PaystackClient()
    assert client.verify(checkout.payment.reference).status == "failed"
    with pytest.raises(PaystackNotFound):
        client.verify("NEVER-INITIALIZED-1")
    seen = _validate_all(spec, wire)
    assert [status for _, status in seen] == [200, 200, 404]


def test_refusals_speak_the_documented_api(spec, wire, sandbox):
    client = PaystackClient()
    charge = {
        "email": "payer@example.com",
        "amount": Money("25.00", "USD"),
        "reference": "PAYDESK-CONTRACT-1",
        "callback_url": f"{sandbox.url}/pay/return/X/",
    }
    client.initialize(**charge)
    with pytest.raises(PaystackDuplicateReference):
        client.initialize(**charge)
    # (The sandbox reads the same settings, so the wrong key is the client's alone.)
    wrong = PaystackClient(secret_key="sk_test_wrong")
    with pytest.raises(PaystackAuthFailed):
        wrong.initialize(**{**charge, "reference": "PAYDESK-CONTRACT-2"})
    with pytest.raises(PaystackAuthFailed):
        wrong.verify("PAYDESK-CONTRACT-1")
    seen = _validate_all(spec, wire)
    assert [status for _, status in seen] == [200, 400, 401, 401]
    duplicate = json.loads(wire.api()[1][1].content)
    assert duplicate["code"] == "duplicate_reference" and duplicate["status"] is False


def test_the_sandboxs_field_refusals_match_the_file(spec, wire, sandbox):
    """Requests the client would never send (it checks first), sent raw: the sandbox's 400s and
    401s still have the documented shapes. Only the answers are validated here."""
    key = "Bearer sk_test_paydesk_sandbox_paystack"
    url = f"{sandbox.url}{SANDBOX_PREFIX}/transaction/initialize"
    cases = [
        {"email": "not-an-email", "amount": 100, "currency": "NGN"},
        {"email": "a@example.com", "amount": 0, "currency": "NGN"},
        {"email": "a@example.com", "amount": 100, "currency": "EUR"},
        {"email": "a@example.com", "amount": 100, "currency": "NGN", "reference": "bad ref!"},
    ]
    for body in cases:
        answer = httpx.post(url, json=body, headers={"Authorization": key})
        assert answer.status_code == 400 and answer.json()["status"] is False, body
    assert httpx.post(url, json=cases[0]).status_code == 401  # no Authorization header
    seen = _validate_all(spec, wire, requests=False)
    assert [status for _, status in seen] == [400, 400, 400, 400, 401]


def test_client_checks_what_paystack_would_refuse_before_sending(wire, sandbox):
    client = PaystackClient()
    with pytest.raises(GatewayError, match="does not charge EUR"):
        client.initialize(
            email="a@example.com",
            amount=Money("5", "EUR"),
            reference="R-1",
            callback_url="https://example.com/",
        )
    with pytest.raises(GatewayError, match="letters, digits"):
        client.initialize(
            email="a@example.com",
            amount=Money("5", "NGN"),
            reference="R 1",
            callback_url="https://example.com/",
        )
    assert wire.api() == []


def test_fetching_a_refund_speaks_the_documented_api(spec, wire, sandbox, online_customer):
    """Reconciliation's question about a refund (`GET /refund/{id}`, Fetch Refund): the
    request (path, `Authorization: Bearer`) and the sandbox's answers (200, and 404 for an id it
    never made) against the file."""
    user = online_customer("paystack", "NGN", account="NGN")
    checkout = start(user, amount="5000")
    press(checkout.redirect_url, "pay")
    sandbox.switch(webhooks="none")
    refund = payment_refund(
        payment=checkout.payment,
        reason="Asked",
        total="2000.00",
        actor=StaffFactory(staff_role="finance"),
    )
    assert refund.status == PaymentStatus.PENDING
    refund_id = refund.gateway_transaction.removeprefix("refund:")
    wire.exchanges.clear()
    refund_check(refund=refund)
    with pytest.raises(PaystackNotFound):
        PaystackClient().refund_get("99")
    one = f"{SANDBOX_PREFIX}/refund/"
    fetched = [(q, r) for q, r in wire.exchanges if q.url.path.startswith(one)]
    seen = []
    for request, response in fetched:
        spec_request = _as_spec_request(request)
        spec.validate_request(spec_request)
        spec.validate_response(spec_request, _as_spec_response(response))
        seen.append((f"{request.method} {spec_request.path}", response.status_code))
    assert seen == [(f"GET /refund/{refund_id}", 200), ("GET /refund/99", 404)]
    key = settings.PAYDESK_PAYSTACK_SECRET_KEY
    assert fetched[0][0].headers["authorization"] == f"Bearer {key}"
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED
