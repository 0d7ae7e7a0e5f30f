"""PayPal's client against the sandbox's PayPal over HTTP: the OAuth token (cached, renewed,
never recorded), the order's shape and amount encoding, PayPal-Request-Id idempotency for
create and capture, PayPal's error shapes mapped, and webhooks signed exactly as PayPal signs
them (verified by Paydesk's unchanged verifier against the sandbox's published certificate)."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import Client

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.webhooks import _verify_paypal
from paydesk.errors import GatewayError, GatewayUnavailable, WebhookSignatureInvalid
from paydesk.gateways.paypal.client import (
    PayPalClient,
    PayPalRefusal,
    order_link,
    paypal_amount_value,
)
from paydesk.gateways.registry import gateway_for, gateway_is_configured
from paydesk.money import Money
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject, SandboxWebhook
from paydesk.sandbox.paypal.signing import CERT_HOST, certificate_fetch, webhook_headers
from tests.online.paypal_steps import balance, order_of, path_of, paypal_tokens_forget, press, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_tokens():
    paypal_tokens_forget()
    yield
    paypal_tokens_forget()


def _create(
    client: PayPalClient,
    *,
    reference: str = "REF-1",
    value: str = "10.00",
    currency: str = "USD",
    request_id: str = "checkout:key-0001",
) -> dict:
    return client.order_create(
        reference=reference,
        amount=Money(Decimal(value), currency),
        description="Top-up",
        return_url="http://127.0.0.1/return/",
        cancel_url="http://127.0.0.1/return/?cancelled=1",
        request_id=request_id,
    )


def _sent(path: str) -> list[PaymentLogEntry]:
    return list(PaymentLogEntry.objects.filter(direction="sent", event_id__endswith=path))


def _token(sandbox) -> str:
    answer = httpx.post(
        f"{sandbox.url}/sandbox/paypal/v1/oauth2/token",
        auth=(
            django_settings.PAYDESK_PAYPAL_CLIENT_ID,
            django_settings.PAYDESK_PAYPAL_CLIENT_SECRET,
        ),
        data={"grant_type": "client_credentials"},
    )
    assert answer.status_code == 200
    return answer.json()["access_token"]


# --- OAuth -----------------------------------------------------------------------------------


def test_the_token_is_fetched_once_per_process_and_never_recorded(sandbox):
    client = PayPalClient()
    first = _create(client, request_id="checkout:key-0001")
    second = _create(client, reference="REF-2", request_id="checkout:key-0002")
    assert first["id"] != second["id"]
    tokens = _sent("/v1/oauth2/token")
    assert len(tokens) == 1
    assert tokens[0].summary["response.access_token"] == "[redacted]"
    assert tokens[0].summary["request.grant_type"] == "client_credentials"
    everything = json.dumps(list(PaymentLogEntry.objects.values("summary", "detail")))
    assert "A21AA" not in everything  # the token itself, anywhere in the payment log
    assert django_settings.PAYDESK_PAYPAL_CLIENT_SECRET not in everything


def test_wrong_credentials_are_the_operators_problem_not_a_refusal(sandbox, settings):
    settings.PAYDESK_PAYPAL_CLIENT_SECRET = "not-the-secret"
    with pytest.raises(GatewayUnavailable, match="invalid_client"):
        _create(PayPalClient())
    entry = _sent("/v1/oauth2/token")[0]
    assert entry.http_status == 401 and "not-the-secret" not in json.dumps(entry.summary)


def test_wrong_credentials_at_checkout_leave_the_payment_pending_with_the_reason(
    sandbox, settings, online_customer
):
    user = online_customer("paypal", "USD")
    settings.PAYDESK_PAYPAL_CLIENT_SECRET = "not-the-secret"
    payment = start(user).payment
    assert payment.status == "pending"
    assert "PayPal refused Paydesk's API credentials (invalid_client)" in payment.pending_reason


def test_a_token_paypal_no_longer_accepts_is_renewed_once(sandbox, settings, monkeypatch):
    from paydesk.settings import sandbox as paypal_app

    _create(PayPalClient())
    # The secret is rotated, at PayPal and here: the cached token no longer verifies.
    monkeypatch.setattr(paypal_app, "PAYDESK_PAYPAL_CLIENT_SECRET", "rotated-sandbox-secret")
    settings.PAYDESK_PAYPAL_CLIENT_SECRET = "rotated-sandbox-secret"
    client = PayPalClient()
    order = client.order_get(_create(client, reference="R2", request_id="k-2")["id"])
    assert order["status"] == "PAYER_ACTION_REQUIRED"
    assert len(_sent("/v1/oauth2/token")) == 2
    assert [e.http_status for e in _sent("/v2/checkout/orders")] == [201, 401, 201]


def test_the_sandbox_api_wants_a_bearer_token(sandbox):
    url = f"{sandbox.url}/sandbox/paypal/v2/checkout/orders/ANY"
    missing = httpx.get(url)
    assert missing.status_code == 401 and missing.json()["name"] == "AUTHENTICATION_FAILURE"
    forged = httpx.get(url, headers={"Authorization": "Bearer A21AAforged.0000"})
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_token"
    bad_client = httpx.post(
        f"{sandbox.url}/sandbox/paypal/v1/oauth2/token",
        auth=("someone", "else"),
        data={"grant_type": "client_credentials"},
    )
    assert bad_client.status_code == 401
    assert bad_client.json() == {
        "error": "invalid_client",
        "error_description": "Client Authentication failed",
    }


# --- orders ----------------------------------------------------------------------------------


def test_the_order_request_has_paypals_shape(sandbox):
    order = _create(PayPalClient(), value="10.50", request_id="checkout:shape-0001")
    assert order["status"] == "PAYER_ACTION_REQUIRED" and order["intent"] == "CAPTURE"
    assert order_link(order, "payer-action").endswith(f"/checkoutnow?token={order['id']}")
    sent = _sent("/v2/checkout/orders")[0].summary
    assert sent["request.intent"] == "CAPTURE"
    assert sent["request.purchase_units.0.amount.value"] == "10.50"
    assert sent["request.purchase_units.0.amount.currency_code"] == "USD"
    assert sent["request.purchase_units.0.custom_id"] == "REF-1"
    assert sent["request.purchase_units.0.invoice_id"] == "REF-1"
    assert sent["request.payment_source.paypal.experience_context.user_action"] == "PAY_NOW"
    assert sent["idempotency_key"] == "checkout:shape-0001"
    stored = object_get("paypal", "order", order["id"]).data
    assert stored["_sandbox"]["request_id"] == "checkout:shape-0001"


@pytest.mark.parametrize(
    ("value", "currency", "sent"),
    [
        ("10", "USD", "10.00"),
        ("1500", "JPY", "1500"),
        ("2500.00", "HUF", "2500"),
        ("99.5", "TWD", None),
        ("12.5", "EUR", "12.50"),
        ("10.00", "INR", None),
    ],
)
def test_amounts_are_decimal_strings_without_decimals_for_huf_jpy_twd(value, currency, sent):
    money = Money(Decimal(value), currency)
    if sent is None:
        with pytest.raises(GatewayError):
            paypal_amount_value(money)
    else:
        assert paypal_amount_value(money) == sent


def test_the_same_request_id_gives_the_same_order(sandbox):
    client = PayPalClient()
    first = _create(client, request_id="checkout:same-0001")
    again = _create(client, request_id="checkout:same-0001")
    other = _create(client, request_id="checkout:other-0001")
    assert again["id"] == first["id"] != other["id"]
    assert SandboxObject.objects.filter(gateway="paypal", kind="order").count() == 2
    assert [e.http_status for e in _sent("/v2/checkout/orders")] == [201, 200, 201]


def test_paypals_errors_are_mapped(sandbox):
    client = PayPalClient()
    with pytest.raises(PayPalRefusal) as missing:
        client.order_get("NOSUCHORDER0000")
    assert missing.value.status == 404 and missing.value.name == "RESOURCE_NOT_FOUND"
    assert missing.value.issue == "INVALID_RESOURCE_ID"
    order = _create(client)
    with pytest.raises(PayPalRefusal) as unapproved:
        client.order_capture(order["id"])
    assert unapproved.value.status == 422 and unapproved.value.issue == "ORDER_NOT_APPROVED"
    assert "ORDER_NOT_APPROVED" in unapproved.value.message
    with pytest.raises(GatewayError, match="not a PayPal order id"):
        client.order_get("../v1/oauth2/token")


@pytest.mark.parametrize(
    ("currency", "value", "status", "issue"),
    [
        ("JPY", "1500.00", 422, "DECIMALS_NOT_SUPPORTED"),
        ("HUF", "10.5", 422, "DECIMALS_NOT_SUPPORTED"),
        ("USD", "10.005", 422, "DECIMAL_PRECISION"),
        ("XYZ", "10.00", 422, "CURRENCY_NOT_SUPPORTED"),
        ("USD", "0.00", 422, "CANNOT_BE_ZERO_OR_NEGATIVE"),
        ("USD", "ten", 400, "INVALID_PARAMETER_SYNTAX"),
    ],
)
def test_the_sandbox_refuses_amounts_as_paypal_does(sandbox, currency, value, status, issue):
    answer = httpx.post(
        f"{sandbox.url}/sandbox/paypal/v2/checkout/orders",
        headers={"Authorization": f"Bearer {_token(sandbox)}"},
        json={
            "intent": "CAPTURE",
            "purchase_units": [{"amount": {"currency_code": currency, "value": value}}],
        },
    )
    assert answer.status_code == status
    body = answer.json()
    assert body["name"] == ("UNPROCESSABLE_ENTITY" if status == 422 else "INVALID_REQUEST")
    assert body["details"][0]["issue"] == issue
    assert body["details"][0]["field"].startswith("/purchase_units/0/amount")


@pytest.mark.parametrize("path", ["", "/{order}/capture"])
def test_the_sandbox_refuses_a_request_id_longer_than_paypal_takes(sandbox, path):
    """Orders v2 documents `PayPal-Request-Id` as 1 to 108 characters: a longer one is refused,
    never cut to 108 (two ids alike in their first 108 characters are not the same request)."""
    order = _create(PayPalClient())
    url = f"{sandbox.url}/sandbox/paypal/v2/checkout/orders" + path.format(order=order["id"])
    body = {
        "intent": "CAPTURE",
        "purchase_units": [{"amount": {"currency_code": "USD", "value": "10.00"}}],
    }
    orders_before = SandboxObject.objects.filter(gateway="paypal", kind="order").count()
    answer = httpx.post(
        url,
        headers={"Authorization": f"Bearer {_token(sandbox)}", "PayPal-Request-Id": "k" * 109},
        json=body if not path else {},
    )
    assert answer.status_code == 400
    detail = answer.json()["details"][0]
    assert answer.json()["name"] == "INVALID_REQUEST"
    assert detail["issue"] == "INVALID_STRING_LENGTH"
    # no `location`: Orders v2's error_location allows only body, path and query
    assert detail["field"] == "PayPal-Request-Id" and "location" not in detail
    assert SandboxObject.objects.filter(gateway="paypal", kind="order").count() == orders_before
    if not path:  # 108 characters is still a request id PayPal takes
        longest = httpx.post(
            url,
            headers={"Authorization": f"Bearer {_token(sandbox)}", "PayPal-Request-Id": "k" * 108},
            json=body,
        )
        assert longest.status_code == 201


def test_the_capture_is_idempotent_by_its_request_id(sandbox, online_customer):
    user = online_customer("paypal", "USD")
    checkout = start(user)
    press(checkout)
    order_id = checkout.payment.gateway_reference
    client = PayPalClient()
    first = client.order_capture(order_id)
    again = client.order_capture(order_id)
    capture = first["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "COMPLETED"
    assert capture["amount"] == {"currency_code": "USD", "value": "25.00"}
    assert again["purchase_units"][0]["payments"]["captures"][0]["id"] == capture["id"]
    assert order_of(checkout.payment).data["_sandbox"]["captures_made"] == 1
    assert SandboxWebhook.objects.filter(event_type="PAYMENT.CAPTURE.COMPLETED").count() == 1
    # Another request id (someone else capturing) is refused as PayPal refuses it.
    other = httpx.post(
        f"{sandbox.url}/sandbox/paypal/v2/checkout/orders/{order_id}/capture",
        headers={"Authorization": f"Bearer {_token(sandbox)}", "PayPal-Request-Id": "other"},
        json={},
    )
    assert other.status_code == 422
    assert other.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"
    # The webhook sent during the first capture credited the payment, once.
    assert balance(user) == Decimal("25.00")


def test_the_hosted_page_shows_the_order_and_refuses_an_unknown_one(sandbox, online_customer):
    checkout = start(online_customer("paypal", "USD"), "12.34")
    page = Client().get(path_of(checkout.redirect_url)).content.decode()
    assert "12.34 USD" in page and "Approve and pay" in page and "Cancel and return" in page
    assert Client().get("/sandbox/paypal/checkoutnow?token=NOSUCH").status_code == 404


# --- webhooks signed like PayPal's -----------------------------------------------------------


def test_sandbox_webhooks_verify_with_paydesks_verifier_and_a_tampered_one_does_not(sandbox):
    body = b'{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}'
    headers = webhook_headers(body)
    assert headers["PAYPAL-CERT-URL"].startswith(f"https://{CERT_HOST}/v1/notifications/certs/")
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    _verify_paypal(body, headers, django_settings.PAYDESK_PAYPAL_WEBHOOK_ID)
    with pytest.raises(WebhookSignatureInvalid):
        _verify_paypal(
            body.replace(b"WH-1", b"WH-2"), headers, django_settings.PAYDESK_PAYPAL_WEBHOOK_ID
        )
    with pytest.raises(WebhookSignatureInvalid):
        _verify_paypal(body, headers, "WH-SOMEONE-ELSE")


def test_the_sandbox_certificate_is_served_only_at_its_own_url(sandbox):
    url = webhook_headers(b"{}")["PAYPAL-CERT-URL"]
    assert certificate_fetch(url).startswith(b"-----BEGIN CERTIFICATE-----")
    for other in (
        url + "x",
        url.replace("https://", "http://"),
        f"https://{CERT_HOST}/v1/notifications/certs/CERT-OTHER",
    ):
        with pytest.raises(ValueError):  # the sandbox's own refusal; Paydesk's verifier
            certificate_fetch(other)  # reads it as a certificate it cannot use
    # One key per database, whichever process asks first.
    assert SandboxObject.objects.filter(gateway="paypal", kind="signing-cert").count() == 1
    assert webhook_headers(b"{}")["PAYPAL-CERT-URL"] == url


def test_a_webhook_signed_with_another_certificate_host_is_refused_over_http(sandbox):
    body = b'{"id":"WH-X","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{}}'
    headers = webhook_headers(body)
    headers["PAYPAL-CERT-URL"] = headers["PAYPAL-CERT-URL"].replace(CERT_HOST, "evil.example")
    answer = httpx.post(f"{sandbox.url}/webhooks/paypal/", content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_signature"


def test_only_the_sandbox_settings_trust_the_sandbox_certificate():
    from paydesk.settings import base

    assert CERT_HOST not in base.PAYDESK_PAYPAL_CERT_HOSTS
    assert base.PAYDESK_PAYPAL_CERT_FETCHER == "paydesk.gateways.paypal.webhooks.certificate_fetch"
    assert CERT_HOST in django_settings.PAYDESK_PAYPAL_CERT_HOSTS  # the test settings = sandbox


def test_paypal_is_registered_and_configured_in_the_sandbox(sandbox):
    gateway = gateway_for("paypal")
    assert gateway_is_configured("paypal")
    assert gateway.needs_browser and gateway.fields == ("amount", "currency")
    assert "USD" in gateway.supported_currencies() and "INR" not in gateway.supported_currencies()
