"""What each kind of document says, as a `pdf.Sheet`: a receipt from a completed top-up (drawn
on request, never stored), an invoice or a credit note from its frozen record."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

from django.utils import dateformat, timezone

from paydesk.accounts.models import PaymentMethod
from paydesk.documents.facturx import document_amount
from paydesk.documents.issue import is_receipted_topup
from paydesk.documents.labels import method_label, provider_local
from paydesk.documents.models import (
    REVERSE_CHARGE_MENTION,
    Document,
    DocumentKind,
    TaxRule,
    reinvoice_mention,
)
from paydesk.documents.pdf import Party, Sheet
from paydesk.documents.provider import (
    customer_details,
    document_logo,
    provider_details,
    provider_logo,
)
from paydesk.documents.received import received_of
from paydesk.errors import NotFound
from paydesk.ledger.models import Payment
from paydesk.money import (
    currency_exponent,
    decimal_places,
    format_money,
    format_rate,
    round_half_up,
)

DATE = "j F Y, H:i T"
ZERO_RATED_MENTION = "Zero-rated supply: no VAT charged."


def _seller(seller: dict) -> Party:
    lines = list(seller.get("address") or [])
    if seller.get("country_name"):
        lines.append(seller["country_name"])
    if seller.get("tax_id"):
        lines.append(f"Tax id: {seller['tax_id']}")
    return Party("From", seller.get("legal_name") or seller["name"], lines)


def _buyer(buyer: dict) -> Party:
    lines = list(buyer.get("address") or [])
    if buyer.get("country_name"):
        lines.append(buyer["country_name"])
    if buyer.get("tax_id"):
        lines.append(f"Tax id: {buyer['tax_id']}")
    return Party("Billed to", buyer["name"], lines)


def _when(moment: datetime | None, zone: tzinfo | None) -> str:
    if moment is None:  # (never: only a completed payment has a receipt)
        return ""
    local = timezone.localtime(moment, zone) if zone else provider_local(moment)
    return dateformat.format(local, DATE)


def receipt_sheet(payment: Payment, *, zone: tzinfo | None = None) -> Sheet:
    """The receipt of a completed top-up, dated in `zone` (the reader's; the provider's when
    None). NotFound for anything else (a purchase, a pending payment, a voucher's or a staff
    member's credit). A payment staff completed with another amount than expected says
    "Received X (expected Y)", never that Y was charged."""
    if not is_receipted_topup(payment):
        raise NotFound("Only a completed top-up has a receipt.")
    customer = payment.customer
    currency = customer.currency
    seller = provider_details()
    credited = format_money(payment.total, currency)
    facts = [
        ("Payment reference", payment.reference),
        ("Date", _when(payment.completed_at, zone)),
        ("Method", method_label(payment)),
    ]
    if payment.description:
        facts.append(("Payment description", payment.description))
    totals = []
    notes = ["Paid in full. Thank you for your payment."]
    received = received_of(payment) if payment.method == PaymentMethod.BANK_TRANSFER else None
    if received is not None and received.currency != currency:
        # A transfer in another currency: what arrived, at the rate that credited it. Whether
        # it fell short is read in the currency the customer was asked to send; the credit
        # differing from the quote's is the rate's doing, not the payer's.
        day = dateformat.format(received.rate_date, "j F Y")
        rate = format_rate(received.rate)
        facts.append(("Exchange rate", f"1 {received.currency} = {rate} {currency} ({day})"))
        totals.append(("Amount received", format_money(received.amount, received.currency)))
        asked = payment.paid_amount if payment.paid_currency == received.currency else None
        if asked is not None and received.amount < asked:
            short = format_money(asked - received.amount, received.currency)
            notes = [
                f"Received {short} less than the {format_money(asked, received.currency)} "
                "asked: this receipt is for the amount received."
            ]
        elif asked is None and payment.received_short:
            notes = [_short_note(payment, currency)]
        if payment.expected_total is not None and notes[0].startswith("Paid in full"):
            quoted = format_money(payment.expected_total, currency)
            notes.append(
                f"Quoted as {quoted}; a transfer is credited at the exchange rate of the day "
                "it is received."
            )
    elif payment.expected_total is not None:
        # Completed by staff with the amount actually received: what was quoted was not what
        # arrived, so nothing is said to be charged, and only a full amount is "paid in full".
        totals.append(("Received", payment.received_against_expected))
        if payment.received_short:
            notes = [_short_note(payment, currency)]
    else:
        paid = _paid_line(payment)
        if payment.paid_amount is not None and payment.paid_currency:
            if payment.surcharge:
                totals.append(("Surcharge", format_money(payment.surcharge, payment.paid_currency)))
            if payment.paid_currency != currency and payment.fx_rate:
                rate = format_rate(Decimal(payment.fx_rate))
                facts.append(("Exchange rate", f"1 {payment.paid_currency} = {rate} {currency}"))
        if paid is not None:
            totals.append(paid)
    totals.append(("Amount credited to the account", credited))
    rounded = _invoice_rounding_note(payment)
    if rounded:
        notes.append(rounded)
    return Sheet(
        title="Receipt",
        number=payment.reference,
        brand=seller["name"],
        seller=_seller(seller),
        buyer=_buyer(customer_details(customer)),
        facts=facts,
        columns=["Description", "Amount"],
        rows=[[f"Prepaid account credit, payment {payment.reference}", credited]],
        totals=totals,
        notes=notes,
        subject=f"Receipt for payment {payment.reference}",
        created=payment.completed_at,
        logo=provider_logo(),
    )


def _short_note(payment: Payment, currency: str) -> str:
    """For a top-up that credited less than it expected: by how much, in the account currency."""
    short = format_money((payment.expected_total or 0) - payment.total, currency)
    return f"Received {short} less than expected: this receipt is for the amount received."


def _paid_line(payment: Payment) -> tuple[str, str] | None:
    """What the customer paid, as the receipt's line above the amount credited: "Amount
    charged" by a gateway, "Amount received" for a bank transfer (nobody charged it). A transfer
    recorded without what was paid (staff entered it) received what it credited, unless that
    has more decimals than its currency, which no bank moves: then the amount credited (kept
    exact, below it) is the receipt's only amount, rather than a received amount nobody sent."""
    transfer = payment.method == PaymentMethod.BANK_TRANSFER
    label = "Amount received" if transfer else "Amount charged"
    if payment.paid_amount is not None and payment.paid_currency:
        return label, format_money(payment.paid_amount, payment.paid_currency)
    currency = payment.customer.currency
    if transfer and decimal_places(payment.total) > currency_exponent(currency):
        return None
    return label, format_money(payment.total, currency)


def _invoice_rounding_note(payment: Payment) -> str:
    """For an amount credited with more decimals than its currency has (25.0047 EUR), what the
    payment's invoice states instead (€25.00 EUR, rounded once: issue.document_totals), so a
    receipt and an invoice that differ say why. Empty when they agree or there is no invoice;
    no query for an amount in whole minor units (nearly all)."""
    currency = payment.customer.currency
    exponent = currency_exponent(currency)
    if decimal_places(payment.total) <= exponent:
        return ""
    invoice = Document.objects.filter(payment=payment, kind=DocumentKind.INVOICE).first()
    if invoice is None:
        return ""
    total = document_amount(invoice.gross, currency)
    if total == payment.total:
        return ""
    # Issued before amounts were rounded at issue, an invoice states each one to at least two
    # decimals (facturx.document_amount); since then, to the currency's decimals.
    places = (
        exponent if round_half_up(invoice.gross, exponent) == invoice.gross else max(exponent, 2)
    )
    to = "a whole number" if places == 0 else f"{places} decimal place{'s' if places > 1 else ''}"
    return (
        f"Invoice {invoice.code} is for {format_money(total, currency)}: the amount credited, "
        f"rounded to {to}."
    )


def _stated(amount: Decimal, currency: str) -> str:
    """An invoice's amount as its embedded Factur-X XML states it (facturx.document_amount),
    so the text a person reads and the data a machine reads agree."""
    return format_money(document_amount(amount, currency), currency)


def _invoice_named(reference: dict) -> str:
    """An invoice a document refers to, as its facts name it: "INV-2026-000001 of 6 December
    2026" (the date in the provider's time zone, as the XML's)."""
    day = dateformat.format(provider_local(datetime.fromisoformat(reference["issued_at"])), "j F Y")
    return f"{reference['code']} of {day}"


def document_sheet(document: Document) -> Sheet:
    """An invoice or a credit note from what was frozen when it was issued."""
    data = document.data
    currency = document.currency
    credit = document.kind == DocumentKind.CREDIT_NOTE
    facts = [
        ("Date of issue", _when(document.issued_at, None)),
        ("Payment reference", data["payment_reference"]),
        ("Method", data.get("method", "")),
    ]
    if credit:
        corrected = document.corrected_invoices
        label = "Corrects invoices" if len(corrected) > 1 else "Corrects invoice"
        facts.insert(1, (label, ", ".join(_invoice_named(ref) for ref in corrected)))
    elif "preceding" in data:
        facts.insert(1, ("Preceding invoice", _invoice_named(data["preceding"])))
    paid = data.get("paid")
    if paid and paid["currency"] != currency and paid.get("fx_rate"):
        rate = format_rate(Decimal(paid["fx_rate"]))
        facts.append(("Paid", format_money(Decimal(paid["amount"]), paid["currency"])))
        facts.append(("Exchange rate", f"1 {paid['currency']} = {rate} {currency}"))
    rate = f"{document.tax_rate.normalize():f} %"
    notes = []
    if document.tax_rule == TaxRule.REVERSE_CHARGE:
        notes.append(REVERSE_CHARGE_MENTION)
    elif document.tax_rule == TaxRule.ZERO_RATED:
        notes.append(ZERO_RATED_MENTION)
    if credit:
        codes = [ref["code"] for ref in document.corrected_invoices]
        reduced = (
            f"invoice {codes[0]}"
            if len(codes) == 1
            else f"invoices {', '.join(codes[:-1])} and {codes[-1]}"
        )
        notes.append(
            f"This credit note reduces {reduced} by the total above, which has been paid back."
        )
    else:
        if "preceding" in data:
            notes.append(reinvoice_mention(data))
        notes.append("Paid in full: nothing is due.")
    return Sheet(
        title="Credit note" if credit else "Invoice",
        number=document.code,
        brand=data["seller"]["name"],
        seller=_seller(data["seller"]),
        buyer=_buyer(data["buyer"]),
        facts=facts,
        columns=["Description", "Net", "Tax rate", "Tax", "Total"],
        rows=[
            [
                data["line"],
                _stated(document.net, currency),
                rate,
                _stated(document.tax, currency),
                _stated(document.gross, currency),
            ]
        ],
        totals=[
            ("Total net", _stated(document.net, currency)),
            (f"Tax ({rate})", _stated(document.tax, currency)),
            ("Total credited" if credit else "Total", _stated(document.gross, currency)),
        ],
        notes=notes,
        subject=f"{'Credit note' if credit else 'Invoice'} {document.code}",
        created=document.issued_at,
        logo=document_logo(data["seller"]),
    )
