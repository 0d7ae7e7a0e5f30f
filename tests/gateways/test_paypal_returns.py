"""PayPal refund, reversal and dispute webhooks: parsed into RefundEvent / DisputeEvent (shapes as
PayPal documents them), and signed with the text PayPal's own library (paypalrestsdk) builds,
posted to the real /webhooks/paypal/ endpoint: applied once, a replay changes nothing."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from paypalrestsdk.notifications import WebhookEvent

from paydesk.errors import GatewayError
from paydesk.gateways.base import DisputeEvent, DisputeStage, Outcome, RefundEvent
from paydesk.gateways.paypal.disputes import REASONS, STATUSES, reason_words, status_words
from paydesk.gateways.paypal.webhooks import parse_paypal_event
from paydesk.ledger.models import Dispute, Payment, PaymentRelation
from paydesk.ledger.services import payment_create
from paydesk.money import Money
from tests.factories import CustomerFactory
from tests.gateways.senders import CERT_URL, PAYPAL_KEY, SECRETS

CAPTURE = "2GG279541U471931P"
API = "https://api.paypal.com"


def refund_body(*, kind="PAYMENT.CAPTURE.REFUNDED", status="COMPLETED", value="20.00", **extra):
    return {
        "id": "WH-1GE84257G0350133W-6RW800890C634293G",
        "event_version": "1.0",
        "resource_type": "refund",
        "resource_version": "2.0",
        "event_type": kind,
        "summary": f"A $ {value} USD capture payment was refunded",
        "resource": {
            "id": "1Y107995YT783435V",
            "amount": {"currency_code": "USD", "value": value},
            "status": status,
            "links": [
                {"href": f"{API}/v2/payments/refunds/1Y107995YT783435V", "rel": "self"},
                {"href": f"{API}/v2/payments/captures/{CAPTURE}", "rel": "up"},
            ],
            **extra,
        },
    }


def dispute_body(kind="CUSTOMER.DISPUTE.CREATED", *, movements=(), outcome="", capture=CAPTURE):
    resource = {
        "dispute_id": "PP-D-27803",
        "disputed_transactions": [{"seller_transaction_id": capture, "invoice_number": "x"}],
        "reason": "UNAUTHORISED",
        "status": "RESOLVED" if outcome else "WAITING_FOR_SELLER_RESPONSE",
        "dispute_amount": {"currency_code": "USD", "value": "50.00"},
        "seller_response_due_date": "2026-12-20T08:00:00.000Z",
        "dispute_life_cycle_stage": "CHARGEBACK",
        "money_movements": [
            {
                "affected_party": party,
                "type": move,
                "reason": why,
                "amount": {"currency_code": "USD", "value": "50.00"},
            }
            for party, move, why in movements
        ],
    }
    if outcome:
        resource["dispute_outcome"] = {"outcome_code": outcome}
    return {
        "id": f"WH-{kind}-{outcome or len(movements)}",
        "event_type": kind,
        "resource_type": "dispute",
        "resource": resource,
    }


def parsed(body: dict):
    return parse_paypal_event(json.dumps(body).encode())


def test_a_refund_names_its_capture_refund_and_our_reference():
    event = parsed(refund_body(custom_id="PD-REFUND-1"))
    assert isinstance(event, RefundEvent)
    assert (event.refund_id, event.transaction_id) == ("1Y107995YT783435V", CAPTURE)
    assert event.refund_reference == "PD-REFUND-1" and event.outcome is Outcome.COMPLETED
    assert event.amount == Money(Decimal("20.00"), "USD")
    assert event.event_id == "WH-1GE84257G0350133W-6RW800890C634293G"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("PENDING", Outcome.PENDING), ("FAILED", Outcome.CANCELLED), ("CANCELLED", Outcome.CANCELLED)],
)
def test_refund_statuses(status, outcome):
    event = parsed(refund_body(status=status))
    assert event.outcome is outcome and event.refund_reference == ""


def test_an_unknown_refund_status_or_a_refund_of_no_capture_is_unreadable():
    with pytest.raises(GatewayError):
        parsed(refund_body(status="SOMETHING_NEW"))
    body = refund_body()
    body["resource"]["links"] = [{"href": "https://evil.example/v2/payments/x", "rel": "up"}]
    with pytest.raises(GatewayError):
        parsed(body)


def test_a_reversal_is_funds_withdrawn_on_the_captures_dispute():
    event = parsed(refund_body(kind="PAYMENT.CAPTURE.REVERSED", value="50.00"))
    assert isinstance(event, DisputeEvent)
    assert (event.dispute_id, event.transaction_id) == (CAPTURE, CAPTURE)
    assert event.stage is DisputeStage.FUNDS_WITHDRAWN
    assert event.amount == Money(Decimal("50.00"), "USD")


SELLER_DEBIT = ("SELLER", "DEBIT", "DISPUTE_SETTLEMENT")
SELLER_CREDIT = ("SELLER", "CREDIT", "DISPUTE_SETTLEMENT")


@pytest.mark.parametrize(
    ("kind", "movements", "outcome", "stage"),
    [
        ("CUSTOMER.DISPUTE.CREATED", (), "", DisputeStage.OPENED),
        ("CUSTOMER.DISPUTE.CREATED", (SELLER_DEBIT,), "", DisputeStage.FUNDS_WITHDRAWN),
        ("CUSTOMER.DISPUTE.UPDATED", (), "", DisputeStage.UPDATED),
        (
            "CUSTOMER.DISPUTE.UPDATED",
            (("SELLER", "DEBIT", "CHARGEBACK_FEE"),),
            "",
            DisputeStage.UPDATED,
        ),
        (
            "CUSTOMER.DISPUTE.UPDATED",
            (("BUYER", "CREDIT", "DISPUTE_SETTLEMENT"),),
            "",
            DisputeStage.UPDATED,
        ),
        ("CUSTOMER.DISPUTE.UPDATED", (SELLER_DEBIT,), "", DisputeStage.FUNDS_WITHDRAWN),
        (
            "CUSTOMER.DISPUTE.UPDATED",
            (SELLER_DEBIT, SELLER_CREDIT),
            "",
            DisputeStage.FUNDS_REINSTATED,
        ),
        ("CUSTOMER.DISPUTE.RESOLVED", (SELLER_DEBIT,), "RESOLVED_BUYER_FAVOUR", DisputeStage.LOST),
        ("CUSTOMER.DISPUTE.RESOLVED", (), "ACCEPTED", DisputeStage.LOST),
        ("CUSTOMER.DISPUTE.RESOLVED", (), "RESOLVED_SELLER_FAVOUR", DisputeStage.WON),
        ("CUSTOMER.DISPUTE.RESOLVED", (), "DENIED", DisputeStage.WON),
        ("CUSTOMER.DISPUTE.RESOLVED", (), "RESOLVED_WITH_PAYOUT", DisputeStage.WON),
        ("CUSTOMER.DISPUTE.RESOLVED", (), "CANCELED_BY_BUYER", DisputeStage.WON),
        ("CUSTOMER.DISPUTE.RESOLVED", (), "NONE", DisputeStage.CLOSED),
    ],
)
def test_dispute_stages(kind, movements, outcome, stage):
    event = parsed(dispute_body(kind, movements=movements, outcome=outcome))
    assert isinstance(event, DisputeEvent) and event.stage is stage
    assert (event.dispute_id, event.transaction_id) == (CAPTURE, CAPTURE)
    assert (
        event.reason == "the buyer says they did not authorise the payment (PayPal case PP-D-27803)"
    )
    assert event.summary["reason"] == "UNAUTHORISED"  # the code kept for support
    assert event.evidence_due is not None and event.evidence_due.isoformat().startswith(
        "2026-12-20T08:00"
    )
    assert event.amount == Money(Decimal("50.00"), "USD")


def test_a_dispute_of_no_seller_transaction_is_unreadable():
    with pytest.raises(GatewayError):
        parsed(dispute_body(capture=""))


def test_other_event_types_are_ignored():
    assert parsed({"id": "WH-1", "event_type": "CUSTOMER.DISPUTE.OTHER", "resource": {}}) is None


# --- through the real endpoint, signed with the text paypalrestsdk builds ---------------------


def sdk_signed(body: dict, n: int) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    transmission_id, when = f"0b1c2d3e-0000-11ee-8a8b-{n:012d}", "2026-11-26T10:00:00Z"
    message = WebhookEvent._get_expected_sig(
        transmission_id, when, SECRETS["PAYDESK_PAYPAL_WEBHOOK_ID"], raw.decode()
    )
    signature = PAYPAL_KEY.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return raw, {
        "HTTP_PAYPAL_AUTH_ALGO": "SHA256withRSA",
        "HTTP_PAYPAL_CERT_URL": CERT_URL,
        "HTTP_PAYPAL_TRANSMISSION_ID": transmission_id,
        "HTTP_PAYPAL_TRANSMISSION_SIG": base64.b64encode(signature).decode(),
        "HTTP_PAYPAL_TRANSMISSION_TIME": when,
    }


def post(client, body: dict, n: int) -> dict:
    raw, headers = sdk_signed(body, n)
    answer = client.post("/webhooks/paypal/", raw, content_type="application/json", **headers)
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.fixture
def paid(db):
    return payment_create(
        customer=CustomerFactory(currency="USD"),
        total=Decimal("50.00"),
        description="PayPal top-up",
        method="paypal",
        gateway="paypal",
        gateway_reference="5O190127TN364715T",
        gateway_transaction=CAPTURE,
    )


@pytest.mark.filterwarnings("ignore::DeprecationWarning:paypalrestsdk")
def test_a_dashboard_refund_signed_as_paypal_signs_is_posted_once(client, paid):
    assert post(client, refund_body(), 1) == {"status": "applied", "duplicate": False}
    assert post(client, refund_body(), 2) == {"status": "applied", "duplicate": True}
    [refund] = Payment.objects.filter(original=paid)
    assert refund.relation == PaymentRelation.REFUND and refund.total == Decimal("-20.00")
    assert refund.gateway_transaction == "refund:1Y107995YT783435V"
    paid.customer.refresh_from_db()
    assert paid.customer.balance == Decimal("30.00")


@pytest.mark.filterwarnings("ignore::DeprecationWarning:paypalrestsdk")
def test_a_reversal_and_the_cases_own_debit_post_one_chargeback(client, paid):
    post(client, dispute_body(), 1)
    post(client, refund_body(kind="PAYMENT.CAPTURE.REVERSED", value="50.00"), 2)
    post(client, dispute_body("CUSTOMER.DISPUTE.UPDATED", movements=(SELLER_DEBIT,)), 3)
    post(
        client,
        dispute_body(
            "CUSTOMER.DISPUTE.RESOLVED", movements=(SELLER_DEBIT,), outcome="RESOLVED_BUYER_FAVOUR"
        ),
        4,
    )
    [chargeback] = Payment.objects.filter(original=paid)
    assert chargeback.relation == PaymentRelation.CHARGEBACK
    assert chargeback.total == Decimal("-50.00")
    dispute = Dispute.objects.get(payment=paid)
    assert (dispute.status, dispute.chargeback, dispute.dispute_id) == ("lost", chargeback, CAPTURE)
    paid.customer.refresh_from_db()
    assert paid.customer.balance == Decimal("0.00")


# The Customer Disputes API v1's enumerations (developer.paypal.com, `dispute_reason` and the
# dispute's `status`).
PAYPAL_REASONS = (
    "MERCHANDISE_OR_SERVICE_NOT_RECEIVED", "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED",
    "UNAUTHORISED", "CREDIT_NOT_PROCESSED", "DUPLICATE_TRANSACTION", "INCORRECT_AMOUNT",
    "PAYMENT_BY_OTHER_MEANS", "CANCELED_RECURRING_BILLING", "PROBLEM_WITH_REMITTANCE", "OTHER",
)  # fmt: skip
PAYPAL_STATUSES = (
    "OPEN", "WAITING_FOR_BUYER_RESPONSE", "WAITING_FOR_SELLER_RESPONSE", "UNDER_REVIEW",
    "RESOLVED", "OTHER",
)  # fmt: skip


def test_every_dispute_reason_and_status_paypal_documents_has_words():
    """PayPal's codes reached the customer's chargeback row and the back office as they came
    (`UNAUTHORISED`, `WAITING_FOR_SELLER_RESPONSE`). Each value PayPal documents reads as
    words, and the words never call anyone a fraud."""
    assert sorted(set(PAYPAL_REASONS) - set(REASONS)) == []
    assert sorted(set(PAYPAL_STATUSES) - set(STATUSES)) == []
    for words in [*REASONS.values(), *STATUSES.values()]:
        assert "_" not in words and "fraud" not in words.lower(), words
    assert status_words("WAITING_FOR_SELLER_RESPONSE").startswith("Waiting for your response")
    assert reason_words("SOMETHING_NEW") == "something new"  # a code not listed: as it came
