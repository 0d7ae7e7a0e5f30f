"""The customer is told when a chargeback takes money from their balance and when its reversal
gives it back: queued in the outbox by the transaction that posts the row, to the customer's
billing contacts (the rule of the other payment emails), once per chargeback row however often
the gateway tells it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from paydesk.accounts.models import StaffRole
from paydesk.checkout.events import gateway_event_apply
from paydesk.gateways.base import DisputeEvent, DisputeStage
from paydesk.ledger.models import Payment, PaymentRelation
from paydesk.ledger.services import PaidDetails
from paydesk.money import Money
from paydesk.notifications.models import EmailKind, OutboundEmail
from paydesk.notifications.services import email_content, notify_chargeback
from paydesk.provider.brand import brand_update
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db

CONTACTS = ["accounts@acme.example", "billing@acme.example"]


def acme():
    customer = CustomerFactory(name="Acme Telecom")
    for email in CONTACTS:
        customer.contacts.create(email=email)
    return customer


def dispute(payment: Payment, stage: DisputeStage, event_id: str, *, amount: Money | None = None):
    return gateway_event_apply(
        event=DisputeEvent(
            gateway="card",
            event_id=event_id,
            dispute_id="dp_1",
            stage=stage,
            amount=amount or Money(payment.total, "USD"),
            transaction_id=payment.gateway_transaction,
            reason="product_not_received",
            gateway_status=str(stage),
        )
    )


def emails(kind: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=kind).order_by("to"))


def test_a_chargeback_tells_the_billing_contacts_what_was_taken_from_which_payment(card_gateway):
    StaffFactory(staff_role=StaffRole.FINANCE, email="finance@example.com")
    admin = StaffFactory(staff_role=StaffRole.ADMIN, email="admin@example.com")
    brand_update(actor=admin, support_email="help@provider.example", support_phone="+1 555 0100")
    customer = acme()
    PortalUserFactory(customer=customer, email="portal@acme.example")  # not a contact
    payment = card_payment(customer)
    dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_withdrawn")

    chargeback = Payment.objects.get(original=payment, relation=PaymentRelation.CHARGEBACK)
    sent = emails(EmailKind.CHARGEBACK)
    assert [e.to for e in sent] == CONTACTS
    assert {e.payment for e in sent} == {chargeback}
    subject, text, html = email_content(sent[0])
    assert subject == f"Chargeback: $50.00 USD taken back from payment {payment.reference}"
    opening = (
        f"$50.00 USD of payment {payment.reference} has been taken back by a chargeback and "
        "debited from the balance of Acme Telecom."
    )
    paid_on = sent[0].context["original_date"]
    assert paid_on and paid_on[:4].isdigit()
    of_payment = f"{payment.reference} of $50.00 USD, paid by Credit Card on {paid_on}"
    for body in (text, html):
        assert opening in body
        assert of_payment in body
        assert chargeback.reference in body
        assert f"Chargeback of {payment.reference}: product not received" in body
        assert "What is a chargeback?" in body
        assert "contact Acme" not in body  # the provider is contacted, not the customer
        assert f"quoting {chargeback.reference}." in body
        assert "help@provider.example" in body and "+1 555 0100" in body
    assert "Balance after this chargeback: $0.00 USD" in " ".join(text.split())
    assert "$0.00 USD" in html
    assert not [e for e in OutboundEmail.objects.all() if e.to == "portal@acme.example"]


def test_a_reversal_says_the_money_was_returned(card_gateway):
    payment = card_payment(acme())
    dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_withdrawn")
    dispute(payment, DisputeStage.FUNDS_REINSTATED, "evt_reinstated")

    chargeback = Payment.objects.get(original=payment, relation=PaymentRelation.CHARGEBACK)
    reversal = Payment.objects.get(original=payment, relation=PaymentRelation.CHARGEBACK_REVERSED)
    sent = emails(EmailKind.CHARGEBACK_REVERSED)
    assert [e.to for e in sent] == CONTACTS and {e.payment for e in sent} == {reversal}
    subject, text, html = email_content(sent[0])
    assert subject == (
        f"Chargeback reversed: $50.00 USD returned to your balance ({payment.reference})"
    )
    returned = (
        f"the $50.00 USD taken by chargeback {chargeback.reference} has been returned to the "
        "balance of Acme Telecom."
    )
    for body in (text, html):
        assert returned in body
        assert reversal.reference in body
        assert f"quoting {reversal.reference}." in body
    assert "Balance after this reversal: $50.00 USD" in " ".join(text.split())


def test_each_row_is_told_once_however_often_the_gateway_tells_it(card_gateway):
    payment = card_payment(acme())
    for stage, event_id in [
        (DisputeStage.OPENED, "e1"),
        (DisputeStage.FUNDS_WITHDRAWN, "e2"),
        (DisputeStage.FUNDS_WITHDRAWN, "e2"),  # the same delivery again
        (DisputeStage.FUNDS_WITHDRAWN, "e2-again-with-a-new-id"),
        (DisputeStage.LOST, "e3"),  # a stage that would take the money again
        (DisputeStage.FUNDS_REINSTATED, "e4"),
        (DisputeStage.FUNDS_REINSTATED, "e4"),
        (DisputeStage.WON, "e5"),  # a stage that would give it back again
    ]:
        dispute(payment, stage, event_id)

    assert [e.to for e in emails(EmailKind.CHARGEBACK)] == CONTACTS
    assert [e.to for e in emails(EmailKind.CHARGEBACK_REVERSED)] == CONTACTS
    for row in Payment.objects.filter(original=payment):
        assert notify_chargeback(payment=row) == 0  # asked again: already queued


def test_no_email_when_the_chargeback_rolls_back(card_gateway):
    payment = card_payment(acme())

    class Aborted(Exception):
        pass

    with pytest.raises(Aborted), transaction.atomic():
        dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_withdrawn")
        assert len(emails(EmailKind.CHARGEBACK)) == 2  # queued inside the transaction
        raise Aborted

    assert not Payment.objects.filter(original=payment).exists()
    assert emails(EmailKind.CHARGEBACK) == []


def test_a_customer_without_billing_contacts_gets_none_as_with_a_refund(card_gateway):
    payment = card_payment(CustomerFactory())
    dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_withdrawn")
    assert Payment.objects.filter(original=payment).exists()
    assert emails(EmailKind.CHARGEBACK) == []


def test_a_payer_who_paid_in_another_currency_reads_both_amounts(card_gateway):
    paid = PaidDetails(
        amount=Decimal("45.00"), currency="EUR", fx_rate="1.111111111", surcharge=Decimal(0)
    )
    payment = card_payment(acme(), paid=paid)
    dispute(payment, DisputeStage.FUNDS_WITHDRAWN, "evt_withdrawn", amount=Money("45.00", "EUR"))
    _subject, text, _html = email_content(emails(EmailKind.CHARGEBACK)[0])
    assert "$50.00 USD (€45.00 EUR as paid)" in text
