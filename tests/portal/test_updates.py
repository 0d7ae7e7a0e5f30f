"""Live updates: the JSON the page polls, and the fragment it swaps in."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from paydesk.ledger.services import payment_complete, payment_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
UPDATES = reverse("portal:payments_updates")


@pytest.fixture
def pending(customer):
    payment_create(customer=customer, total="30", description="Top-up #note for staff")
    return payment_create(
        customer=customer,
        total="20",
        description="Bank transfer #check the IBAN",
        method="bank_transfer",
        status="pending",
    )


def test_pending_row_reported_then_completed_with_new_balance(portal_client, pending):
    data = portal_client.get(UPDATES, {"ids": str(pending.pk)}).json()
    assert data == {
        "payments": {str(pending.pk): "pending"},
        "currency": "USD",
        "balance": "30.00",
        "balance_display": "$30.00 USD",
    }
    payment_complete(payment=pending)
    data = portal_client.get(UPDATES, {"ids": str(pending.pk)}).json()
    assert data["payments"] == {str(pending.pk): "completed"}
    assert data["balance"] == "50.00"  # money is a string, never a JSON number


def test_the_page_lists_pending_ids_and_the_fragment_shows_the_change(portal_client, pending):
    page = portal_client.get(reverse("portal:payments"))
    assert f'data-pending-ids="{pending.pk}"'.encode() in page.content
    payment_complete(payment=pending)
    fragment = portal_client.get(reverse("portal:payments"), {"fragment": "1"})
    html = fragment.content.decode()
    assert "<html" not in html and "<table" in html
    assert 'data-pending-ids=""' in html
    assert "$50.00 USD" in html


def test_another_customers_ids_are_ignored(portal_client, pending):
    theirs = payment_create(
        customer=CustomerFactory(), total="99", description="Theirs", status="pending"
    )
    data = portal_client.get(UPDATES, {"ids": f"{pending.pk},{theirs.pk}"}).json()
    assert data["payments"] == {str(pending.pk): "pending"}


@pytest.mark.parametrize("ids", ["", "abc", "1,,2,x", "-5", "9" * 40, ",".join(["1"] * 5000)])
def test_garbage_ids_give_an_answer_not_an_error(portal_client, pending, customer, ids):
    response = portal_client.get(UPDATES, {"ids": ids})
    assert response.status_code == 200
    own = {str(pk) for pk in customer.payments.values_list("pk", flat=True)}
    assert set(response.json()["payments"]) <= own


def test_no_staff_comment_and_no_balance_when_hidden(portal_client, pending, customer):
    customer.show_balance = False
    customer.save(update_fields=["show_balance"])
    response = portal_client.get(UPDATES, {"ids": str(pending.pk)})
    text = response.content.decode()
    assert "IBAN" not in text and "note for staff" not in text
    assert "balance" not in json.loads(text)
