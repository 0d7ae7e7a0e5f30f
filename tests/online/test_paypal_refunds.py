"""PayPal refunds, reversals and disputes as an accountant would tell them, end to end: Finance's
refund goes through Paydesk's real PayPal client to the sandbox's Payments v2 API over HTTP, and
the sandbox's signed webhooks (PAYMENT.CAPTURE.REFUNDED / REVERSED, CUSTOMER.DISPUTE.*) come back
to the real /webhooks/paypal/ endpoint. Balance, rows and links are checked after each story,
and every webhook delivered again changes nothing."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from paypalrestsdk.notifications import WebhookEvent

from paydesk.checkout.refunds import payment_refund
from paydesk.errors import RefundRefused
from paydesk.gateways.base import RefundRequest
from paydesk.gateways.paypal.gateway import PayPalGateway
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.money import Money
from paydesk.sandbox.core import object_get, webhook_deliver
from paydesk.sandbox.models import SandboxWebhook
from paydesk.sandbox.paypal.signing import certificate_fetch
from tests.factories import StaffFactory
from tests.online.paypal_steps import balance, come_back, press, start
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user(sandbox, online_customer):
    return online_customer("paypal", "USD")


@pytest.fixture
def finance(db):
    return StaffFactory(staff_role="finance")


def paid(user, amount: str = "50.00") -> Payment:
    """A PayPal top-up approved and captured through the sandbox (completed, credited)."""
    checkout = start(user, amount)
    payment = come_back(user, press(checkout, "approve"))
    assert payment.status == PaymentStatus.COMPLETED and payment.gateway_transaction
    return payment


def capture(payment: Payment) -> dict:
    """The capture as the pretend PayPal holds it now."""
    order = object_get("paypal", "order", payment.gateway_reference).data
    return order["purchase_units"][0]["payments"]["captures"][0]


def hooks(event_type: str) -> list[SandboxWebhook]:
    return list(
        SandboxWebhook.objects.filter(gateway="paypal", event_type=event_type).order_by("id")
    )


def panel(action: str, payment: Payment, amount: str = "") -> None:
    """A tester presses a button of the PayPal panel on the sandbox's control page."""
    answer = sandbox_staff().post(
        "/sandbox/paypal/dashboard",
        {"action": action, "capture": payment.reference, "amount": amount},
    )
    assert answer.status_code == 302 and answer["Location"] == "/sandbox/"


def returns_of(payment: Payment) -> list[Payment]:
    return list(Payment.objects.filter(original=payment).order_by("id"))


def replay_everything() -> list[str]:
    """Deliver every PayPal refund/dispute webhook again, as PayPal retries; their answers."""
    kinds = ("PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED", "CUSTOMER.DISPUTE.")
    again = SandboxWebhook.objects.filter(gateway="paypal").order_by("id")
    return [
        webhook_deliver(hook.pk).last_response
        for hook in again
        if hook.event_type.startswith(kinds)
    ]


def test_full_refund_through_paypal(user, finance):
    payment = paid(user)
    refund = payment_refund(payment=payment, reason="Duplicate top-up", actor=finance)
    assert refund.status == PaymentStatus.COMPLETED and refund.total == Decimal("-50.00")
    assert (refund.original_id, refund.relation) == (payment.pk, PaymentRelation.REFUND)
    assert balance(user) == Decimal("0.00")
    made = object_get("paypal", "refund", refund.gateway_transaction.removeprefix("refund:"))
    assert made is not None
    assert made.data["custom_id"] == refund.reference  # binds PayPal's webhooks to our row
    assert made.data["amount"] == {"currency_code": "USD", "value": "50.00"}
    assert object_get("paypal", "request", f"refund:refund-{refund.reference}") is not None
    assert capture(payment)["status"] == "REFUNDED"
    # The webhook arrived while PayPal answered Paydesk's call: one row either way.
    [hook] = hooks("PAYMENT.CAPTURE.REFUNDED")
    assert hook.last_response.startswith("HTTP 200")
    assert replay_everything() == ['HTTP 200 {"status": "applied", "duplicate": true}']
    assert returns_of(payment) == [refund] and balance(user) == Decimal("0.00")


def test_two_partial_refunds_then_paydesk_refuses_more(user, finance):
    payment = paid(user)
    first = payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="20.00")
    assert capture(payment)["status"] == "PARTIALLY_REFUNDED"
    assert balance(user) == Decimal("30.00")
    second = payment_refund(payment=payment, reason="Goodwill", actor=finance, total="12.50")
    assert [first.status, second.status] == [PaymentStatus.COMPLETED] * 2
    assert [r.total for r in returns_of(payment)] == [Decimal("-20.00"), Decimal("-12.50")]
    assert balance(user) == Decimal("17.50")
    with pytest.raises(RefundRefused):
        payment_refund(payment=payment, reason="Too much", actor=finance, total="17.51")
    assert len(hooks("PAYMENT.CAPTURE.REFUNDED")) == 2
    replay_everything()
    assert len(returns_of(payment)) == 2 and balance(user) == Decimal("17.50")


def test_a_refund_paypal_declines_is_cancelled_and_the_money_stays(user, finance):
    payment = paid(user)
    panel("decline_next_refund", payment)
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    assert refund.status == PaymentStatus.CANCELLED
    assert "REFUND_FAILED_INSUFFICIENT_FUNDS" in refund.cancel_reason
    assert balance(user) == Decimal("50.00")
    assert capture(payment)["status"] == "COMPLETED" and not hooks("PAYMENT.CAPTURE.REFUNDED")
    again = payment_refund(payment=payment, reason="Customer asked", actor=finance)  # switch off
    assert again.status == PaymentStatus.COMPLETED and balance(user) == Decimal("0.00")


def retry_request(payment: Payment, *, reference: str, amount: str, key: str) -> RefundRequest:
    """A refund of `amount` USD that Finance asks for again ("Retry") under the request id `key`."""
    return RefundRequest(
        refund_reference=reference,
        payment_reference=payment.reference,
        transaction_id=payment.gateway_transaction,
        gateway_reference=payment.gateway_reference,
        amount=Money(Decimal(amount), "USD"),
        reason="Retry",
        idempotency_key=key,
    )


def test_the_same_request_id_answers_the_same_refund(user):
    """PayPal-Request-Id: the same refund request twice → the same refund, money sent once."""
    payment = paid(user)
    request = retry_request(
        payment, reference="PD-TEST-REFUND", amount="10.00", key="refund-PD-TEST-REFUND"
    )
    first, second = PayPalGateway().refund(request), PayPalGateway().refund(request)
    assert first.refund_id == second.refund_id and first.event_id == second.event_id
    assert capture(payment)["_refunded"] == ["10.00"]


def test_a_long_request_id_is_its_own_and_answers_the_same_refund(user):
    """Payments v2 sets no length on PayPal-Request-Id: the sandbox neither cuts a long one
    (ids alike in their first 108 characters are other requests) nor fails storing it."""
    payment = paid(user)

    def refund(key: str) -> str:
        request = retry_request(payment, reference="PD-LONG-REFUND", amount="5.00", key=key)
        return PayPalGateway().refund(request).refund_id

    first = refund("k" * 120)
    assert refund("k" * 120) == first
    assert refund("k" * 119 + "j") != first
    assert capture(payment)["_refunded"] == ["5.00", "5.00"]


def test_a_refund_made_in_paypals_dashboard_arrives_once(user):
    payment = paid(user)
    panel("refund", payment, "15.00")
    [refund] = returns_of(payment)
    assert refund.relation == PaymentRelation.REFUND and refund.status == PaymentStatus.COMPLETED
    assert refund.total == Decimal("-15.00")
    assert refund.description == f"Refund of {payment.reference} (made through PayPal)"
    assert balance(user) == Decimal("35.00")
    assert replay_everything() == ['HTTP 200 {"status": "applied", "duplicate": true}']
    assert returns_of(payment) == [refund] and balance(user) == Decimal("35.00")


def test_a_dispute_lost_after_a_chargeback(user):
    payment = paid(user)
    panel("dispute_open", payment)
    dispute = Dispute.objects.get(payment=payment)
    assert dispute.is_open and dispute.dispute_id == payment.gateway_transaction
    assert dispute.reason.startswith(
        "the buyer says they did not receive what they paid for (PayPal case PP-D-"
    )
    assert dispute.amount == Decimal("50.00") and dispute.evidence_due is not None
    assert balance(user) == Decimal("50.00")
    panel("dispute_withdraw", payment)  # PAYMENT.CAPTURE.REVERSED and CUSTOMER.DISPUTE.UPDATED
    [chargeback] = returns_of(payment)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert chargeback.status == PaymentStatus.COMPLETED and chargeback.total == Decimal("-50.00")
    assert balance(user) == Decimal("0.00")
    panel("dispute_lose", payment)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.chargeback) == ("lost", chargeback)
    assert returns_of(payment) == [chargeback] and balance(user) == Decimal("0.00")
    assert all(answer.startswith("HTTP 200") for answer in replay_everything())
    assert returns_of(payment) == [chargeback] and balance(user) == Decimal("0.00")


def test_a_dispute_lost_without_a_chargeback_first(user):
    payment = paid(user, "30.00")
    panel("dispute_open", payment)
    panel("dispute_lose", payment)
    [chargeback] = returns_of(payment)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert chargeback.total == Decimal("-30.00") and balance(user) == Decimal("0.00")


def test_a_dispute_won_gives_the_chargeback_back(user):
    payment = paid(user)
    panel("dispute_open", payment)
    panel("dispute_withdraw", payment)
    assert balance(user) == Decimal("0.00")
    panel("dispute_win", payment)
    chargeback, reversal = returns_of(payment)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert reversal.relation == PaymentRelation.CHARGEBACK_REVERSED
    assert (chargeback.total, reversal.total) == (Decimal("-50.00"), Decimal("50.00"))
    assert balance(user) == Decimal("50.00")
    dispute = Dispute.objects.get(payment=payment)
    assert (dispute.status, dispute.reversal) == ("won", reversal)
    replay_everything()
    assert len(returns_of(payment)) == 2 and balance(user) == Decimal("50.00")


@pytest.mark.filterwarnings("ignore::DeprecationWarning:paypalrestsdk")
def test_the_sandbox_signs_dispute_webhooks_as_paypal_does(user, settings):
    """paypalrestsdk (PayPal's own library) builds the signed text of the sandbox's dispute
    webhook; the sandbox certificate's key verifies the signature over it."""
    payment = paid(user)
    panel("dispute_open", payment)
    [hook] = hooks("CUSTOMER.DISPUTE.CREATED")
    headers = hook.headers
    message = WebhookEvent._get_expected_sig(
        headers["PAYPAL-TRANSMISSION-ID"],
        headers["PAYPAL-TRANSMISSION-TIME"],
        settings.PAYDESK_PAYPAL_WEBHOOK_ID,
        hook.body,
    )
    certificate = x509.load_pem_x509_certificate(certificate_fetch(headers["PAYPAL-CERT-URL"]))
    certificate.public_key().verify(
        base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]),
        message.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    body = json.loads(hook.body)
    assert body["resource"]["disputed_transactions"][0]["seller_transaction_id"] == (
        payment.gateway_transaction
    )


def test_the_control_page_shows_the_panel_and_a_wrong_press_is_a_message(user):
    browser = sandbox_staff()
    page = browser.get("/sandbox/").content.decode()
    assert "PayPal: refunds and disputes" in page and 'value="dispute_open"' in page
    answer = browser.post(
        "/sandbox/paypal/dashboard", {"action": "refund", "capture": "NO-SUCH"}, follow=True
    )
    assert answer.status_code == 200 and "No PayPal capture or payment" in answer.content.decode()
    payment = paid(user, "10.00")
    answer = browser.post(
        "/sandbox/paypal/dashboard",
        {"action": "refund", "capture": payment.reference, "amount": "10.01"},
        follow=True,
    )
    assert "REFUND_AMOUNT_EXCEEDED" in answer.content.decode()
    assert not returns_of(payment) and balance(user) == Decimal("10.00")
