"""A staff cancel reason is split at `#` like a description: the customer sees the part before
it (portal payment page, bank transfer page, status page, API, webhook events); staff see the
whole (back office, staff API) and the audit log keeps it as typed. The review's example:
"Funds never arrived #internal: customer flagged for fraud review"."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from paydesk.audit.models import AuditEntry
from paydesk.errors import PaymentError
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_cancel, payment_create
from paydesk.outhooks.models import Event
from tests.api.conftest import ApiClient, key_for
from tests.backoffice.conftest import PAYMENTS
from tests.banktransfers.conftest import transfer

pytestmark = pytest.mark.django_db

TYPED = "Funds never arrived #internal: customer flagged for fraud review"
PUBLIC = "Funds never arrived"
NOTE = "internal: customer flagged for fraud review"
HELP = "The customer sees this reason; anything after # is for staff only."


def _cancel_in_back_office(finance: Client, payment: Payment) -> Payment:
    form = finance.get(f"{PAYMENTS}{payment.pk}/cancel/").content.decode()
    assert HELP in form
    response = finance.post(f"{PAYMENTS}{payment.pk}/cancel/", {"reason": TYPED})
    assert response.status_code == 302
    payment.refresh_from_db()
    return payment


@pytest.fixture
def portal(portal_user) -> Client:
    client = Client()
    client.force_login(portal_user)
    return client


def test_the_back_office_keeps_the_note_apart_and_audits_the_whole(finance, finance_user, pending):
    payment = _cancel_in_back_office(finance, pending)
    assert payment.status == "cancelled"
    assert (payment.cancel_reason, payment.cancel_note) == (PUBLIC, NOTE)
    [entry] = AuditEntry.objects.filter(action="payment.cancel")
    assert entry.actor == finance_user and entry.after["reason"] == TYPED
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert PUBLIC in page and NOTE in page


def test_the_customer_reads_only_the_public_part_on_the_payment_page(finance, portal, pending):
    payment = _cancel_in_back_office(finance, pending)
    page = portal.get(f"/payments/{payment.reference}/").content.decode()
    assert PUBLIC in page and "fraud" not in page and "internal" not in page


def test_the_customer_reads_only_the_public_part_on_the_transfer_page(finance, portal, customer):
    payment = _cancel_in_back_office(finance, transfer(customer))
    page = portal.get(f"/transfers/{payment.reference}/").content.decode()
    assert PUBLIC in page and "fraud" not in page and "internal" not in page
    staff = finance.get(reverse("backoffice:banktransfers_banktransfer_change", args=[payment.pk]))
    assert NOTE in staff.content.decode()


def test_the_status_page_shows_only_the_public_part(finance, portal, customer):
    online = payment_create(
        customer=customer,
        total="26",
        description="PayPal",
        status="pending",
        method="paypal",
        gateway="paypal",
    )
    payment = _cancel_in_back_office(finance, online)
    page = portal.get(f"/pay/status/{payment.reference}/").content.decode()
    assert PUBLIC in page and "fraud" not in page and "internal" not in page


def test_the_api_and_the_webhook_event_carry_only_the_public_part(
    finance, portal_user, finance_user, pending
):
    payment = _cancel_in_back_office(finance, pending)
    answer = ApiClient(key_for(portal_user)).get(f"/api/v1/payments/{payment.reference}")
    assert answer.status_code == 200
    assert answer.json()["reason"] == PUBLIC and "fraud" not in answer.content.decode()
    event = Event.objects.get(payment=payment, type="payment.cancelled")
    assert json.loads(event.data)["reason"] == PUBLIC and "fraud" not in event.data

    staff = ApiClient(key_for(finance_user)).get(
        "/api/v1/staff/payments", {"customer_id": payment.customer_id, "status": "cancelled"}
    )
    [row] = staff.json()["data"]
    assert (row["reason"], row["cancel_reason"], row["cancel_note"]) == (PUBLIC, PUBLIC, NOTE)


def test_staff_cancelling_through_the_api_split_the_same_way(finance_user, pending):
    staff = ApiClient(key_for(finance_user))
    answer = staff.post(f"/api/v1/staff/payments/{pending.reference}/cancel", {"reason": TYPED})
    assert answer.status_code == 200
    assert (answer.json()["cancel_reason"], answer.json()["cancel_note"]) == (PUBLIC, NOTE)


def test_a_reason_with_nothing_for_the_customer_is_refused(finance_user, pending):
    with pytest.raises(PaymentError) as refused:
        payment_cancel(payment=pending, reason="#only for staff", actor=finance_user)
    assert refused.value.field == "reason"
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_reason_a_gateway_or_the_system_gives_is_never_split(customer):
    """`#` is a convention of what staff type: a gateway's reason keeps its `#` for the customer,
    and a reason that starts with one is not refused."""
    for reason in ("Order #123 expired at the gateway.", "#4471: declined by the issuer"):
        pending = payment_create(
            customer=customer, total="10", description="Card", status="pending", method="card"
        )
        cancelled = payment_cancel(payment=pending, reason=reason)
        assert (cancelled.cancel_reason, cancelled.cancel_note) == (reason, "")
    recorded = payment_create(
        customer=customer,
        total="10",
        description="Card",
        status="cancelled",
        cancel_reason="Order #9 abandoned",
    )
    assert (recorded.cancel_reason, recorded.cancel_note) == ("Order #9 abandoned", "")
