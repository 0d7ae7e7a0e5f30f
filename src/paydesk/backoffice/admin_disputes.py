"""Disputes (chargebacks) as the gateways tell them: read by every staff role.

Finance follows the open ones here (status, reason, amount, evidence deadline); the money they
moved is on the disputed payment's page (its chargeback and chargeback-reversed rows). The
payments list links here from its *needs attention* filters (`?dispute=open`). A dispute of a
payment already refunded says so, with each refund (the evidence Finance sends the gateway), and
the home page counts the open ones (`?refunded=yes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.admin_base import BackofficeAdmin, payment_link, short_datetime, time_column
from paydesk.backoffice.roles import ReadOnlyForStaff
from paydesk.backoffice.site import backoffice_site
from paydesk.gateways.dispute_words import dispute_reason_words
from paydesk.gateways.registry import gateway_for_or_none
from paydesk.ledger.models import Dispute, Payment, PaymentStatus
from paydesk.ledger.refund_reads import refunded_q, standing_refunds_of, standing_refunds_prefetch
from paydesk.money import format_money

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The next step, which neither the list nor a dispute's page said: Finance answers at the gateway.
ANSWER_AT_THE_GATEWAY = _(
    "A dispute is answered at its gateway (the Stripe, PayPal, Razorpay or Paystack dashboard), "
    "with evidence before the evidence deadline. Paydesk follows what the gateway reports: it "
    "posts the chargeback when the money is taken and its reversal when the money comes back; "
    "nothing is entered here."
)


def gateway_name(method: str) -> str:
    """A dispute's gateway as Finance knows it ("Stripe"), not the payment method that keys it
    ("card", whose display name is "Credit Card"): a gateway named after its method says whose
    it is in `processor_name`; the others' display name is their company's."""
    gateway = gateway_for_or_none(method)
    if gateway is None:
        return method
    return str(getattr(gateway, "processor_name", gateway.display_name))


class RefundedFilter(admin.SimpleListFilter):
    """`?refunded=yes`: disputes of a payment already refunded, in part or in full (the home
    page's *Open disputes of refunded payments*): the refund is the evidence Finance sends."""

    title = _("payment refunded")
    parameter_name = "refunded"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Already refunded")), ("no", _("Not refunded"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "yes":
            return queryset.filter(refunded_q())
        if self.value() == "no":
            return queryset.exclude(refunded_q())
        return queryset


def _refund_date(refund: Payment) -> str:
    return short_datetime(refund.completed_at or refund.created_at)


class GatewayFilter(admin.SimpleListFilter):
    """By gateway, named as its dashboard is (the disputes' own values are payment methods)."""

    title = _("gateway")
    parameter_name = "gateway"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        methods = Dispute.objects.order_by().values_list("gateway", flat=True).distinct()
        return sorted(((m, gateway_name(m)) for m in methods), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(gateway=self.value()) if self.value() else queryset


@admin.register(Dispute, site=backoffice_site)
class DisputeAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = [
        "opened_display",
        "dispute_id",
        "gateway_display",
        "payment_link",
        "customer",
        "status",
        "reason_display",
        "amount_display",
        "refunded_display",
        "evidence_due_display",
    ]
    list_display_links = ["dispute_id"]
    list_filter = ["status", RefundedFilter, GatewayFilter]
    # No search box: the admin's own search bar fails axe-core (label-title-only); a payment's
    # disputes are on its page, a customer's reach through the payments list's dispute filter.
    list_select_related = ["payment", "customer"]
    ordering = ["evidence_due", "-opened_at"]
    list_per_page = 50
    show_full_result_count = False
    change_list_template = "backoffice/dispute_change_list.html"
    # One section, under the next step (fieldsets: `fields` has no description).
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "gateway_display",
                    "dispute_id",
                    "payment_link",
                    "customer",
                    "status",
                    "gateway_status_display",
                    "reason_field_display",
                    "amount_display",
                    "refunded_field_display",
                    "evidence_due_display",
                    "chargeback_link",
                    "reversal_link",
                    "opened_display",
                    "updated_display",
                    "closed_display",
                ],
                "description": ANSWER_AT_THE_GATEWAY,
            },
        )
    ]
    opened_display = time_column("opened_at", _("opened at"))
    evidence_due_display = time_column("evidence_due", _("evidence due"))
    updated_display = time_column("updated_at", _("updated at"))
    closed_display = time_column("closed_at", _("closed at"))

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related(standing_refunds_prefetch())

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {**(extra_context or {}), "answer_at_the_gateway": ANSWER_AT_THE_GATEWAY}
        return super().changelist_view(request, context)

    @admin.display(description=_("gateway"), ordering="gateway")
    def gateway_display(self, obj: Dispute) -> str:
        return gateway_name(obj.gateway)

    @admin.display(description=_("gateway status"))
    def gateway_status_display(self, obj: Dispute) -> str:
        """Where the dispute stands at its gateway, in words ("Waiting for your evidence …"),
        with the gateway's own code beside it for support (`needs_response`)."""
        code = obj.gateway_status
        if not code:
            return "—"
        words = getattr(gateway_for_or_none(obj.gateway), "dispute_status_words", None)
        return format_html(
            '{} <span class="backoffice-code backoffice-quiet" title="{}">{}</span>',
            words(code) if words else code.replace("_", " "),
            _("The gateway's code for this status"),
            code,
        )

    @admin.display(description=_("reason"), ordering="reason")
    def reason_display(self, obj: Dispute) -> str:
        """In words, a reason stored as the gateway's code too ("fraudulent"): lower case, as it
        reads after "Chargeback of PD-…:"."""
        return dispute_reason_words(obj.gateway, obj.reason) or "—"

    @admin.display(description=_("reason"))
    def reason_field_display(self, obj: Dispute) -> str:
        """The reason as a field of its own: a sentence, so with a capital."""
        return capfirst(self.reason_display(obj))

    @admin.display(description=_("payment"), ordering="payment__reference")
    def payment_link(self, obj: Dispute) -> str:
        return payment_link(obj.payment)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Dispute) -> str:
        if obj.amount is None or not obj.currency:
            return "—"
        return format_money(obj.amount, obj.currency)

    @admin.display(description=_("chargeback"))
    def chargeback_link(self, obj: Dispute) -> str:
        return payment_link(obj.chargeback)

    @admin.display(description=_("chargeback reversed"))
    def reversal_link(self, obj: Dispute) -> str:
        return payment_link(obj.reversal)

    @admin.display(description=_("already refunded"))
    def refunded_display(self, obj: Dispute) -> str:
        """Each refund of the disputed payment, for the list: amount, date and reference."""
        refunds = standing_refunds_of(obj.payment)
        if not refunds:
            return "—"
        currency = obj.customer.currency
        return format_html_join(
            mark_safe("<br>"),  # a constant tag
            gettext("{} on {}, {}"),
            ((format_money(-r.total, currency), _refund_date(r), payment_link(r)) for r in refunds),
        )

    @admin.display(description=_("already refunded"))
    def refunded_field_display(self, obj: Dispute) -> str:
        """The payment's refunds as the evidence Finance sends the gateway: "Refunded $20.00 USD
        on 2026-12-03 08:14, refund PD-…", each linked, pending ones said so."""
        refunds = standing_refunds_of(obj.payment)
        if not refunds:
            return str(_("No: the payment has no refund."))
        currency = obj.customer.currency
        lines = format_html_join(
            "",
            "<li>{}</li>",
            (
                (
                    format_html(
                        gettext("Refunded {} on {}, refund {}")
                        if r.status == PaymentStatus.COMPLETED
                        else gettext("Refunding {} since {} (pending at the gateway), refund {}"),
                        format_money(-r.total, currency),
                        _refund_date(r),
                        payment_link(r),
                    ),
                )
                for r in refunds
            ),
        )
        return format_html(
            '<ul class="dispute-refunds">{}</ul><p class="help dispute-refunds-help">{}</p>',
            lines,
            _(
                "The payer already got this money back: give the gateway each refund's "
                "reference and date as evidence, so the same money is not taken back twice."
            ),
        )
