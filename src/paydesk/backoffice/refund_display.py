"""What a payment's back-office page says about its refunds, chargebacks and disputes."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from paydesk.backoffice.admin_base import short_datetime
from paydesk.gateways.dispute_words import dispute_reason_words
from paydesk.ledger.models import Payment, PaymentRelation
from paydesk.ledger.refund_reads import refund_returned
from paydesk.ledger.refunds import refund_left
from paydesk.money import format_money


def refunds_html(payment: Payment) -> str:
    """For a top-up: "Refunded $20.00 USD of $50.00 USD", what is pending and charged back, and
    what is left; for a refund, chargeback or voucher bonus reversal: which payment it came
    from."""
    currency = payment.customer.currency
    if payment.original is not None and payment.relation in (
        PaymentRelation.REFUND,
        PaymentRelation.CHARGEBACK,
        PaymentRelation.CHARGEBACK_REVERSED,
        PaymentRelation.BONUS_REVERSED,
        PaymentRelation.BONUS_RESTORED,
    ):
        url = reverse("backoffice:ledger_payment_change", args=[payment.original_id])
        return format_html(
            '{} <a href="{}">{}</a>',
            payment.relation_lead,
            url,
            payment.original.reference,
        )
    if payment.total <= 0:
        return "—"
    returned = refund_returned(payment=payment)
    parts = [
        _("Refunded %(refunded)s of %(total)s")
        % {
            "refunded": format_money(returned.refunded, currency),
            "total": format_money(payment.total, currency),
        }
    ]
    if returned.refunding:
        parts.append(_("%s pending") % format_money(returned.refunding, currency))
    if returned.charged_back:
        parts.append(_("%s charged back") % format_money(returned.charged_back, currency))
    parts.append(_("refundable: %s") % format_money(refund_left(payment=payment), currency))
    return format_html('<span class="refund-summary">{}</span>', " · ".join(parts))


def disputes_html(payment: Payment) -> str:
    """The payment's disputes: status, reason, amount, evidence deadline, and their rows."""
    disputes = list(payment.disputes.select_related("chargeback", "reversal").order_by("id"))
    if not disputes:
        return "—"
    rows = []
    for d in disputes:
        amount = format_money(d.amount, d.currency) if d.amount is not None and d.currency else "—"
        moved = [p.reference for p in (d.chargeback, d.reversal) if p is not None]
        rows.append(
            (
                reverse("backoffice:ledger_dispute_change", args=[d.pk]),
                d.dispute_id,
                d.get_status_display(),
                dispute_reason_words(d.gateway, d.reason) or "—",
                amount,
                short_datetime(d.evidence_due),
                ", ".join(moved) or "—",
            )
        )
    head = format_html(
        "<tr>{}</tr>",
        format_html_join(
            "",
            '<th scope="col">{}</th>',
            (
                (_("Dispute"),),
                (_("Status"),),
                (_("Reason"),),
                (_("Amount"),),
                (_("Evidence due"),),
                (_("Money moved"),),
            ),
        ),
    )
    body = format_html_join(
        "",
        '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td></tr>",
        rows,
    )
    return format_html('<table class="payment-disputes">{}{}</table>', head, body)
