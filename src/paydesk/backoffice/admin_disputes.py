"""Disputes (chargebacks) as the gateways tell them: read by every staff role.

Finance follows the open ones here (status, reason, amount, evidence deadline); the money they
moved is on the disputed payment's page (its chargeback and chargeback-reversed rows). The
payments list links here from its *needs attention* filters (`?dispute=open`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.admin_base import payment_link, time_column
from paydesk.backoffice.roles import ReadOnlyForStaff
from paydesk.backoffice.site import backoffice_site
from paydesk.ledger.models import Dispute
from paydesk.money import format_money

# The next step, which neither the list nor a dispute's page said: Finance answers at the gateway.
ANSWER_AT_THE_GATEWAY = _(
    "A dispute is answered at its gateway (the Stripe, PayPal, Razorpay or Paystack dashboard), "
    "with evidence before the evidence deadline. Paydesk follows what the gateway reports: it "
    "posts the chargeback when the money is taken and its reversal when the money comes back; "
    "nothing is entered here."
)


@admin.register(Dispute, site=backoffice_site)
class DisputeAdmin(ReadOnlyForStaff, admin.ModelAdmin):
    list_display = [
        "opened_display",
        "dispute_id",
        "payment_link",
        "customer",
        "status",
        "reason",
        "amount_display",
        "evidence_due_display",
    ]
    list_display_links = ["dispute_id"]
    list_filter = ["status", "gateway"]
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
                    "gateway",
                    "dispute_id",
                    "payment_link",
                    "customer",
                    "status",
                    "gateway_status",
                    "reason",
                    "amount_display",
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

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {**(extra_context or {}), "answer_at_the_gateway": ANSWER_AT_THE_GATEWAY}
        return super().changelist_view(request, context)

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
