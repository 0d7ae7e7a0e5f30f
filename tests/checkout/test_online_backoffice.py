"""What Finance sees and does about gateway payments in the back office: the payments that need
attention (a partial crypto payment), why one waits, its payment log with redacted summaries,
"Ask the gateway now" (Finance only, audited), and completing with the amount received."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.checkout.events import gateway_event_apply, gateway_exchange_record
from paydesk.checkout.services import checkout_start
from paydesk.gateways.base import GatewayEvent, Outcome, redact
from paydesk.gateways.http import Exchange
from paydesk.ledger.models import Payment, PaymentStatus
from tests.checkout import scripted_gateway
from tests.checkout.conftest import configure
from tests.checkout.test_online_flow import scripted  # noqa: F401 (fixture)
from tests.factories import CustomerFactory, PortalUserFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db
PAYMENTS = "/backoffice/ledger/payment/"


def signed_in(user) -> Client:
    return sign_in(Client(), user)


@pytest.fixture
def gateway_payment(db):
    user = PortalUserFactory(customer=CustomerFactory(currency="USD", topup_currencies=["USD"]))
    configure("paypal", enabled=True, currencies=["USD"])
    return checkout_start(
        customer=user.customer,
        user=user,
        method="paypal",
        amount="40",
        currency="USD",
        idempotency_key="backoffice-online-token-0001",
    ).payment


def test_a_partial_payment_is_flagged_listed_and_explained(gateway_payment, finance_user):
    gateway_event_apply(
        event=GatewayEvent(
            gateway="paypal",
            event_id="partial-1",
            outcome=Outcome.PENDING,
            payment_reference=gateway_payment.reference,
            attention="Partially paid: 0.0004 of 0.0006 BTC received.",
            in_flight=True,
        )
    )
    payment = Payment.objects.get(pk=gateway_payment.pk)
    assert payment.needs_attention and payment.status == PaymentStatus.PENDING
    assert payment.pending_reason == "Partially paid: 0.0004 of 0.0006 BTC received."

    finance = signed_in(finance_user)
    listed = finance.get(PAYMENTS, {"needs_attention__exact": "1"}).content.decode()
    assert payment.reference in listed
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert "Partially paid: 0.0004 of 0.0006 BTC received." in page
    assert "Needs staff attention" in page  # the payment log line, shown on the payment


def test_finance_completes_a_partial_payment_with_the_amount_received(
    gateway_payment, finance_user
):
    finance = signed_in(finance_user)
    response = finance.post(f"{PAYMENTS}{gateway_payment.pk}/complete/", {"total": "26.00"})
    assert response.status_code == 302
    payment = Payment.objects.get(pk=gateway_payment.pk)
    assert (payment.status, payment.total) == (PaymentStatus.COMPLETED, Decimal("26.00"))
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("26.00")


def test_the_payment_log_shows_requests_redacted(gateway_payment, finance_user):
    gateway_exchange_record(
        Exchange(
            gateway="paypal",
            method="POST",
            path="/v2/checkout/orders",
            status=201,
            duration_ms=30,
            payment_reference=gateway_payment.reference,
            idempotency_key="checkout:backoffice-online-token-0001",
            request_summary=redact({"intent": "CAPTURE", "client_secret": "cs_live_123"}),
            response_summary=redact({"id": "5O190127TN364715T", "status": "CREATED"}),
        )
    )
    finance = signed_in(finance_user)
    listing = finance.get("/backoffice/checkout/paymentlogentry/", {"direction": "sent"})
    text = listing.content.decode()
    assert "POST /v2/checkout/orders" in text and "cs_live_123" not in text
    entry = gateway_payment.log_entries.get(direction="sent")
    detail = finance.get(f"/backoffice/checkout/paymentlogentry/{entry.pk}/change/")
    body = detail.content.decode()
    assert "response.id" in body and "5O190127TN364715T" in body
    assert "[redacted]" in body and "cs_live_123" not in body


def test_the_payment_page_names_its_log_columns_and_results_in_words(gateway_payment, finance_user):
    """The log on a payment's page had no headings and showed the stored codes ("sent"),
    where the payment log itself says "Sent"."""
    gateway_exchange_record(
        Exchange(
            gateway="paypal",
            method="POST",
            path="/v2/checkout/orders",
            status=201,
            duration_ms=30,
            payment_reference=gateway_payment.reference,
            idempotency_key="checkout:backoffice-online-token-0002",
            request_summary={},
            response_summary={},
        )
    )
    page = signed_in(finance_user).get(f"{PAYMENTS}{gateway_payment.pk}/change/")

    body = page.content.decode()
    headings = ["Received", "What", "Event id", "Result", "Detail"]
    assert "".join(f'<th scope="col">{h}</th>' for h in headings) in body
    assert (
        '<td>Sent · API call</td><td><code class="payment-log-event">POST /v2/checkout/orders'
        "</code></td><td>Sent</td>"
    ) in body


def test_ask_the_gateway_now_settles_it_for_finance_and_is_audited(
    gateway_payment,
    finance_user,
    support_user,
    scripted,  # noqa: F811
):
    scripted["status"] = "completed"
    url = f"{PAYMENTS}{gateway_payment.pk}/refresh/"
    support = signed_in(support_user)
    assert support.post(url).status_code == 403
    assert Payment.objects.get(pk=gateway_payment.pk).status == PaymentStatus.PENDING

    finance = signed_in(finance_user)
    assert finance.get(url).status_code == 405
    page = finance.get(f"{PAYMENTS}{gateway_payment.pk}/change/").content.decode()
    assert url in page and "Ask the gateway now" in page
    response = finance.post(url, follow=True)
    assert f"Payment {gateway_payment.reference} is now completed." in response.content.decode()
    assert Payment.objects.get(pk=gateway_payment.pk).status == PaymentStatus.COMPLETED
    assert ("status", gateway_payment.reference) in scripted_gateway.CALLS
    audit = AuditEntry.objects.get(action="payment.gateway_refresh")
    assert audit.actor_id == finance_user.pk and audit.after["status"] == "completed"
