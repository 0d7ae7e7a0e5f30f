"""Invoices and credit notes, issued inside the transaction that completes the payment (the
ledger's top-up step and payment listener, registered in apps.py): a completed top-up gets an
invoice when the provider has switched invoicing on; a completed refund or chargeback of an
invoiced top-up gets a credit note referencing its invoices; a completed chargeback reversal of
one gets a new invoice for what it gives back, referencing the top-up's invoice. A rollback of
the completion takes the number back.

The invoices of one top-up (its own and its reversals') and their credit notes are counted
together: they always state the top-up's invoice less round(gone), never below zero, where gone
is what its refunds and chargebacks took less what reversals gave back (docs/documents.md,
*After a chargeback reversal*).
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
REVERSAL = PaymentRelation.CHARGEBACK_REVERSED


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
        return _issue(payment=payment, kind=DocumentKind.INVOICE)
    return None


def documents_on_change(change: PaymentChange) -> Document | None:
    """The payment listener: when a refund or chargeback of an invoiced top-up has just become
    Completed, its credit note; when a chargeback reversal of one has, its invoice; in the
    caller's transaction (top-ups' invoices are issued by the top-up step; every other change is
    left alone)."""
    if not change.completes:
        return None
    payment = change.payment
    correcting = payment.relation in CORRECTING_RELATIONS and payment.total < 0
    reversing = payment.relation == REVERSAL and payment.total > 0
    if not (correcting or reversing) or not payment.original_id:
        return None
    # The top-up's invoice's row lock (FOR NO KEY UPDATE: a credit note's foreign key to it
    # still takes its key share) makes a second completion of a refund, chargeback or reversal
    # of the same top-up wait until this one commits, then count this one's document. (The
    # balance UPDATE of the same customer already orders them; this does not rely on it.)
    invoice = (
        Document.objects.select_for_update(no_key=True)
        .filter(payment_id=payment.original_id, kind=DocumentKind.INVOICE)
        .first()
    )
    if invoice is None:
        return None
    if reversing:
        return _issue(payment=payment, kind=DocumentKind.INVOICE, first=invoice)
    return _issue(payment=payment, kind=DocumentKind.CREDIT_NOTE, first=invoice)


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
    reinvoiced_net: Decimal = Decimal(0),
    reinvoiced_gross: Decimal = Decimal(0),
) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross) of a credit note of a top-up's invoices: its own invoice
    (`invoice_net`, `invoice_gross`) and those of its chargeback reversals (`reinvoiced_net`,
    `reinvoiced_gross`, zero when there are none), whose credit notes so far credit
    `credited_net` and `credited_gross`, when `returned` (tax included, exact: its refunds and
    chargebacks, this one included, less what reversals gave back) has gone back of it.

    Together the credit notes credit the reversals' invoices in full and what has been returned,
    rounded once to the currency's decimals and never more than the top-up's invoice, so the
    documents state that invoice less what is gone; this one is what that adds to the earlier
    ones. So the note that completes the refund takes the
    remainder (the invoices' total and net less their earlier notes', hence their tax too),
    splits of a sub-cent amount never drift from the invoices, and (0, 0, 0) means nothing is
    left to credit. The net comes from the same cumulative amount, so it never goes down; the
    tax is the rest. Without reversals this is the credit notes of one invoice."""
    places = currency_exponent(currency)
    upto_first = min(round_half_up(max(returned, Decimal(0)), places), invoice_gross)
    upto = reinvoiced_gross + upto_first
    gross = upto - credited_gross
    if gross <= 0:
        return Decimal(0), Decimal(0), Decimal(0)
    if upto_first == invoice_gross:
        upto_net = reinvoiced_net + invoice_net
    else:
        upto_net = reinvoiced_net + round_half_up(upto_first * 100 / (100 + rate), places)
    # In [0, gross] whenever the earlier notes followed this rule; the bound keeps one after
    # notes issued before it (each rounded on its own) from stating a negative amount.
    net = min(max(upto_net - credited_net, Decimal(0)), gross)
    return net, gross - net, gross


def reversal_invoice_totals(
    *,
    invoice_gross: Decimal,
    credited_gross: Decimal,
    returned: Decimal,
    rate: Decimal,
    currency: str,
    reinvoiced_gross: Decimal = Decimal(0),
) -> tuple[Decimal, Decimal, Decimal]:
    """(net, tax, gross) of the invoice of a chargeback reversal of a top-up (arguments as for
    `credit_note_totals`, `returned` net of this reversal): what brings the top-up's invoices
    less their credit notes back to its invoice less what is still returned, rounded once
    (round(invoiced) − round(returned), the figure the credit notes keep). Its net and tax split
    as any invoice's (`document_totals`). (0, 0, 0) when nothing is to be invoiced again: the
    chargeback had found the invoice already credited by refunds, or was below half a unit."""
    places = currency_exponent(currency)
    kept = invoice_gross - min(round_half_up(max(returned, Decimal(0)), places), invoice_gross)
    stated = invoice_gross + reinvoiced_gross - credited_gross
    if kept - stated <= 0:
        return Decimal(0), Decimal(0), Decimal(0)
    return document_totals(amount=kept - stated, rate=rate, currency=currency)


def _issue(*, payment: Payment, kind: str, first: Document | None = None) -> Document | None:
    """The document of `payment`: a top-up's invoice (`first` None), or, for a refund,
    chargeback or chargeback reversal of a top-up whose invoice is `first`, a credit note or
    the reversal's invoice, which take the invoice's rate, rule and parties."""
    customer = payment.customer
    currency = customer.currency
    corrects: Document | None = None
    invoices: list[Document] = []
    if first is not None:
        rule, rate = first.tax_rule, first.tax_rate
        seller, buyer = first.data["seller"], first.data["buyer"]
    else:
        seller, buyer = provider_details(), customer_details(customer)
        rule = buyer["tax_rule"]
        rate = Decimal(seller["tax_rate"]) if rule == TaxRule.STANDARD else Decimal(0)
    if first is None:
        net, tax, gross = document_totals(amount=abs(payment.total), rate=rate, currency=currency)
    else:
        reinvoices = list(
            Document.objects.filter(
                kind=DocumentKind.INVOICE,
                payment__original_id=first.payment_id,
                payment__relation=REVERSAL,
            ).order_by("id")
        )
        invoices = [first, *reinvoices]
        credited_net, credited_gross = _credited(invoices)
        reinvoiced_net = sum((d.net for d in reinvoices), Decimal(0))
        reinvoiced_gross = sum((d.gross for d in reinvoices), Decimal(0))
        if kind == DocumentKind.CREDIT_NOTE:
            corrects = invoices[-1]  # the newest: a reversal's invoice is the one still open
            net, tax, gross = credit_note_totals(
                invoice_net=first.net,
                invoice_gross=first.gross,
                credited_net=credited_net,
                credited_gross=credited_gross,
                returned=_returned(payment),
                rate=rate,
                currency=currency,
                reinvoiced_net=reinvoiced_net,
                reinvoiced_gross=reinvoiced_gross,
            )
        else:
            net, tax, gross = reversal_invoice_totals(
                invoice_gross=first.gross,
                credited_gross=credited_gross,
                returned=_returned(payment),
                rate=rate,
                currency=currency,
                reinvoiced_gross=reinvoiced_gross,
            )
    if gross == 0:
        return None  # below half a minor unit, or nothing left to credit or to invoice again
    issued_at = payment.completed_at
    if issued_at is None:
        raise ValueError(f"Payment {payment.reference} is not completed: it has no document.")
    year = provider_local(issued_at).year
    series = SERIES[kind]
    number = number_take(series=series, year=year)
    if first is None:
        line = f"Prepaid account credit, payment {payment.reference}"
    elif corrects is None:
        line = (
            f"Prepaid account credit, payment {first.data['payment_reference']}: "
            "chargeback reversed"
        )
    else:
        line = f"{payment.get_relation_display()} of {first.data['payment_reference']}"
    data: dict[str, Any] = {
        "seller": seller,
        "buyer": buyer,
        "payment_reference": payment.reference,
        "method": method_label(payment),
        "description": payment.description,
        "line": line,
    }
    if payment.paid_amount is not None and payment.paid_currency:
        data["paid"] = {
            "amount": plain_amount(abs(payment.paid_amount), payment.paid_currency),
            "currency": payment.paid_currency,
            "fx_rate": str(payment.fx_rate or ""),
        }
    if corrects is not None:
        data["corrects"] = _reference(corrects)
        if len(invoices) > 1:  # the top-up's invoices, all of which it reduces (EN 16931 BG-3)
            data["invoices"] = [_reference(invoice) for invoice in invoices]
    elif first is not None:
        # The invoice charged again (EN 16931 BT-25, BT-26) and the top-up it invoiced.
        data["preceding"] = {
            **_reference(first),
            "payment_reference": first.data["payment_reference"],
        }
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


def _reference(invoice: Document) -> dict[str, str]:
    return {"code": invoice.code, "issued_at": invoice.issued_at.isoformat()}


def _credited(invoices: list[Document]) -> tuple[Decimal, Decimal]:
    """What the credit notes of `invoices` issued so far credit: (net, gross)."""
    net, gross = Decimal(0), Decimal(0)
    rows = Document.objects.filter(corrects__in=invoices).values_list("net", "gross")
    for row_net, row_gross in rows:
        net, gross = net + row_net, gross + row_gross
    return net, gross


def _returned(payment: Payment) -> Decimal:
    """How much has gone back of the top-up `payment` follows (a refund, chargeback or
    chargeback reversal that has just completed): its completed refunds and chargebacks less
    its completed reversals, this one included, exact."""
    earlier = (
        Payment.objects.filter(
            original_id=payment.original_id,
            relation__in=(*CORRECTING_RELATIONS, REVERSAL),
            status=PaymentStatus.COMPLETED,
        )
        .exclude(pk=payment.pk)
        .values_list("total", flat=True)
    )
    return -payment.total - sum(earlier, Decimal(0))
