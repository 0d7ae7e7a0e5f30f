"""Paystack refunds and disputes as an accountant would tell them, end to end: Paydesk's real
client asks the sandbox's Paystack over HTTP, the sandbox posts its signed refund and dispute
webhooks to Paydesk's real /webhooks/paystack/ endpoint, and the dashboard buttons are pressed
on the sandbox's switches page as Finance would. Balance, rows and links after each step."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
from django.test import Client

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.refunds import payment_refund, refund_ask
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.refunds import refund_left
from paydesk.sandbox.models import SandboxObject
from paydesk.sandbox.paystack.views import signature_for
from tests.factories import StaffFactory
from tests.online.paystack_support import balance, press, start, transaction_of
from tests.signin import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_client(sandbox, settings):
    """The sandbox delivers a refund's webhook (and Paydesk confirms it with two calls back to
    the sandbox) before it answers POST /refund; Paystack answers first. The client waits long
    enough for that here (the fixture's 2 s is for the timeout fault, unused in this file)."""
    settings.PAYDESK_GATEWAY_TIMEOUT = 15


def _paid(online_customer, amount: str = "5000"):
    """A customer (NGN account) who paid `amount` NGN through Paystack's hosted checkout."""
    user = online_customer("paystack", "NGN", account="NGN")
    checkout = start(user, amount=amount)
    press(checkout.redirect_url, "pay")
    payment = Payment.objects.get(pk=checkout.payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.gateway_transaction == str(transaction_of(payment).data["id"])
    return user, payment


def _dashboard(sandbox, action: str, *, reference: str = "", amount: str = "") -> None:
    """Press one of the Paystack buttons on the sandbox's switches page, as staff."""
    staff = sign_in(Client(enforce_csrf_checks=True), StaffFactory(staff_role="support"))
    assert staff.get("/sandbox/").status_code == 200
    answer = staff.post(
        "/sandbox/paystack/dashboard",
        {
            "csrfmiddlewaretoken": staff.cookies["csrftoken"].value,
            "paystack_action": action,
            "reference": reference,
            "amount": amount,
        },
    )
    assert answer.status_code == 302, answer.content[:300]


def _rows(payment):
    return [
        (r.relation, r.status, r.total)
        for r in Payment.objects.filter(original=payment).order_by("id")
    ]


def _sandbox_refunds(payment):
    return [
        r.data
        for r in SandboxObject.objects.filter(
            gateway="paystack", kind="refund", lookup=payment.reference
        ).order_by("id")
    ]


def test_a_full_refund_goes_through_paystack_once(sandbox, online_customer):
    user, payment = _paid(online_customer)
    refund = payment_refund(
        payment=payment, reason="Duplicate top-up", actor=StaffFactory(staff_role="finance")
    )
    assert refund.status == PaymentStatus.COMPLETED
    assert (refund.original_id, refund.relation) == (payment.pk, PaymentRelation.REFUND)
    assert refund.total == -payment.total and balance(user) == Decimal("0.00")
    (made,) = _sandbox_refunds(payment)
    assert made["amount"] == int(payment.total * 100) and made["status"] == "processed"
    assert f"[paydesk:{refund.reference}]" in made["merchant_note"]
    assert refund.gateway_transaction == f"refund:{made['id']}"
    assert refund_left(payment=payment) == 0
    # Asked again (a retry of the same refund row): Paystack's list answers, nothing new made.
    assert refund_ask(refund=refund).status == PaymentStatus.COMPLETED
    assert len(_sandbox_refunds(payment)) == 1
    hooks = [h.event_type for h in sandbox.webhooks("paystack")]
    assert hooks == ["charge.success", "refund.processed"]


def test_two_partial_refunds(sandbox, online_customer):
    user, payment = _paid(online_customer)
    finance = StaffFactory(staff_role="finance")
    payment_refund(payment=payment, reason="Unused minutes", actor=finance, total="2000")
    payment_refund(payment=payment, reason="Goodwill", actor=finance, total="1250.50")
    assert balance(user) == payment.total - Decimal("3250.50")
    assert _rows(payment) == [
        (PaymentRelation.REFUND, PaymentStatus.COMPLETED, Decimal("-2000.00")),
        (PaymentRelation.REFUND, PaymentStatus.COMPLETED, Decimal("-1250.50")),
    ]
    assert [r["amount"] for r in _sandbox_refunds(payment)] == [200000, 125050]
    assert refund_left(payment=payment) == payment.total - Decimal("3250.50")


def test_a_refund_paystack_fails_is_cancelled_and_frees_the_amount(sandbox, online_customer):
    user, payment = _paid(online_customer)
    _dashboard(sandbox, "refund_fails")
    finance = StaffFactory(staff_role="finance")
    refund = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    refund.refresh_from_db()
    assert refund.status == PaymentStatus.CANCELLED
    assert "Paystack" in refund.cancel_reason
    assert balance(user) == payment.total and refund_left(payment=payment) == payment.total
    again = payment_refund(payment=payment, reason="Customer asked", actor=finance)
    assert again.status == PaymentStatus.COMPLETED  # the switch failed one refund only
    assert balance(user) == Decimal("0.00")


def test_a_refund_made_at_the_dashboard_arrives_once(sandbox, online_customer):
    sandbox.switch(webhooks="twice")
    user, payment = _paid(online_customer)
    _dashboard(sandbox, "refund", reference=payment.reference, amount="150000")
    (refund,) = Payment.objects.filter(original=payment)
    assert refund.relation == PaymentRelation.REFUND and refund.status == PaymentStatus.COMPLETED
    assert refund.total == Decimal("-1500.00")
    assert refund.description == f"Refund of {payment.reference} (made through Pay Stack)"
    (made,) = _sandbox_refunds(payment)
    assert refund.gateway_transaction == f"refund:{made['id']}"
    assert balance(user) == payment.total - Decimal("1500.00")
    # Each refund webhook was delivered twice; the replays changed nothing.
    assert all(h.attempts == 2 for h in sandbox.webhooks("paystack"))


def test_a_dispute_lost(sandbox, online_customer):
    user, payment = _paid(online_customer)
    StaffFactory(staff_role="finance", email="finance@example.com")
    _dashboard(sandbox, "dispute", reference=payment.reference)
    dispute = Dispute.objects.get()
    # Paystack's category `chargeback`, worded as what the customer says: they read it too.
    said = "the customer says they did not receive what they paid for, or not as promised"
    assert dispute.is_open and dispute.reason == said
    assert dispute.gateway_status == "awaiting-merchant-feedback"
    assert dispute.evidence_due is not None and dispute.amount == payment.total
    _dashboard(sandbox, "remind", reference=payment.reference)
    _dashboard(sandbox, "accept", reference=payment.reference)
    (chargeback,) = Payment.objects.filter(original=payment)  # Paystack's own refund not counted
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert chargeback.status == PaymentStatus.COMPLETED and chargeback.total == -payment.total
    assert chargeback.description == f"Chargeback of {payment.reference}: {said}"
    assert balance(user) == Decimal("0.00")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.chargeback) == ("lost", chargeback)
    assert dispute.gateway_status == "resolved (merchant-accepted)"
    refused = PaymentLogEntry.objects.filter(event_id__startswith="unconfirmed:refund.")
    assert refused.count() == 1  # the refund.processed of the dispute's refund
    assert [r["dispute"] for r in _sandbox_refunds(payment)] == [int(dispute.dispute_id)]


def test_a_dispute_won(sandbox, online_customer):
    user, payment = _paid(online_customer)
    _dashboard(sandbox, "dispute", reference=payment.reference, amount="100000")
    _dashboard(sandbox, "decline", reference=payment.reference)
    dispute = Dispute.objects.get()
    assert dispute.status == "won" and dispute.amount == Decimal("1000.00")
    assert not Payment.objects.filter(original=payment).exists()
    assert balance(user) == payment.total and refund_left(payment=payment) == payment.total


def test_a_replayed_refund_webhook_changes_nothing(sandbox, online_customer):
    user, payment = _paid(online_customer)
    refund = payment_refund(
        payment=payment, reason="Asked", total="1000", actor=StaffFactory(staff_role="finance")
    )
    hook = [h for h in sandbox.webhooks("paystack") if h.event_type == "refund.processed"][0]
    body = hook.body.encode()
    answer = httpx.post(
        f"{sandbox.url}/webhooks/paystack/",
        content=body,
        timeout=30,
        headers={"x-paystack-signature": signature_for(body), "Content-Type": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["duplicate"] is True
    assert _rows(payment) == [(PaymentRelation.REFUND, PaymentStatus.COMPLETED, refund.total)]
    assert balance(user) == payment.total - Decimal("1000.00")
    assert json.loads(body)["data"]["transaction_reference"] == payment.reference


def test_the_refund_calls_speak_the_documented_api(sandbox, online_customer, monkeypatch):
    """POST /refund and GET /refund, as sent and as answered, against paystack-openapi.yaml."""
    from openapi_core import OpenAPI

    from tests.online.test_paystack_contract import SPEC_FILE, _as_spec_request, _as_spec_response

    seen = []
    send = httpx.Client.send

    def recording_send(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        if request.url.path == "/sandbox/paystack/refund":
            response.read()
            seen.append((request, response))
        return response

    monkeypatch.setattr(httpx.Client, "send", recording_send)
    _user, payment = _paid(online_customer)
    payment_refund(
        payment=payment, reason="Asked", total="1000", actor=StaffFactory(staff_role="finance")
    )
    spec = OpenAPI.from_file_path(str(SPEC_FILE))
    for request, response in seen:
        spec_request = _as_spec_request(request)
        spec.validate_request(spec_request)
        spec.validate_response(spec_request, _as_spec_response(response))
    # The adapter listed (nothing of ours yet) and asked; the webhook's confirm step listed
    # again (recorded as each answer ends: the POST's answer comes last).
    assert [(q.method, r.status_code) for q, r in seen] == [
        ("GET", 200),
        ("GET", 200),
        ("POST", 200),
    ]
    sent = json.loads(seen[-1][0].content)
    assert sent["amount"] == 100000 and sent["transaction"] == payment.reference
