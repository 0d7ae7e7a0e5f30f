"""Who reads what about a credit waiting for its second person: the customer a neutral "awaiting
approval by the provider" (no amounts, no threshold, no staff), staff the detail; and a refused
request to complete a payment, kept with the payment (what was asked, by whom, who refused it,
when, why) for the back office."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from paydesk.credits.models import CreditApproval, RefusedCompletionRequest
from paydesk.credits.services import (
    credit_approve,
    credit_refuse,
    is_held,
    staff_payment_add,
    staff_payment_complete,
)
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_pending_note
from tests.api.conftest import ApiClient, key_for
from tests.credits.conftest import AWAITING, checkout, signed_in
from tests.portal.conftest import MODEL_BACKEND

pytestmark = pytest.mark.django_db

NEUTRAL = "Awaiting approval by the provider."


def held_and_asked(customer, finance_user) -> tuple[Payment, Payment]:
    """A manual credit held by the window (with its amounts) and a request to complete a card
    checkout for more."""
    staff_payment_add(customer=customer, total="800", description="Wire", actor=finance_user)
    held = staff_payment_add(customer=customer, total="800", description="Wire", actor=finance_user)
    asked = staff_payment_complete(payment=checkout(customer), actor=finance_user, total="5000")
    assert is_held(held) and is_held(asked)
    return held, asked


def test_the_customer_reads_a_neutral_reason(client, customer, portal_user, finance_user):
    held, asked = held_and_asked(customer, finance_user)
    client.force_login(portal_user, backend=MODEL_BACKEND)

    for payment in (held, asked):
        page = client.get(f"/payments/{payment.reference}/").content.decode()
        assert NEUTRAL in page
        for secret in ("1,000.00", "1,600.00", "5,000.00", "threshold", "Finance"):
            assert secret not in page
        assert finance_user.email not in page
    listed = client.get("/api/v1/payments").json()
    reasons = {p["reference"]: p["reason"] for p in listed["data"]}
    assert reasons[held.reference] == reasons[asked.reference] == NEUTRAL


def test_staff_read_the_detail(customer, finance_user, second_finance_user):
    held, asked = held_and_asked(customer, finance_user)
    second = signed_in(second_finance_user)

    shown = second.get(f"{AWAITING}{held.pk}/change/").content.decode()
    assert "comes to $1,600.00 USD, above the four-eyes threshold of $1,000.00 USD" in shown
    shown = second.get(f"{AWAITING}{asked.pk}/change/").content.decode()
    assert "completing it for $5,000.00 USD, more than the $10.00 USD it expected" in shown
    (one, two) = ApiClient(key_for(second_finance_user)).get("/api/v1/staff/approvals").json()
    assert "$1,600.00 USD" in one["reason"] and "$5,000.00 USD" in two["reason"]


def test_a_refused_request_is_kept_and_the_back_office_shows_it(
    customer, finance_user, second_finance_user
):
    payment = checkout(customer)
    staff_payment_complete(payment=payment, actor=finance_user, total="5000")
    asked_at = CreditApproval.objects.get(payment=payment).requested_at

    credit_refuse(payment=payment, actor=second_finance_user, reason="No such card payment")

    (kept,) = RefusedCompletionRequest.objects.filter(payment=payment)
    assert kept.requested_total == Decimal("5000") and kept.requested_by == finance_user
    assert kept.requested_at == asked_at and kept.threshold == Decimal("1000")
    assert kept.refused_by == second_finance_user and kept.refusal == "No such card payment"
    assert kept.reason.startswith("Awaiting approval by a second Finance user: completing it")
    page = signed_in(second_finance_user).get(f"/backoffice/ledger/payment/{payment.pk}/change/")
    text = page.content.decode()
    assert "Refused completion requests" in text
    assert (
        f"Complete for $5,000.00 USD, asked by {finance_user.email} on " in text
        and f": refused by {second_finance_user.email} on " in text
        and "Why: No such card payment" in text
    )
    # Asked again, it waits again; approved, the refusal stays on record.
    assert is_held(staff_payment_complete(payment=payment, actor=finance_user, total="4000"))
    credit_approve(payment=payment, actor=second_finance_user)
    assert RefusedCompletionRequest.objects.filter(payment=payment).count() == 1


def test_the_migration_moves_the_detail_of_those_waiting_to_staff(customer, finance_user):
    migration = importlib.import_module("paydesk.credits.migrations.0003_keep_refused_requests")
    payment = staff_payment_add(
        customer=customer, total="2500", description="Wire", actor=finance_user
    )
    old = "Awaiting approval by a second Finance user: … above the four-eyes threshold of …"
    payment_pending_note(payment=payment, reason=old, needs_attention=True)
    CreditApproval.objects.filter(payment=payment).update(reason="")

    migration.reasons_to_staff(apps, None)

    payment.refresh_from_db()
    assert payment.pending_reason == NEUTRAL
    assert CreditApproval.objects.get(payment=payment).reason == old
