"""The NOWPayments client against the sandbox over HTTP: the invoice request's shape (price as a
JSON number, lowercase ticker, our reference as order_id, the IPN and return URLs), one invoice
per checkout, NOWPayments' error shape mapped to GatewayError, the JWT the payment list needs, and
no key, password or token in the payment log."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from paydesk.checkout.models import LogChannel, PaymentLogEntry
from paydesk.errors import GatewayError
from paydesk.gateways.http import encode_json
from paydesk.gateways.nowpayments import client
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import Money
from paydesk.sandbox.core import object_find
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.nowpayments.common import account_set
from tests.online.nowpayments_steps import press, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("amount", "currency", "sent"),
    [
        ("10.50", "USD", b'{"price_amount":10.5,"price_currency":"usd"}'),
        ("100.00", "EUR", b'{"price_amount":100,"price_currency":"eur"}'),
        ("1500", "JPY", b'{"price_amount":1500,"price_currency":"jpy"}'),
        ("0.10", "USD", b'{"price_amount":0.1,"price_currency":"usd"}'),
    ],
)
def test_the_price_is_a_json_number_in_major_units(amount, currency, sent):
    money = Money(Decimal(amount), currency)
    body = {"price_amount": client.price_amount(money), "price_currency": currency.lower()}
    assert encode_json(body) == sent


def test_the_invoice_request_carries_our_reference_and_urls(sandbox, online_customer):
    user = online_customer("nowpayments", "EUR")
    checkout = start(user, amount="25.50", currency="EUR")
    payment = checkout.payment
    invoice = SandboxObject.objects.get(gateway="nowpayments", kind="invoice")
    return_url = f"{sandbox.url}/pay/return/{payment.reference}/"
    assert invoice.object_id == payment.gateway_reference and invoice.object_id.isdigit()
    assert invoice.data | {} == invoice.data  # a plain JSON object
    assert (invoice.data["price_amount"], invoice.data["price_currency"]) == ("25.5", "eur")
    assert invoice.data["order_id"] == payment.reference
    assert invoice.data["ipn_callback_url"] == f"{sandbox.url}/webhooks/nowpayments/"
    assert invoice.data["success_url"] == return_url
    assert invoice.data["cancel_url"] == f"{return_url}?cancelled=1"
    assert invoice.data["order_description"] == payment.description
    sent = PaymentLogEntry.objects.get(channel=LogChannel.API, payment=payment)
    assert sent.event_id == "POST /sandbox/nowpayments/v1/invoice" and sent.http_status == 200
    assert sent.summary["request.price_amount"] == "25.5"
    assert sent.summary["idempotency_key"] == "checkout:nowpayments-form-0001"


def test_the_same_form_twice_makes_one_invoice(sandbox, online_customer):
    user = online_customer("nowpayments")
    first = start(user)
    again = start(user)
    assert again.replayed and again.payment.pk == first.payment.pk
    assert Payment.objects.count() == 1
    assert SandboxObject.objects.filter(gateway="nowpayments", kind="invoice").count() == 1


def test_the_sandbox_refuses_a_price_sent_as_a_string(sandbox, settings):
    answer = httpx.post(
        f"{sandbox.url}/sandbox/nowpayments/v1/invoice",
        content=b'{"price_amount":"10.50","price_currency":"usd","order_id":"X"}',
        headers={
            "x-api-key": settings.PAYDESK_NOWPAYMENTS_API_KEY,
            "Content-Type": "application/json",
        },
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "status": False,
        "statusCode": 400,
        "code": "INVALID_REQUEST_PARAMS",
        "message": '"price_amount" must be a number',
    }


def test_a_wrong_api_key_is_refused_and_the_payment_cancelled(sandbox, online_customer):
    account_set(api_key="rotated-in-the-dashboard")
    user = online_customer("nowpayments")
    checkout = start(user)
    payment = checkout.payment
    assert payment.status == PaymentStatus.CANCELLED
    assert payment.cancel_reason == (
        "NOWPayments refused: NOWPayments refused to create the invoice: Invalid api key "
        "(INVALID_API_KEY)."
    )
    assert checkout.problem == payment.cancel_reason
    assert not SandboxObject.objects.filter(gateway="nowpayments", kind="invoice").exists()


def test_the_api_answers_401_in_nowpayments_shape(sandbox):
    answer = httpx.get(
        f"{sandbox.url}/sandbox/nowpayments/v1/payment/123", headers={"x-api-key": "wrong"}
    )
    assert answer.status_code == 401
    assert answer.json() == {
        "status": False,
        "statusCode": 401,
        "code": "INVALID_API_KEY",
        "message": "Invalid api key",
    }


def test_an_unknown_payment_is_a_gateway_error(sandbox):
    with pytest.raises(GatewayError, match="PAYMENT_NOT_FOUND"):
        client.payment_get("5077125051")
    with pytest.raises(GatewayError, match="is a number"):
        client.payment_get("../invoice")


def test_a_payment_reads_with_exact_numbers(sandbox, online_customer):
    user = online_customer("nowpayments")
    payment = start(user).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)
    location = press(invoice.data["invoice_url"], "finished")
    payment_id = location.rsplit("NP_id=", 1)[1]

    answer = client.payment_get(payment_id)

    assert answer["payment_id"] == int(payment_id) and answer["payment_status"] == "finished"
    assert answer["price_amount"] == 10 and answer["price_currency"] == "usd"
    assert answer["pay_amount"] == Decimal("0.00016667") == answer["actually_paid"]
    assert answer["order_id"] == payment.reference
    assert str(answer["invoice_id"]) == payment.gateway_reference


def test_the_payment_list_needs_a_jwt_from_auth(sandbox, online_customer, settings):
    user = online_customer("nowpayments")
    payment = start(user).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)
    press(invoice.data["invoice_url"], "partially_paid")

    listed = client.invoice_payments(payment.gateway_reference)
    assert [p["payment_status"] for p in listed] == ["partially_paid"]
    assert listed[0]["actually_paid"] == Decimal("0.00010000")

    without = httpx.get(
        f"{sandbox.url}/sandbox/nowpayments/v1/payment/",
        params={"invoiceId": payment.gateway_reference},
        headers={"x-api-key": settings.PAYDESK_NOWPAYMENTS_API_KEY},
    )
    assert without.status_code == 401 and without.json()["code"] == "AUTH_REQUIRED"
    forged = httpx.get(
        f"{sandbox.url}/sandbox/nowpayments/v1/payment/",
        headers={
            "x-api-key": settings.PAYDESK_NOWPAYMENTS_API_KEY,
            "Authorization": "Bearer a.b.c",
        },
    )
    assert forged.status_code == 401 and forged.json()["code"] == "INVALID_TOKEN"

    account_set(password="changed-in-the-dashboard")
    with pytest.raises(GatewayError, match="INVALID_CREDENTIALS"):
        client.invoice_payments(payment.gateway_reference)


def test_no_key_password_or_token_reaches_the_payment_log(sandbox, online_customer, settings):
    user = online_customer("nowpayments")
    payment = start(user).payment
    invoice = object_find("nowpayments", "invoice", payment.reference)
    press(invoice.data["invoice_url"], "finished")
    client.invoice_payments(payment.gateway_reference)
    token = client.auth_token()

    logged = json.dumps([[e.event_id, e.detail, e.summary] for e in PaymentLogEntry.objects.all()])
    assert "POST /sandbox/nowpayments/v1/auth" in logged
    for secret in (
        settings.PAYDESK_NOWPAYMENTS_API_KEY,
        settings.PAYDESK_NOWPAYMENTS_PASSWORD,
        settings.PAYDESK_NOWPAYMENTS_IPN_SECRET,
        token,
    ):
        assert secret not in logged
