from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.accounts.models import BillingProfile, PaymentMethod
from paydesk.documents.models import CustomerTaxRule, Document, InvoicingSettings
from paydesk.ledger.refunds import refund_create
from paydesk.ledger.services import payment_complete, payment_create
from tests.factories import CustomerFactory


def invoicing_on(*, rate: str = "20", enabled: bool = True) -> InvoicingSettings:
    return InvoicingSettings.objects.create(
        invoices_enabled=enabled,
        legal_name="Paydesk Telecom Ltd",
        address="1 Carrier Street\n75001 Paris",
        country="FR",
        tax_id="FR40303265045",
        tax_rate=Decimal(rate),
    )


def billed_customer(*, name: str = "Acme Telecom", rule: str = "", currency: str = "EUR", **kw):
    customer = CustomerFactory(name=name, currency=currency)
    BillingProfile.objects.create(
        customer=customer,
        legal_name=kw.get("legal_name", f"{name} GmbH"),
        address_line1="Hauptstraße 5",
        city="Berlin",
        postal_code="10115",
        country=kw.get("country", "DE"),
        tax_id=kw.get("tax_id", "DE136695976"),
    )
    if rule:
        CustomerTaxRule.objects.create(customer=customer, rule=rule)
    return customer


def topup(customer, total="120.00", method=PaymentMethod.BANK_TRANSFER, **kw):
    """A pending top-up completed through the ledger (as Finance or a gateway would)."""
    pending = payment_create(
        customer=customer,
        total=total,
        description=kw.pop("description", "Bank transfer"),
        method=method,
        status="pending",
    )
    return payment_complete(payment=pending, **kw)


def credit_note_of(paid, total: str) -> Document:
    """The credit note of a refund of `total` of the top-up `paid`, recorded completed."""
    refund = refund_create(original=paid, total=total, reason="Unused", status="completed")
    return Document.objects.get(payment=refund)


@pytest.fixture
def invoicing(db):
    return invoicing_on()
