"""A SEPA Direct Debit the bank is still confirming (Stripe reports its PaymentIntent
`processing`): the home page counts it as awaiting the bank, not as a checkout the customer left
unfinished, and nobody completes it by hand — Stripe's webhook completes or cancels it."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.contrib.messages import get_messages

from paydesk.audit.models import AuditEntry
from paydesk.checkout.events.apply import gateway_event_apply
from paydesk.credits.services import staff_payment_complete
from paydesk.errors import InvalidTransition
from paydesk.gateways.stripe.gateway import SEPA_PROCESSING
from paydesk.gateways.stripe.webhooks import parse_stripe_event
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_complete, payment_create, payment_pending_note
from tests.backoffice.conftest import PAYMENTS
from tests.backoffice.test_home import count_of

pytestmark = pytest.mark.django_db


def _online(customer, n: int, reason: str = "", method: str = "sepa_debit"):
    """A pending Stripe payment as checkout/events leaves it (a SEPA debit's gateway is Stripe's
    `card`; one made before sepa_debit existed has method `card`). `reason`: SEPA_PROCESSING
    applies Stripe's `payment_intent.processing` webhook for a SEPA debit (the flag is set from
    it); another reason is only noted."""
    payment = payment_create(
        customer=customer, total="20.00", description=f"Stripe payment ({n})",
        status="pending", method=method, gateway="card", gateway_reference=f"pi_{n}",
    )  # fmt: skip
    if reason == SEPA_PROCESSING:
        gateway_event_apply(event=parse_stripe_event(processing_webhook(payment, n)))
    elif reason:
        payment_pending_note(payment=payment, reason=reason)
    payment.refresh_from_db()
    return payment


def processing_webhook(payment, n: int, types=("sepa_debit",)) -> bytes:
    intent = {
        "object": "payment_intent", "id": f"pi_{n}", "status": "processing", "amount": 2000,
        "currency": payment.customer.currency.lower(), "payment_method_types": list(types),
        "metadata": {"paydesk_reference": payment.reference},
    }  # fmt: skip
    body = {"id": f"evt_processing_{n}", "type": "payment_intent.processing"}
    return json.dumps({**body, "data": {"object": intent}}).encode()


def test_the_home_page_counts_debits_awaiting_the_bank_apart(finance, customer):
    in_transit = _online(customer, 1, SEPA_PROCESSING)
    from_before = _online(customer, 2, SEPA_PROCESSING, method="card")
    unfinished = _online(customer, 3, method="card")
    html = finance.get("/backoffice/").content.decode()
    assert count_of(html, "Payments awaiting the bank") == 2
    assert count_of(html, "Other pending payments") == 1
    listed = finance.get(f"{PAYMENTS}?waiting=bank").content.decode()
    assert f"{PAYMENTS}{in_transit.pk}/change/" in listed
    assert f"{PAYMENTS}{from_before.pk}/change/" in listed
    assert f"{PAYMENTS}{unfinished.pk}/change/" not in listed


def test_a_debit_awaiting_the_bank_is_not_completed_by_hand(finance, finance_user, customer):
    payment = _online(customer, 1, SEPA_PROCESSING)
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert f"{PAYMENTS}{payment.pk}/complete/" not in page
    assert f"{PAYMENTS}{payment.pk}/cancel/" in page
    for answer in (
        finance.get(f"{PAYMENTS}{payment.pk}/complete/"),
        finance.post(f"{PAYMENTS}{payment.pk}/complete/", {"total": "20.00"}),
    ):
        assert answer.status_code == 302
        assert answer["Location"] == f"{PAYMENTS}{payment.pk}/change/"
        said = " ".join(str(m) for m in get_messages(answer.wsgi_request))
        assert "SEPA Direct Debit the bank is still confirming" in said
    with pytest.raises(InvalidTransition, match="cannot be completed by hand"):
        staff_payment_complete(payment=payment, actor=finance_user)
    bulk = {"action": "complete_selected", "_selected_action": [payment.pk], "index": 0}
    finance.post(PAYMENTS, {**bulk, "post": "yes"})
    payment.refresh_from_db()
    customer.refresh_from_db()
    assert (payment.status, customer.balance) == ("pending", Decimal(0))
    assert not AuditEntry.objects.filter(action="payment.complete").exists()


def test_an_unfinished_card_checkout_still_offers_complete(finance, customer):
    payment = _online(customer, 3, method="card")
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert f"{PAYMENTS}{payment.pk}/complete/" in page


def test_the_flag_comes_from_the_gateways_event_not_from_the_text(finance, customer):
    flagged = _online(customer, 1, SEPA_PROCESSING)
    assert flagged.awaiting_bank and flagged.pending_reason == SEPA_PROCESSING
    # The same words noted by hand, or a card payment's processing webhook: not the fact.
    worded = _online(customer, 2, "The SEPA Direct Debit is on its way, says staff.")
    payment_pending_note(payment=worded, reason=SEPA_PROCESSING)
    card = _online(customer, 3, method="card")
    gateway_event_apply(event=parse_stripe_event(processing_webhook(card, 3, types=["card"])))
    for payment in (worded, card):
        payment.refresh_from_db()
        assert payment.status == "pending" and not payment.awaiting_bank
    html = finance.get("/backoffice/").content.decode()
    assert count_of(html, "Payments awaiting the bank") == 1
    assert count_of(html, "Other pending payments") == 2


def test_a_later_older_pending_event_does_not_clear_the_flag(customer):
    """Webhooks may arrive out of order: Stripe's earlier requires_action, arriving after the
    processing one, leaves the payment awaiting the bank."""
    payment = _online(customer, 1, SEPA_PROCESSING)
    older = json.loads(processing_webhook(payment, 1))
    older["id"], older["type"] = "evt_older_1", "payment_intent.requires_action"
    older["data"]["object"]["status"] = "requires_action"
    gateway_event_apply(event=parse_stripe_event(json.dumps(older).encode()))
    payment.refresh_from_db()
    assert payment.status == "pending" and payment.awaiting_bank


def test_the_migration_flags_existing_pending_sepa_debits_from_the_old_text(customer):
    """ledger 0009's data step, run on rows as they were before it: only pending Stripe payments
    with the SEPA processing text get the flag."""
    migration = importlib.import_module("paydesk.ledger.migrations.0009_payment_awaiting_bank")
    before = _online(customer, 1, "placeholder")
    payment_pending_note(payment=before, reason=SEPA_PROCESSING)
    other_reason = _online(customer, 2, "Stripe is processing the card payment.")
    other_gateway = payment_create(
        customer=customer, total="20.00", description="Bank transfer", status="pending",
        method="bank_transfer", gateway="bank_transfer",
    )  # fmt: skip
    payment_pending_note(payment=other_gateway, reason=SEPA_PROCESSING)
    settled = _online(customer, 3, "placeholder")
    payment_pending_note(payment=settled, reason=SEPA_PROCESSING)
    payment_complete(payment=settled, total=Decimal("20.00"))
    migration.flag_pending_sepa_debits(django_apps, None)
    flags = dict(Payment.objects.values_list("pk", "awaiting_bank"))
    assert flags == {before.pk: True, other_reason.pk: False, other_gateway.pk: False,
                     settled.pk: False}  # fmt: skip
