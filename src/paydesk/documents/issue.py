"""Invoices and credit notes, issued inside the transaction that completes the payment (the
ledger's top-up step and payment listener, registered in apps.py): a completed top-up gets an
invoice when the provider has switched invoicing on; a completed refund or chargeback of an
invoiced top-up gets a credit note referencing that invoice. A rollback of the completion takes
the number back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from paydesk.accounts.models import PaymentMethod
from paydesk.documents.labels import method_label, provider_local
from paydesk.documents.models import Document, DocumentKind, InvoicingSettings, TaxRule
from paydesk.documents.numbering import document_code, number_take
from paydesk.documents.provider import customer_details, provider_details
from paydesk.ledger.hooks import PaymentChange
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.money import currency_exponent, plain_amount, round_half_up

SERIES: dict[str, str] = {DocumentKind.INVOICE: "INV", DocumentKind.CREDIT_NOTE: "CN"}
TOPUP_RELATIONS = (PaymentRelation.NONE, PaymentRelation.LATE_PAYMENT)
CORRECTING_RELATIONS = (PaymentRelation.REFUND, PaymentRelation.CHARGEBACK)


# Credits no customer paid through Paydesk: a voucher's free credit, a staff member's manual
# entry (a goodwill credit, a correction). Neither is money received: no receipt, no invoice.
UNPAID_METHODS = (PaymentMethod.VOUCHER, PaymentMethod.MANUAL)


def is_receipted_topup(payment: Payment) -> bool:
    """A completed top-up of money received from the customer (not a voucher's free credit,
    not a staff credit, not a reversal): it has a receipt, and an invoice when invoicing is
    on."""
    return (
        payment.status == PaymentStatus.COMPLETED
        and payment.total > 0
        and payment.relation in TOPUP_RELATIONS
        and payment.method not in UNPAID_METHODS
    )


def invoicing_probe_sql() -> str:
    """The ledger's top-up probe (ledger/hooks.py): is invoicing switched on? Read by the
    balance UPDATE of every top-up, in the same statement, so a top-up pays no extra query for
    it. (The probe's one placeholder is the customer's id, which it does not need.)"""
    qn = connection.ops.quote_name
    table = qn(InvoicingSettings._meta.db_table)
    return f"EXISTS (SELECT 1 FROM {table} WHERE {qn('invoices_enabled')} AND %s > 0)"


def documents_on_topup(*, payment: Payment, probed: bool) -> Document | None:
    """The top-up step: an invoice for a completed top-up when the probe read invoicing on."""
    if probed and is_receipted_topup(payment):
        return _issue(payment=payment, kind=DocumentKind.INVOICE, corrects=None)
    return None


def documents_on_change(change: PaymentChange) -> Document | None:
    """The payment listener: when a refund or chargeback of an invoiced top-up has just become
    Completed, its credit note, in the caller's transaction (invoices are issued by the top-up
    step; every other change is left alone)."""
    if not change.completes:
        return None
    payment = change.payment
    if payment.relation in CORRECTING_RELATIONS and payment.total < 0 and payment.original_id:
        # The invoice's row lock (FOR NO KEY UPDATE: a credit note's foreign key to it still
        # takes its key share) makes a second completion correcting the same invoice wait until
        # this one commits, then read this credit note among the ones already issued. (The
        # balance UPDATE of the same customer already orders them; this does not rely on it.)
        invoice = (
            Document.objects.select_for_update(no_key=True)
            .filter(payment_id=payment.original_id, kind=DocumentKind.INVOICE)
            .first()
        )
        if invoice is not None:
            return _issue(payment=payment, kind=DocumentKind.CREDIT_NOTE, corrects=invoice)
    return None


def document_totals(
    *, amount: Decimal, rate: Decimal, currency: str
) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross) of a document for a tax-inclusive `amount` (the payment's, which may
    have sub-cent digits): the gross is the amount rounded half up once to the currency's
    decimals, the net is gross × 100 / (100 + rate) rounded the same way, and the tax is what is
    left, so net + tax = gross exactly, in whole minor units, and these are the figures the PDF
    and the Factur-X XML state (EN 16931 BR-CO-15). The net is within half a unit of the exact
    net, so the tax is within (1 + rate/100) / 2 < 1 unit of net × rate / 100 (BR-CO-17): a cent
    of it rounded to two decimals, or under a yen, within the Schematron's tolerance of one unit
    of the currency. No whole-yen net does better (docs/documents.md, *BR-CO-17*)."""
    places = currency_exponent(currency)
    gross = round_half_up(amount, places)
    if rate == 0:
        return gross, Decimal(0), gross
    net = round_half_up(gross * 100 / (100 + rate), places)
    return net, gross - net, gross


def credit_note_totals(
    *,
    invoice_net: Decimal,
    invoice_gross: Decimal,
    credited_net: Decimal,
    credited_gross: Decimal,
    returned: Decimal,
    rate: Decimal,
    currency: str,
) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross) of a credit note of an invoice, whose credit notes so far credit
    `credited_net` and `credited_gross`, when `returned` (tax included, exact: this refund or
    chargeback and every earlier one) has gone back of its payment.

    Together the credit notes credit what has been returned, rounded once to the currency's
    decimals, never more than the invoice; this one is what that adds to the earlier ones. So
    the note that completes the refund takes the remainder (the invoice's total and net less its
    earlier notes', hence its tax too), splits of a sub-cent amount never drift from the
    invoice, and (0, 0, 0) means nothing is left to credit. The net comes from the same
    cumulative amount, so it never goes down; the tax is the rest."""
    places = currency_exponent(currency)
    upto = min(round_half_up(returned, places), invoice_gross)
    gross = upto - credited_gross
    if gross <= 0:
        return Decimal(0), Decimal(0), Decimal(0)
    if upto == invoice_gross:
        upto_net = invoice_net
    else:
        upto_net = round_half_up(upto * 100 / (100 + rate), places)
    # In [0, gross] whenever the earlier notes followed this rule; the bound keeps one after
    # notes issued before it (each rounded on its own) from stating a negative amount.
    net = min(max(upto_net - credited_net, Decimal(0)), gross)
    return net, gross - net, gross


def _issue(*, payment: Payment, kind: str, corrects: Document | None) -> Document | None:
    customer = payment.customer
    currency = customer.currency
    if corrects is not None:
        rule, rate = corrects.tax_rule, corrects.tax_rate
        seller, buyer = corrects.data["seller"], corrects.data["buyer"]
    else:
        seller, buyer = provider_details(), customer_details(customer)
        rule = buyer["tax_rule"]
        rate = Decimal(seller["tax_rate"]) if rule == TaxRule.STANDARD else Decimal(0)
    if corrects is None:
        net, tax, gross = document_totals(amount=abs(payment.total), rate=rate, currency=currency)
    else:
        credited_net, credited_gross = _credited(corrects)
        net, tax, gross = credit_note_totals(
            invoice_net=corrects.net,
            invoice_gross=corrects.gross,
            credited_net=credited_net,
            credited_gross=credited_gross,
            returned=_returned(payment),
            rate=rate,
            currency=currency,
        )
    if gross == 0:
        return None  # below half a minor unit, or nothing left of the invoice to credit
    issued_at = payment.completed_at
    if issued_at is None:
        raise ValueError(f"Payment {payment.reference} is not completed: it has no document.")
    year = provider_local(issued_at).year
    series = SERIES[kind]
    number = number_take(series=series, year=year)
    data: dict[str, Any] = {
        "seller": seller,
        "buyer": buyer,
        "payment_reference": payment.reference,
        "method": method_label(payment),
        "description": payment.description,
        "line": (
            f"Prepaid account credit, payment {payment.reference}"
            if corrects is None
            else f"{payment.get_relation_display()} of {corrects.data['payment_reference']}"
        ),
    }
    if payment.paid_amount is not None and payment.paid_currency:
        data["paid"] = {
            "amount": plain_amount(abs(payment.paid_amount), payment.paid_currency),
            "currency": payment.paid_currency,
            "fx_rate": str(payment.fx_rate or ""),
        }
    if corrects is not None:
        data["corrects"] = {"code": corrects.code, "issued_at": corrects.issued_at.isoformat()}
    return Document.objects.create(
        kind=kind,
        series=series,
        year=year,
        number=number,
        code=document_code(series=series, year=year, number=number),
        customer=customer,
        payment=payment,
        corrects=corrects,
        issued_at=issued_at,
        currency=currency,
        net=net,
        tax=tax,
        gross=gross,
        tax_rate=rate,
        tax_rule=rule,
        data=data,
    )


def _credited(invoice: Document) -> tuple[Decimal, Decimal]:
    """What the invoice's credit notes issued so far credit: (net, gross)."""
    net, gross = Decimal(0), Decimal(0)
    for row_net, row_gross in Document.objects.filter(corrects=invoice).values_list("net", "gross"):
        net, gross = net + row_net, gross + row_gross
    return net, gross


def _returned(payment: Payment) -> Decimal:
    """How much has gone back of the payment `payment` corrects (a refund or chargeback that has
    just completed): its completed refunds and chargebacks, this one included, exact."""
    earlier = (
        Payment.objects.filter(
            original_id=payment.original_id,
            relation__in=CORRECTING_RELATIONS,
            status=PaymentStatus.COMPLETED,
            total__lt=0,
        )
        .exclude(pk=payment.pk)
        .values_list("total", flat=True)
    )
    return -payment.total - sum(earlier, Decimal(0))
