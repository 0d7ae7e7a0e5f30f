"""Razorpay's refund API through the real client and the sandbox: a retry never refunds twice
(the idempotency header, and our receipt found among the payment's refunds), refusals, the
answer alone settles a refund when no webhook comes; the sandbox's refund and dispute webhooks
verify with the official `razorpay` library."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import razorpay
from django.conf import settings
from django.test import Client

from paydesk.checkout.refunds import payment_refund
from paydesk.errors import GatewayError
from paydesk.gateways.razorpay.client import RazorpayClient, refund_idempotency_key
from paydesk.gateways.razorpay.webhooks import parse_razorpay_event
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import Money
from tests.factories import StaffFactory
from tests.gateways.contract import no_network
from tests.online.razorpay_support import api_url, sandbox_checkout, start
from tests.online.sandbox_support import sent_webhooks
from tests.signin import sandbox_staff, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def patient(sandbox, settings):
    """The sandbox delivers a refund's webhooks while it answers the refund (as it does each
    webhook: at once), so its answer takes a moment: no `timeout` switch is used here."""
    settings.PAYDESK_GATEWAY_TIMEOUT = 20


INR = "INR"


@pytest.fixture
def paid(online_customer, sandbox) -> Payment:
    payer = online_customer("razorpay", INR, account=INR)
    payment = start(payer, amount="500.00").payment
    sandbox_checkout(payment.gateway_reference, reference=payment.reference)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    return payment


def _refund(client: RazorpayClient, payment: Payment, receipt: str, amount: str = "100.00"):
    return client.refund_create(
        payment.gateway_transaction,
        amount=Money(Decimal(amount), INR),
        receipt=receipt,
        notes={"paydesk_refund": receipt},
        idempotency_key=f"refund-{receipt}",
    )


def test_asking_twice_with_one_receipt_makes_one_refund(sandbox, paid):
    sandbox.switch(webhooks="none")  # the API alone (a direct call has no refund row to bind)
    client = RazorpayClient()
    first = _refund(client, paid, "RF0000000001")
    again = _refund(client, paid, "RF0000000001")
    assert first["id"] == again["id"] and first["status"] == "processed"
    assert [r["id"] for r in client.payment_refunds(paid.gateway_transaction)] == [first["id"]]
    other = _refund(client, paid, "RF0000000002")
    assert other["id"] != first["id"]


def test_the_idempotency_header_answers_the_same_refund(sandbox, paid):
    """Without the receipt look-up (as on an account where listing lagged), the header alone."""
    sandbox.switch(webhooks="none")
    url = api_url(f"/v1/payments/{paid.gateway_transaction}/refund")
    auth = (settings.PAYDESK_RAZORPAY_KEY_ID, settings.PAYDESK_RAZORPAY_KEY_SECRET)
    body = {"amount": 10000, "speed": "normal", "receipt": "R1"}
    headers = {"X-Refund-Idempotency": "refund-key-0001"}
    one = httpx.post(url, json=body, headers=headers, auth=auth, timeout=30)
    two = httpx.post(url, json=body, headers=headers, auth=auth, timeout=30)
    assert one.status_code == two.status_code == 200
    assert one.json()["id"] == two.json()["id"]
    changed = httpx.post(
        url, json={**body, "amount": 20000}, headers=headers, auth=auth, timeout=30
    )
    assert changed.status_code == 400
    assert changed.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_refusals_are_gateway_errors(sandbox, paid):
    sandbox.switch(webhooks="none")
    client = RazorpayClient()
    with pytest.raises(GatewayError, match="greater than amount captured"):
        _refund(client, paid, "RF0000000003", amount="500.01")
    with pytest.raises(GatewayError, match="at least"):
        refund_idempotency_key("short")
    assert refund_idempotency_key("refund-AB CD/12") == "refund-AB_CD_12"


def test_without_webhooks_the_answer_settles_the_refund(sandbox, paid):
    sandbox.switch(webhooks="none")
    finance = StaffFactory(staff_role="finance")
    refund = payment_refund(payment=paid, reason="No webhooks", actor=finance, total="80.00")
    assert refund.status == PaymentStatus.COMPLETED
    paid.customer.refresh_from_db()
    assert paid.customer.balance == Decimal("420.00")
    at_razorpay = RazorpayClient().payment_refunds(paid.gateway_transaction)
    assert [(r["receipt"], r["notes"]["paydesk_refund"]) for r in at_razorpay] == [
        (refund.reference, refund.reference)
    ]


def test_the_sandboxs_refund_and_dispute_webhooks_verify_with_razorpays_library(sandbox, paid):
    finance = StaffFactory(staff_role="finance")
    payment_refund(payment=paid, reason="Half", actor=finance, total="250.00")
    sandbox_staff().post(
        "/sandbox/razorpay/dashboard/",
        {"action": "dispute", "payment_id": paid.gateway_transaction},
    )
    hooks = [h for h in sent_webhooks("razorpay", paid.gateway_transaction)]
    kinds = [h.event_type for h in hooks]
    assert kinds == ["refund.created", "refund.processed", "payment.dispute.created"]
    secret = settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET
    with no_network():
        utility = razorpay.Client(auth=("rzp_test_x", "unused")).utility
        for hook in hooks:
            assert utility.verify_webhook_signature(
                hook.body, hook.headers["X-Razorpay-Signature"], secret
            )
        with pytest.raises(razorpay.errors.SignatureVerificationError):
            utility.verify_webhook_signature(
                hook.body.replace("open", "lost"), hook.headers["X-Razorpay-Signature"], secret
            )
    processed = parse_razorpay_event(hooks[1].body.encode(), event_id="evt_1")
    assert processed.refund_reference and processed.amount == Money(Decimal("250.00"), INR)
    dispute = parse_razorpay_event(hooks[2].body.encode(), event_id="evt_2")
    assert dispute.transaction_id == paid.gateway_transaction
    assert dispute.gateway_reference == paid.gateway_reference


def test_the_switches_page_has_the_razorpay_panel(sandbox, paid):
    browser = sign_in(Client(enforce_csrf_checks=True), StaffFactory(staff_role="support"))
    page = browser.get("/sandbox/").content.decode()
    assert paid.gateway_transaction in page and "Fail the next refund" in page
    assert "Open a dispute (deduct at onset)" in page
    token = browser.cookies["csrftoken"].value
    answer = browser.post(
        "/sandbox/razorpay/dashboard/",
        {"action": "fail_next_refund", "armed": "1", "csrfmiddlewaretoken": token},
    )
    assert answer.status_code == 302
    page = browser.get("/sandbox/").content.decode()
    assert "The next Razorpay refund fails" in page
    # Without the page's CSRF token, even staff are refused.
    assert (
        sign_in(Client(enforce_csrf_checks=True), StaffFactory(staff_role="support"))
        .post("/sandbox/razorpay/dashboard/", {"action": "fail_next_refund", "armed": "0"})
        .status_code
        == 403
    )
