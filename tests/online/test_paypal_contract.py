"""Contract: Paydesk's PayPal client and the sandbox's PayPal both speak the API as PayPal's
official OpenAPI descriptions say — Orders v2 (`tests/gateways/data/paypal-checkout_orders_v2.json`,
2.13) and Payments v2 (`paypal-payments_payment_v2.json`, 2.5), copied unchanged from
github.com/paypal/paypal-rest-api-specifications at commit
ec4d8f36a6ab0abcc3865e1072aaddc85ea14d5c; Apache License 2.0, which allows redistribution (its
text is committed beside them; tests/gateways/data/README.md).

(a) every request the client puts on the wire — path and path parameters, the header parameters
    (`PayPal-Request-Id`, `Prefer`), the JSON body against the operation's requestBody schema —
    and (b) every answer the sandbox gives (status code and body against that status's schema)
    is validated with openapi-core. Requests are recorded as sent (httpx's Client.send wrapped),
    never built by the test. Operations: orders.create, orders.get, orders.capture,
    captures.refund; and the sandbox's captures.get and refunds.get (the refund's `up` and
    `self` links; the client never calls them).

The webhooks' envelopes are not in these files, but their resources are Payments v2's: the
`capture` of PAYMENT.CAPTURE.COMPLETED / PENDING / DENIED and the `refund` of
PAYMENT.CAPTURE.REFUNDED are validated against those component schemas.

Not described by these files, so checked by hand here: `POST /v1/oauth2/token` (only named as
the securitySchemes' clientCredentials tokenUrl; checked against RFC 6749 §4.4 and §5.1). The
client makes no verify-webhook-signature call (it verifies webhooks locally: webhooks.py).

Quirks, followed as written:
- the files' `security` is OAuth2; openapi-core does not check a bearer token for it, so the
  `Authorization: Bearer` header is asserted here;
- openapi-spec-validator's default jsonschema-rs backend refuses the file's own
  `components.schemas.email` pattern as an ECMA-262 regex (Python's `re` compiles it): the files
  are checked with its pure-Python jsonschema backend instead, named in their own spec validator
  (paypal_specs.py), never through the process-wide choice another test may have fixed first —
  still checked, never skipped;
- `PayPal-Request-Id` is an optional header in both files, but their words make it what the
  client relies on: an order with a `payment_source` (ours) needs one (400
  PAYPAL_REQUEST_ID_REQUIRED); Orders answers "an idempotent request" (the same id again) with
  200 and the same order, a capture retried with the same id with 200; Payments v2 keeps refund
  keys 45 days and documents only 201 for a refund;
- an error detail's `location` may only be body, path or query: a header's problem has none;
- the `orders.create` 422 list leaves out DECIMALS_NOT_SUPPORTED and CURRENCY_NOT_SUPPORTED,
  which PayPal's troubleshooting page lists and the sandbox still answers; no test here sends
  such an order (the client refuses it first).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
from django.conf import settings as django_settings
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from paydesk.checkout.refunds import payment_refund, refund_check
from paydesk.errors import GatewayError
from paydesk.gateways.paypal.client import PayPalClient, PayPalRefusal
from paydesk.ledger.models import PaymentStatus
from paydesk.money import Money
from paydesk.sandbox.models import SandboxWebhook
from tests.factories import StaffFactory
from tests.online.openapi_wire import as_spec_request, as_spec_response
from tests.online.paypal_specs import ORDERS_FILE, PAYMENTS_FILE, paypal_spec
from tests.online.paypal_steps import come_back, paypal_tokens_forget, press, start
from tests.signin import sandbox_staff

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # openapi-core's word for the files' OAuth2 scheme, which it does not check (see above)
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]

SERVER = "https://api-m.sandbox.paypal.com"  # the files' server: the sandbox's prefix stands for it
PREFIX = "/sandbox/paypal"
TOKEN_PATH = "/v1/oauth2/token"


@dataclass
class Specs:
    orders: OpenAPI
    payments: OpenAPI

    def for_path(self, path: str) -> OpenAPI:
        return self.payments if path.startswith("/v2/payments/") else self.orders


@pytest.fixture(scope="module")
def specs() -> Specs:
    return Specs(orders=paypal_spec(ORDERS_FILE), payments=paypal_spec(PAYMENTS_FILE))


@pytest.fixture(autouse=True)
def fresh_tokens():
    paypal_tokens_forget()
    yield
    paypal_tokens_forget()


@dataclass
class Wire:
    """Every request that reached the sandbox's PayPal API and its answer, as on the wire."""

    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)

    def api(self) -> list[tuple[httpx.Request, httpx.Response]]:
        """The Orders / Payments calls (the OAuth token calls left out)."""
        return [(q, r) for q, r in self.exchanges if _path(q).startswith("/v2/")]

    def tokens(self) -> list[tuple[httpx.Request, httpx.Response]]:
        return [(q, r) for q, r in self.exchanges if _path(q) == TOKEN_PATH]


@pytest.fixture
def wire(monkeypatch) -> Wire:
    recorded = Wire()
    send = httpx.Client.send

    def recording_send(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        path = _path(request)
        if path.startswith("/v1/") or path.startswith("/v2/"):
            response.read()
            recorded.exchanges.append((request, response))
        return response

    monkeypatch.setattr(httpx.Client, "send", recording_send)
    return recorded


def _path(request: httpx.Request) -> str:
    path = request.url.path
    return path.removeprefix(PREFIX) if path.startswith(PREFIX + "/") else ""


def _as_spec_request(request: httpx.Request) -> MockRequest:
    return as_spec_request(request, server=SERVER, path=_path(request))


def _validate_all(
    specs: Specs, exchanges: list[tuple[httpx.Request, httpx.Response]], *, requests: bool = True
) -> list[tuple[str, int]]:
    """Validate each exchange against its file; what was seen, as (METHOD path, status)."""
    seen = []
    for request, response in exchanges:
        spec_request = _as_spec_request(request)
        spec = specs.for_path(spec_request.path)
        if requests:
            spec.validate_request(spec_request)
            assert request.headers["authorization"].startswith("Bearer ")
        spec.validate_response(spec_request, as_spec_response(response))
        seen.append((f"{request.method} {spec_request.path}", response.status_code))
    return seen


def _check_token_calls(wire: Wire) -> None:
    """RFC 6749 §4.4 (client credentials) and §5.1, which the files' tokenUrl points to."""
    assert wire.tokens(), "the client asked for a token"
    for request, response in wire.tokens():
        assert request.method == "POST"
        scheme, _, credentials = request.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
        assert (client_id, secret) == (
            django_settings.PAYDESK_PAYPAL_CLIENT_ID,
            django_settings.PAYDESK_PAYPAL_CLIENT_SECRET,
        )
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"]}
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and body["access_token"]
        assert isinstance(body["expires_in"], int) and body["expires_in"] > 0


def _order(client: PayPalClient, sandbox, n: int, *, request_id: str) -> dict:
    """Order PAYDESK-CONTRACT-<n>, 12.00 USD, created by the client itself."""
    back = f"{sandbox.url}/pay/return/PAYDESK-CONTRACT-{n}/"
    return client.order_create(
        reference=f"PAYDESK-CONTRACT-{n}",
        amount=Money(Decimal("12.00"), "USD"),
        description="Top-up",
        return_url=back,
        cancel_url=f"{back}?cancelled=1",
        request_id=request_id,
    )


def _refund(client: PayPalClient, capture_id: str, value: str, n: int, note: str = "") -> dict:
    """Refund `value` USD of a capture as PAYDESK-REFUND-<n> (request id refund:contract-<n>)."""
    return client.capture_refund(
        capture_id,
        amount=Money(Decimal(value), "USD"),
        custom_id=f"PAYDESK-REFUND-{n}",
        note_to_payer=note,
        request_id=f"refund:contract-{n:04d}",
    )


def _paid(user, amount: str = "50.00"):
    checkout = start(user, amount)
    payment = come_back(user, press(checkout, "approve"))
    assert payment.status == PaymentStatus.COMPLETED and payment.gateway_transaction
    return payment


def test_the_files_are_the_official_ones_and_the_validator_is_strict(specs):
    """The validator refuses what the files forbid (so a pass below means something)."""
    assert json.loads(ORDERS_FILE.read_text())["info"]["title"] == "Orders"
    assert json.loads(PAYMENTS_FILE.read_text())["info"]["title"] == "Payments"
    body = {
        "intent": "CAPTURE",
        "purchase_units": [{"amount": {"currency_code": "USD", "value": 10}}],
    }
    bad = MockRequest(
        SERVER,
        "post",
        "/v2/checkout/orders",
        headers={"Authorization": "Bearer x"},
        data=json.dumps(body).encode(),
        content_type="application/json",
    )
    with pytest.raises(Exception, match="is not of type 'string'"):
        specs.orders.validate_request(bad)
    lower_id = MockRequest(SERVER, "get", "/v2/checkout/orders/abc123")
    with pytest.raises(Exception, match="id"):
        specs.orders.validate_request(lower_id)
    wrong_prefer = MockRequest(
        SERVER,
        "post",
        "/v2/checkout/orders/ABC/capture",
        headers={"Prefer": "return=representation;x"},
        data=b"{}",
        content_type="application/json",
    )
    with pytest.raises(Exception, match="Prefer"):
        specs.orders.validate_request(wrong_prefer)
    refund = MockRequest(
        SERVER,
        "post",
        "/v2/payments/captures/ABC/refund",
        data=json.dumps({"note_to_payer": "a\nb"}).encode(),
        content_type="application/json",
    )
    with pytest.raises(Exception, match="does not match"):
        specs.payments.validate_request(refund)
    get = MockRequest(SERVER, "get", "/v2/checkout/orders/ABC")
    odd = {"id": "ABC", "status": "PAID"}
    with pytest.raises(Exception, match="is not one of"):
        specs.orders.validate_response(get, MockResponse(json.dumps(odd).encode()))


def test_a_paid_and_refunded_payment_speaks_the_documented_api(
    specs, wire, sandbox, online_customer
):
    """Create, approve, come back (capture), show, refund: every call the client makes."""
    user = online_customer("paypal", "USD")
    payment = _paid(user)
    PayPalClient().order_get(payment.gateway_reference, payment_reference=payment.reference)
    refund = payment_refund(
        payment=payment,
        reason="Asked",
        total="20.00",
        actor=StaffFactory(staff_role="finance"),
    )
    assert refund.status == PaymentStatus.COMPLETED
    order_id, capture_id = payment.gateway_reference, payment.gateway_transaction
    seen = _validate_all(specs, wire.api())
    assert seen == [
        ("POST /v2/checkout/orders", 201),
        (f"GET /v2/checkout/orders/{order_id}", 200),  # the return looks before capturing
        (f"POST /v2/checkout/orders/{order_id}/capture", 201),
        (f"GET /v2/checkout/orders/{order_id}", 200),
        (f"POST /v2/payments/captures/{capture_id}/refund", 201),
    ]
    _check_token_calls(wire)
    requests = [q for q, _ in wire.api()]
    assert all(q.headers["prefer"] == "return=representation" for q in requests)
    create, _, capture, get, refund_call = requests
    # PayPal-Request-Id on every call PayPal makes idempotent with it, never on a read.
    assert create.headers["paypal-request-id"] == payment.idempotency_key
    assert capture.headers["paypal-request-id"] == f"capture:{order_id}"
    assert refund_call.headers["paypal-request-id"] == f"refund-{refund.reference}"
    assert "paypal-request-id" not in get.headers
    sent = json.loads(create.content)["purchase_units"][0]
    assert sent["amount"] == {"currency_code": "USD", "value": "50.00"}
    assert json.loads(refund_call.content)["amount"] == {"currency_code": "USD", "value": "20.00"}


def test_the_same_paypal_request_id_is_answered_as_the_files_say(
    specs, wire, sandbox, online_customer
):
    """Orders: the same id again → 200 and the same order (create and capture alike);
    Payments: the same refund id again → the same refund, 201 (the only success it documents)."""
    user = online_customer("paypal", "USD")
    client = PayPalClient()
    orders = [_order(client, sandbox, 1, request_id="checkout:contract-0001") for _ in range(2)]
    assert orders[0]["id"] == orders[1]["id"]
    payment = _paid(user)
    again = client.order_capture(payment.gateway_reference)
    assert again["purchase_units"][0]["payments"]["captures"][0]["id"] == (
        payment.gateway_transaction
    )
    refunds = [
        _refund(client, payment.gateway_transaction, "5.00", 1, note="Asked") for _ in range(2)
    ]
    assert refunds[0]["id"] == refunds[1]["id"]
    seen = _validate_all(specs, wire.api())
    order_id, capture_id = payment.gateway_reference, payment.gateway_transaction
    assert seen == [
        ("POST /v2/checkout/orders", 201),
        ("POST /v2/checkout/orders", 200),
        ("POST /v2/checkout/orders", 201),
        (f"GET /v2/checkout/orders/{order_id}", 200),
        (f"POST /v2/checkout/orders/{order_id}/capture", 201),
        (f"POST /v2/checkout/orders/{order_id}/capture", 200),
        (f"POST /v2/payments/captures/{capture_id}/refund", 201),
        (f"POST /v2/payments/captures/{capture_id}/refund", 201),
    ]


def test_refusals_speak_the_documented_api(specs, wire, sandbox, online_customer):
    """An unknown order (404), a capture before approval (422), a refund beyond the capture
    (422) and a refund of an unknown capture (404): the answers have the files' error shapes."""
    user = online_customer("paypal", "USD")
    client = PayPalClient()
    with pytest.raises(PayPalRefusal) as unknown:
        client.order_get("NEVERCREATED0001")
    assert unknown.value.status == 404
    checkout = start(user, "10.00")
    with pytest.raises(PayPalRefusal) as early:
        client.order_capture(checkout.payment.gateway_reference)
    assert early.value.issue == "ORDER_NOT_APPROVED"
    payment = _paid(user, "10.00")
    with pytest.raises(PayPalRefusal) as beyond:
        _refund(client, payment.gateway_transaction, "10.01", 2)
    assert beyond.value.issue == "REFUND_AMOUNT_EXCEEDED"
    with pytest.raises(PayPalRefusal) as nowhere:
        _refund(client, "NEVERCAPTURED0001", "1.00", 3)
    assert nowhere.value.status == 404
    seen = _validate_all(specs, wire.api())
    assert [status for _, status in seen] == [404, 201, 422, 201, 200, 201, 422, 404]


def test_the_sandboxs_other_answers_match_the_files(specs, wire, sandbox, online_customer):
    """Requests the client never sends, sent raw: no token (401), bodies PayPal refuses (400,
    422), a `PayPal-Request-Id` over 108 characters (400), and a refund's `self` and `up` links
    (refunds.get, captures.get), known and unknown. Only the answers are validated."""
    user = online_customer("paypal", "USD")
    payment = _paid(user, "10.00")
    client = PayPalClient()
    refund = _refund(client, payment.gateway_transaction, "4.00", 5)
    links = {link["rel"]: link["href"] for link in refund["links"]}
    bearer = {"Authorization": f"Bearer {client.access_token()}"}
    api = f"{sandbox.url}{PREFIX}"
    before = len(wire.api())
    answers = [
        httpx.post(f"{api}/v2/checkout/orders", json={"intent": "CAPTURE"}),
        httpx.post(f"{api}/v2/checkout/orders", json={"intent": "CAPTURE"}, headers=bearer),
        httpx.post(
            f"{api}/v2/checkout/orders",
            json={
                "intent": "CAPTURE",
                "purchase_units": [{"amount": {"currency_code": "USD", "value": "10.505"}}],
            },
            headers=bearer,
        ),
        httpx.post(
            f"{api}/v2/checkout/orders/{payment.gateway_reference}/capture",
            json={},
            headers={**bearer, "PayPal-Request-Id": "k" * 109},
        ),
        httpx.get(links["self"], headers=bearer),
        httpx.get(links["up"], headers=bearer),
        httpx.get(f"{api}/v2/payments/refunds/NEVERREFUNDED0001", headers=bearer),
        httpx.get(f"{api}/v2/payments/captures/NEVERCAPTURED0001", headers=bearer),
    ]
    seen = _validate_all(specs, wire.api()[before:], requests=False)
    assert seen == [
        ("POST /v2/checkout/orders", 401),
        ("POST /v2/checkout/orders", 400),
        ("POST /v2/checkout/orders", 422),
        (f"POST /v2/checkout/orders/{payment.gateway_reference}/capture", 400),
        (f"GET /v2/payments/refunds/{refund['id']}", 200),
        (f"GET /v2/payments/captures/{payment.gateway_transaction}", 200),
        ("GET /v2/payments/refunds/NEVERREFUNDED0001", 404),
        ("GET /v2/payments/captures/NEVERCAPTURED0001", 404),
    ]
    assert answers[4].json() == refund
    assert answers[5].json()["status"] == "PARTIALLY_REFUNDED"


def test_the_client_sends_only_what_the_files_allow(specs, wire, sandbox):
    """An order id outside the path's `^[A-Z0-9]+$` (1 to 36) never reaches PayPal; a refund
    note with line breaks (its pattern `^.*$` refuses them) is sent on one line."""
    client = PayPalClient()
    for order_id in ("abc123", "A" * 37):
        with pytest.raises(GatewayError, match="not a PayPal order id"):
            client.order_get(order_id)
        with pytest.raises(GatewayError, match="not a PayPal order id"):
            client.order_capture(order_id)
    assert wire.api() == []
    with pytest.raises(PayPalRefusal):
        _refund(client, "NEVERCAPTURED0002", "1.00", 4, note="Asked by phone\r\nagain  ")
    assert _validate_all(specs, wire.api()) == [
        ("POST /v2/payments/captures/NEVERCAPTURED0002/refund", 404)
    ]
    assert json.loads(wire.api()[0][0].content)["note_to_payer"] == "Asked by phone again"


def test_an_order_with_a_payment_source_needs_a_paypal_request_id(specs, wire, sandbox):
    """Orders v2: "A PayPal-Request-Id is required if you are trying to process payment for an
    Order" (PAYPAL_REQUEST_ID_REQUIRED). The client's order has a payment_source, so it never
    sends one without the header; the sandbox refuses it as PayPal does."""
    client = PayPalClient()
    with pytest.raises(GatewayError, match="PayPal-Request-Id"):
        _order(client, sandbox, 2, request_id="")
    assert wire.api() == []
    order = {
        "intent": "CAPTURE",
        "purchase_units": [{"amount": {"currency_code": "USD", "value": "12.00"}}],
    }
    bearer = {"Authorization": f"Bearer {client.access_token()}"}
    url = f"{sandbox.url}{PREFIX}/v2/checkout/orders"
    with_source = {**order, "payment_source": {"paypal": {"experience_context": {}}}}
    refused = httpx.post(url, json=with_source, headers=bearer)
    plain = httpx.post(url, json=order, headers=bearer)
    assert _validate_all(specs, wire.api(), requests=False) == [
        ("POST /v2/checkout/orders", 400),
        ("POST /v2/checkout/orders", 201),
    ]
    detail = refused.json()["details"][0]
    assert (detail["issue"], detail["field"]) == ("PAYPAL_REQUEST_ID_REQUIRED", "PayPal-Request-Id")
    assert plain.json()["status"] == "PAYER_ACTION_REQUIRED"


def _resource_validator(schema: str) -> OAS30Validator:
    components = json.loads(PAYMENTS_FILE.read_text())["components"]
    root = {"components": components, "$ref": f"#/components/schemas/{schema}"}
    return OAS30Validator(root, format_checker=oas30_format_checker)


def test_the_webhooks_resources_are_payments_v2_captures_and_refunds(sandbox, online_customer):
    """What Paydesk's webhook parser reads: the resource of each capture and refund webhook the
    sandbox sends, against Payments v2's `capture` and `refund` schemas."""
    user = online_customer("paypal", "USD")
    payment = _paid(user, "30.00")
    for action in ("approve_pending", "approve_decline"):
        come_back(user, press(start(user, "5.00"), action))  # captured on the way back
    payment_refund(
        payment=payment, reason="Asked", total="10.00", actor=StaffFactory(staff_role="finance")
    )
    validators = {
        "capture": _resource_validator("capture"),
        "refund": _resource_validator("refund"),
    }
    assert [e.message for e in validators["capture"].iter_errors({"id": "X", "status": "DONE"})]
    seen = []
    for hook in SandboxWebhook.objects.filter(gateway="paypal").order_by("id"):
        event = json.loads(hook.body)
        if event["resource_type"] in validators:
            errors = list(validators[event["resource_type"]].iter_errors(event["resource"]))
            assert errors == [], (event["event_type"], [e.message for e in errors])
            seen.append((event["event_type"], event["resource"]["status"]))
    assert seen == [
        ("PAYMENT.CAPTURE.COMPLETED", "COMPLETED"),
        ("PAYMENT.CAPTURE.PENDING", "PENDING"),
        ("PAYMENT.CAPTURE.DENIED", "DECLINED"),
        ("PAYMENT.CAPTURE.REFUNDED", "COMPLETED"),
    ]


def test_asking_where_a_refund_stands_speaks_the_documented_api(
    specs, wire, sandbox, online_customer
):
    """Reconciliation's question about a refund PayPal answered PENDING: `GET
    /v2/payments/refunds/{refund_id}` with the bearer token, no body, no request id; the
    sandbox's answer (COMPLETED by then) against the file's `refund` response."""
    user = online_customer("paypal", "USD")
    payment = _paid(user)
    staff = sandbox_staff()
    staff.post("/sandbox/paypal/dashboard", {"action": "hold_next_refund_completed"})
    sandbox.switch(webhooks="none")  # its PAYMENT.CAPTURE.REFUNDED is lost
    refund = payment_refund(
        payment=payment, reason="Asked", total="20.00", actor=StaffFactory(staff_role="finance")
    )
    assert refund.status == PaymentStatus.PENDING
    refund_id = refund.gateway_transaction.removeprefix("refund:")
    wire.exchanges.clear()
    refund_check(refund=refund)
    assert _validate_all(specs, wire.api()) == [(f"GET /v2/payments/refunds/{refund_id}", 200)]
    ((asked, answer),) = wire.api()
    assert asked.method == "GET" and not asked.content
    assert "paypal-request-id" not in asked.headers
    assert answer.json()["status"] == "COMPLETED"
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.COMPLETED
