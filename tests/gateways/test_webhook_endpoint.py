"""quality.md R5 through POST /webhooks/<gateway>/, for every gateway: the same notification 10
times, out of order, with a bad signature, with a stale timestamp, with a mismatched amount or
currency → at most one credit; the bad ones refused and logged.

A worked example for each: the customer presses Pay for 50.25 (a quote is locked and a pending
payment made by paydesk.checkout.services); the gateway then notifies Paydesk.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

import pytest
from django.test import Client

from paydesk.checkout.models import EventResult, PaymentLogEntry
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from tests.gateways.conftest import CHARGED, start_payment
from tests.gateways.senders import SECRETS, SENDERS, Delivery, Sender

pytestmark = pytest.mark.django_db
by_name = pytest.mark.parametrize("sender", SENDERS, ids=lambda s: s.name)
# Paystack notifies successes only.
with_pending = [s for s in SENDERS if "pending" in s.kinds]
with_failures = [s for s in SENDERS if "cancelled" in s.kinds]


def post(sender: Sender, delivery: Delivery, client: Client | None = None):
    return (client or Client()).post(
        f"/webhooks/{sender.name}/",
        data=delivery.body,
        content_type="application/json",
        headers=delivery.headers,
    )


def notify(sender, kind, n, payment, *, amount=CHARGED, currency=None, **sign):
    return sender.notify(kind, n, payment.reference, amount, currency or sender.currency, **sign)


def balance(payment: Payment) -> Decimal:
    payment.customer.refresh_from_db()
    return payment.customer.balance


@by_name
def test_a_confirmation_delivered_10_times_credits_once(sender):
    payment = start_payment(sender)
    delivery = notify(sender, "completed", 1001, payment)

    answers = [post(sender, delivery) for _ in range(10)]

    assert [a.status_code for a in answers] == [200] * 10
    assert answers[0].json() == {"status": "applied", "duplicate": False}
    assert {a.json()["duplicate"] for a in answers[1:]} == {True}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.total == Decimal(CHARGED) and balance(payment) == Decimal(CHARGED)
    entry = PaymentLogEntry.objects.get(gateway=sender.method)
    assert (entry.result, entry.signature_valid, entry.payment) == (
        EventResult.APPLIED,
        True,
        payment,
    )
    assert balance_drifts() == []


@by_name
def test_out_of_order_a_later_pending_or_failure_changes_nothing(sender):
    payment = start_payment(sender)
    assert post(sender, notify(sender, "completed", 2001, payment)).status_code == 200
    late = [
        notify(sender, kind, 2002 + i, payment)
        for i, kind in enumerate(sender.kinds)
        if kind != "completed"
    ]

    answers = [post(sender, delivery) for delivery in late]

    assert [a.json()["status"] for a in answers] == ["ignored"] * len(late)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and balance(payment) == Decimal(CHARGED)
    assert PaymentLogEntry.objects.filter(result=EventResult.APPLIED).count() == 1


# The senders whose confirmation `n` names another transaction (Paystack's transaction id,
# NOWPayments' payment id); the others' bodies name the payment's one intent, capture or payment.
OTHER_MONEY_PER_DELIVERY = {"paystack", "nowpayments"}


@by_name
def test_a_second_confirmation_after_completion_is_the_same_money_or_its_own_late_payment(sender):
    payment = start_payment(sender)
    assert post(sender, notify(sender, "completed", 2001, payment)).status_code == 200

    answer = post(sender, notify(sender, "completed", 2009, payment))  # another event id

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.total == Decimal(CHARGED)
    linked = list(Payment.objects.filter(original=payment))
    if sender.name in OTHER_MONEY_PER_DELIVERY:
        assert answer.json()["status"] == "applied"
        assert [(p.relation, p.status) for p in linked] == [("late_payment", "completed")]
        assert balance(payment) == Decimal(CHARGED) * 2
    else:
        assert answer.json()["status"] == "ignored" and linked == []
        assert balance(payment) == Decimal(CHARGED)
    assert post(sender, notify(sender, "completed", 2009, payment)).json()["duplicate"] is True
    assert Payment.objects.filter(original=payment).count() == len(linked)
    assert balance_drifts() == []


@pytest.mark.parametrize("sender", with_pending, ids=lambda s: s.name)
def test_pending_first_then_completed_credits_once(sender):
    payment = start_payment(sender)
    assert post(sender, notify(sender, "pending", 3001, payment)).json()["status"] == "ignored"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    assert post(sender, notify(sender, "completed", 3002, payment)).json()["status"] == "applied"
    assert balance(payment) == Decimal(CHARGED)


@pytest.mark.parametrize("sender", with_failures, ids=lambda s: s.name)
def test_a_failure_cancels_the_payment_with_the_gateways_reason(sender):
    payment = start_payment(sender)
    assert post(sender, notify(sender, "cancelled", 4001, payment)).json()["status"] == "applied"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and payment.cancel_reason
    # A confirmation arriving after the cancellation (a late authorisation, a retry at the
    # gateway) is money the customer paid: credited once, as a new payment linked to the
    # cancelled one, which stays as it was.
    late = post(sender, notify(sender, "completed", 4002, payment))
    assert late.json() == {"status": "applied", "duplicate": False}
    assert balance(payment) == Decimal(CHARGED)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    follow_up = Payment.objects.get(original=payment)
    assert (follow_up.status, follow_up.relation, follow_up.total) == (
        PaymentStatus.COMPLETED,
        "late_payment",
        Decimal(CHARGED),
    )
    assert follow_up.description == f"Late payment for {payment.reference}"
    # Delivered again: nothing more (tests/checkout/test_late_payments.py sends the same money
    # under other event ids and channels).
    again = post(sender, notify(sender, "completed", 4002, payment))
    assert again.json() == {"status": "applied", "duplicate": True}
    assert balance(payment) == Decimal(CHARGED)
    assert Payment.objects.filter(original=payment).count() == 1
    assert balance_drifts() == []


@by_name
@pytest.mark.parametrize("forgery", ["tampered body", "wrong secret", "no signature"])
def test_a_bad_signature_is_refused_logged_and_credits_nothing(sender, forgery, caplog):
    payment = start_payment(sender)
    genuine = notify(sender, "completed", 5001, payment)
    if forgery == "tampered body":  # a genuine signature on a body that says something else
        delivery = Delivery(
            notify(sender, "completed", 5002, payment, amount="5025.00").body, genuine.headers
        )
    elif forgery == "wrong secret":
        delivery = notify(sender, "completed", 5001, payment, secret="not-the-secret")
    else:
        delivery = Delivery(genuine.body, {})

    with caplog.at_level(logging.INFO):
        answer = post(sender, delivery)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_signature"
    entry = PaymentLogEntry.objects.get()
    assert (entry.gateway, entry.signature_valid, entry.result, entry.payment) == (
        sender.method,
        False,
        EventResult.REFUSED,
        None,
    )
    assert f"Refused a {sender.name} webhook" in caplog.text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    # The forgery did not take the genuine notification's id: it still credits, once.
    assert post(sender, genuine).json() == {"status": "applied", "duplicate": False}
    assert balance(payment) == Decimal(CHARGED)


def test_a_stale_stripe_timestamp_is_refused():
    sender = SENDERS[0]
    payment = start_payment(sender)
    stale = notify(sender, "completed", 6001, payment, timestamp=int(time.time()) - 301)
    answer = post(sender, stale)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_signature"
    assert "tolerance" in PaymentLogEntry.objects.get().detail
    assert balance(payment) == 0


@by_name
@pytest.mark.parametrize(("amount", "currency"), [("50.24", None), (CHARGED, "other")])
def test_a_mismatched_amount_or_currency_is_acknowledged_refused_and_credits_nothing(
    sender, amount, currency, caplog
):
    payment = start_payment(sender)
    other = {"USD": "EUR", "INR": "USD", "NGN": "USD"}[sender.currency]
    delivery = notify(
        sender, "completed", 7001, payment, amount=amount, currency=other if currency else None
    )

    with caplog.at_level(logging.WARNING):
        answers = [post(sender, delivery) for _ in range(3)]

    # 200: the gateway would retry a 4xx for days, and a retry cannot fix a wrong amount.
    assert answers[0].json() == {"status": "refused", "code": "amount_mismatch"}
    assert [a.status_code for a in answers] == [200] * 3
    entry = PaymentLogEntry.objects.get()
    assert entry.result == EventResult.REFUSED and "Amount mismatch" in entry.detail
    assert entry.payment == Payment.objects.get(pk=payment.pk)
    assert f"Refused {sender.name} event" in caplog.text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0


def test_an_event_for_a_payment_paydesk_never_made_is_acknowledged_and_refused():
    sender = SENDERS[0]
    start_payment(sender)
    delivery = sender.notify("completed", 8001, "P-NOT-OURS", CHARGED, "USD")
    assert post(sender, delivery).json() == {"status": "refused", "code": "gateway_error"}
    assert PaymentLogEntry.objects.get().result == EventResult.REFUSED


def test_nowpayments_partially_paid_stays_pending_and_asks_staff_to_look(caplog):
    sender = SENDERS[4]
    payment = start_payment(sender)
    body = sender.ipn(9001, "partially_paid", payment.reference, CHARGED, "USD", "0.0000012")
    with caplog.at_level(logging.WARNING):
        answer = post(sender, Delivery(body, sender.sign(body, 9001)))
    assert answer.json()["status"] == "ignored"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == 0
    entry = PaymentLogEntry.objects.get()
    assert entry.detail == (
        "Needs staff attention: Partially paid: 0.0000012 of 0.0000034 BTC received."
    )
    assert "needs staff attention" in caplog.text


def test_a_signed_notification_of_another_type_is_acknowledged_and_ignored():
    sender = SENDERS[0]
    body = b'{"id":"evt_x","object":"event","type":"customer.created","data":{"object":{}}}'
    answer = post(sender, Delivery(body, sender.sign(body, 1)))
    assert (answer.status_code, answer.json()) == (200, {"status": "ignored"})
    assert not PaymentLogEntry.objects.exists()


def test_a_signed_but_unreadable_notification_is_refused_and_logged_once():
    sender = SENDERS[3]
    body = b"not json at all"
    answers = [post(sender, Delivery(body, sender.sign(body, 1))) for _ in range(2)]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json()["error"]["code"] == "unreadable"
    entry = PaymentLogEntry.objects.get()
    assert entry.signature_valid and entry.result == EventResult.REFUSED


def test_a_gateway_without_its_secret_set_refuses_everything(settings):
    sender = SENDERS[2]
    payment = start_payment(sender)
    settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET = ""
    delivery = notify(sender, "completed", 1, payment)
    assert post(sender, delivery).json()["error"]["code"] == "bad_signature"
    assert PaymentLogEntry.objects.get().detail == "No secret is set to check this signature."


def test_unknown_gateway_and_wrong_method():
    assert (
        Client().post("/webhooks/bitpay/", data=b"{}", content_type="application/json").status_code
        == 404
    )
    assert Client().get("/webhooks/stripe/").status_code == 405


def test_no_secret_body_or_signature_reaches_the_logs_or_the_payment_log(caplog):
    sender = SENDERS[1]
    payment = start_payment(sender)
    genuine = notify(sender, "completed", 1, payment)
    with caplog.at_level(logging.DEBUG):
        post(sender, Delivery(genuine.body, {**genuine.headers, "PAYPAL-TRANSMISSION-ID": "x"}))
        post(sender, genuine)
    stored = " ".join(f"{e.event_id} {e.detail} {e.summary}" for e in PaymentLogEntry.objects.all())
    for secret in [
        *SECRETS.values(),
        genuine.headers["PAYPAL-TRANSMISSION-SIG"][:40],
        genuine.body.decode()[:40],
    ]:
        assert secret not in caplog.text
        assert secret not in stored


def test_a_stripe_event_of_a_connected_account_credits_nothing():
    """An event a connected account originated (Stripe's `account` on the event: Connect) is
    another merchant's money, even signed and naming our payment: acknowledged, ignored. The same
    event of our own account (no `account`, or null) credits."""
    import json

    sender = next(s for s in SENDERS if s.name == "stripe")
    payment = start_payment(sender)
    theirs = json.loads(notify(sender, "completed", 1, payment).body)
    body = json.dumps({**theirs, "account": "acct_1OtherMerchant"}).encode()
    answer = post(sender, Delivery(body, sender.sign(body, 1)))
    assert (answer.status_code, answer.json()) == (200, {"status": "ignored"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and balance(payment) == Decimal(0)

    body = json.dumps({**theirs, "id": "evt_2", "account": None}).encode()
    answer = post(sender, Delivery(body, sender.sign(body, 2)))
    assert answer.json() == {"status": "applied", "duplicate": False}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
