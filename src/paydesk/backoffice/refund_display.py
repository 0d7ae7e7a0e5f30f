"""What a payment's back-office page says about its refunds, chargebacks and disputes."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from paydesk.backoffice.admin_base import payment_link, short_datetime
from paydesk.gateways.dispute_words import dispute_reason_words
from paydesk.ledger.models import Payment, PaymentRelation
from paydesk.ledger.refund_reads import refund_returned, refunds_so_far
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
    """The payment's disputes: status, reason, amount, evidence deadline, and their rows; under
    them, what the payment's refunds gave back so far (the evidence Finance sends the gateway)."""
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
    return format_html(
        '<table class="payment-disputes">{}{}</table>{}', head, body, refunded_so_far_html(payment)
    )


def refunded_so_far_html(payment: Payment) -> str:
    """ "Refunded so far: $4.00 USD (2 refunds: PD-…, PD-…)", each refund linked, and the pending
    ones on a line of their own; "Refunded so far: nothing" for a payment never refunded."""
    so_far = refunds_so_far(payment)
    currency = payment.customer.currency
    if not so_far.completed and not so_far.pending:
        return format_html('<p class="dispute-refunded">{}</p>', _("Refunded so far: nothing."))
    lines = []
    if so_far.completed:
        lines.append(
            _refund_line(
                _("Refunded so far: %(amount)s"), so_far.refunded, so_far.completed, currency
            )
        )
    if so_far.pending:
        lines.append(
            _refund_line(
                _("Pending at the gateway: %(amount)s"), so_far.refunding, so_far.pending, currency
            )
        )
    return format_html(
        '<p class="dispute-refunded">{}</p>', format_html_join(mark_safe("<br>"), "{}", lines)
    )


def _refund_line(
    lead: str, amount: Decimal, refunds: tuple[Payment, ...], currency: str
) -> tuple[str]:
    count = ngettext("%(count)d refund", "%(count)d refunds", len(refunds)) % {
        "count": len(refunds)
    }
    links = format_html_join(", ", "{}", ((payment_link(r),) for r in refunds))
    return (
        format_html("{} ({}: {})", lead % {"amount": format_money(amount, currency)}, count, links),
    )
