"""Payments across all customers: read by all staff, added, completed and cancelled by Finance.

A payment is never edited or deleted here (nor anywhere): the change page is a read-only view,
with Complete / Cancel buttons for a pending one. Every write is in payment_views.py and goes
through paydesk.ledger.services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice import payment_views, refund_views
from paydesk.backoffice.admin_banktransfers import (
    TransferAmountsChangeList,
    amount_with_difference,
)
from paydesk.backoffice.admin_base import (
    BackofficeAdmin,
    CheckedChangeList,
    short_datetime,
    time_column,
)
from paydesk.backoffice.admin_checkout import log_event_html, log_what
from paydesk.backoffice.filters import (
    AwaitingBankFilter,
    CustomerFilter,
    NeedsAttentionFilter,
    OccurredDateRangeFilter,
    OpenDisputeFilter,
    RelationFilter,
)
from paydesk.backoffice.forms import CANCEL_REASON_HELP
from paydesk.backoffice.refund_display import disputes_html, refunds_html
from paydesk.backoffice.roles import FinanceActs, can_move_money
from paydesk.backoffice.site import backoffice_site
from paydesk.banktransfers.selectors import (
    INCOMING_TRANSFER,
    is_incoming_transfer,
    transfer_amounts,
)
from paydesk.banktransfers.services import transfer_complete_as_expected
from paydesk.checkout.refunds import refund_waiting_words
from paydesk.credits.errors import CreditError
from paydesk.credits.models import RefusedCompletionRequest
from paydesk.credits.selectors import held_reason, refused_completion_requests
from paydesk.credits.services import is_held, staff_payment_complete
from paydesk.gateways.registry import gateway_for_or_none
from paydesk.ledger.models import Payment, PaymentRelation
from paydesk.ledger.refunds import refund_left
from paydesk.ledger.selectors import stored_as_q
from paydesk.ledger.services import payment_cancel
from paydesk.methods.in_transit import is_awaiting_bank
from paydesk.methods.models import SavedMethodCharge
from paydesk.money import format_money
from paydesk.shapes import description_search_also, payment_description_shown
from paydesk.text import single_line

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ExportChangeList(CheckedChangeList):
    """The changelist's filters, search and order without fetching a page: for the CSV."""

    def get_results(self, request: HttpRequest) -> None:
        self.result_count = self.full_result_count = 0
        self.result_list = []
        self.can_show_all = self.multi_page = False


class BulkCompleteForm(forms.Form):
    allow_overdraft = forms.BooleanField(
        required=False, help_text=_("Complete purchases even past the customer's available credit.")
    )


class BulkCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text=CANCEL_REASON_HELP,
        validators=[single_line],
    )


@admin.register(Payment, site=backoffice_site)
class PaymentAdmin(FinanceActs, BackofficeAdmin):
    list_display = [
        "occurred_display",
        "reference",
        "customer",
        "total_display",
        "status_badge",
        "method",
        "description_display",
        "staff_comment",
    ]
    list_display_links = ["reference"]
    list_filter = [
        "status",
        ("needs_attention", NeedsAttentionFilter),
        OpenDisputeFilter,
        AwaitingBankFilter,
        ("relation", RelationFilter),
        "method",
        OccurredDateRangeFilter,
        CustomerFilter,
    ]
    search_fields = ["description", "staff_comment", "reference", "customer__name"]
    search_help_text = _("Description, staff comment, reference or customer name.")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Payment], search_term: str
    ) -> tuple[QuerySet[Payment], bool]:
        """Django's search, and the chargebacks whose description shows the words searched for
        (their gateway's reason, stored as its code: shapes.description_search_also)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        also = description_search_also(search_term.strip())
        if also:
            found = found | queryset.filter(stored_as_q(also))
        return found, may_have_duplicates

    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at", "-id"]
    list_select_related = ["customer"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["complete_selected", "cancel_selected"]
    change_list_template = "backoffice/payment_change_list.html"
    change_form_template = "backoffice/payment_change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "customer",
                    "total_display",
                    "status_badge",
                    "method",
                    "paid_with",
                    "description_display",
                    "staff_comment",
                    "fee_display",
                ]
            },
        ),
        (
            _("History"),
            {
                # Times as the list shows them (`2026-12-03 08:14`), not in the admin's
                # "Dec. 3, 2026, 8:14 a.m." beside it.
                "fields": [
                    "created_display",
                    "created_by",
                    "occurred_display",
                    "completed_display",
                    "completed_by",
                    "cancelled_display",
                    "cancelled_by",
                    "cancel_reason",
                    "cancel_note",
                    "balance_after_display",
                ]
            },
        ),
        (
            _("Gateway"),
            {
                "fields": [
                    "gateway_display",
                    "gateway_reference",
                    "gateway_transaction",
                    "linked_payments",
                    "needs_attention_display",
                    "pending_reason",
                    "payment_log",
                ]
            },
        ),
        (_("Refunds and disputes"), {"fields": ["refunds_display", "disputes_display"]}),
    ]

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        if getattr(request, "backoffice_export", False):
            return ExportChangeList
        return TransferAmountsChangeList

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("export.csv", wrap(self.export_view), name=f"{prefix}_export"),
            path("<path:object_id>/complete/", wrap(self.complete_view), name=f"{prefix}_complete"),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name=f"{prefix}_cancel"),
            path("<path:object_id>/refresh/", wrap(self.refresh_view), name=f"{prefix}_refresh"),
            path("<path:object_id>/refund/", wrap(self.refund_view), name=f"{prefix}_refund"),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return payment_views.payment_add(self, request)

    def complete_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return payment_views.payment_complete_one(self, request, object_id)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return payment_views.payment_cancel_one(self, request, object_id)

    def refresh_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return payment_views.payment_refresh_one(self, request, object_id)

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return refund_views.payment_refund_one(self, request, object_id)

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        return payment_views.payments_export(self, request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_move_money": can_move_money(request)}
        payment = self.get_object(request, object_id)
        if payment is not None:
            context["subtitle"] = (
                f"{payment.reference} · {format_money(payment.total, payment.customer.currency)}"
                f" · {payment.get_status_display()}"
            )
            context["refundable"] = refund_left(payment=payment) > 0
            context["awaiting_bank"] = is_awaiting_bank(payment)
            # Settled by the gateway's answer only (ledger REFUND_BY_GATEWAY): no Complete, Cancel.
            context["refund_waiting"] = payment.relation == PaymentRelation.REFUND
            context["refund_waiting_words"] = refund_waiting_words(payment)
            context["incoming_transfer"] = is_incoming_transfer(payment)
            context["refused_requests"] = [
                _refused_words(refused, payment.customer.currency)
                for refused in refused_completion_requests(payment)
            ]
        return super().change_view(request, object_id, form_url, context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            context["payment_totals"] = payment_totals(context["cl"].queryset)
        return response

    @admin.action(description=_("Complete selected pending payments"), permissions=["move_money"])
    def complete_selected(self, request: HttpRequest, queryset: QuerySet[Payment]) -> Any:
        return payment_views.payments_bulk(
            self,
            request,
            queryset,
            action="complete_selected",
            form_class=BulkCompleteForm,
            apply=lambda pk, data: _complete_pending(
                pk, allow_overdraft=data["allow_overdraft"], actor=request.user
            ),
            done_message=_("Completed %(count)d payments."),
        )

    @admin.action(description=_("Cancel selected pending payments"), permissions=["move_money"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Payment]) -> Any:
        return payment_views.payments_bulk(
            self,
            request,
            queryset,
            action="cancel_selected",
            form_class=BulkCancelForm,
            apply=lambda pk, data: payment_cancel(
                payment=pk, reason=data["reason"], actor=request.user
            ),
            done_message=_("Cancelled %(count)d payments."),
        )

    occurred_display = time_column("occurred_at", _("occurred at"))
    created_display = time_column("created_at", _("created at"))
    completed_display = time_column("completed_at", _("completed at"))
    cancelled_display = time_column("cancelled_at", _("cancelled at"))

    @admin.display(description=_("description"), ordering="description")
    def description_display(self, obj: Payment) -> str:
        """What the customer reads; a chargeback's reason stored as its gateway's code
        ("Chargeback of PD-…: fraudulent") in the gateway's words."""
        return payment_description_shown(obj)

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, obj: Payment) -> str:
        """The total; a bank transfer credited for another amount says what it expected."""
        if is_incoming_transfer(obj):
            return amount_with_difference(transfer_amounts(payment=obj))
        return format_money(obj.total, obj.customer.currency)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Payment) -> str:
        return format_html(
            '<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("payment fee (reference only)"))
    def fee_display(self, obj: Payment) -> str:
        if obj.fee is None:
            return self.get_empty_value_display()
        return format_money(obj.fee, obj.customer.currency)

    @admin.display(description=_("gateway"))
    def gateway_display(self, obj: Payment) -> str:
        """The gateway by its name ("Bank Transfer"), not its code."""
        gateway = gateway_for_or_none(obj.gateway) if obj.gateway else None
        return gateway.display_name if gateway is not None else obj.gateway or "—"

    @admin.display(description=_("needs attention"))
    def needs_attention_display(self, obj: Payment) -> StrOrPromise:
        """In words: a red cross icon for "no" read as an alarm."""
        if obj.attention_needed:
            return _("Yes: read the payment log below")
        return _("No")

    @admin.display(description=_("payment log"))
    def payment_log(self, obj: Payment) -> str:
        entries = obj.log_entries.order_by("received_at", "id")[:50]
        if not entries:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    # to the second, in the staff zone (not "…16:08:46.984212+00:00")
                    timezone.localtime(e.received_at).strftime("%Y-%m-%d %H:%M:%S"),
                    log_what(e),  # "Received · Webhook", as the payment log's list says
                    log_event_html(e),  # never the id an unverified notification claimed
                    e.get_result_display(),  # "Sent", as the payment log says, not "sent"
                    e.detail,
                )
                for e in entries
            ),
        )
        link = reverse("backoffice:checkout_paymentlogentry_changelist")
        return format_html(
            # A phone's width cuts the row off: the table scrolls in a box a keyboard can reach.
            '<div class="backoffice-table-scroll" tabindex="0" role="region" aria-label="{}">'
            '<table class="payment-log"><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>'
            '<p><a href="{}?q={}">{}</a></p>',
            _("Payment log"),
            format_html_join(
                "",
                '<th scope="col">{}</th>',
                ((h,) for h in (_("Received"), _("What"), _("Event id"), _("Result"), _("Detail"))),
            ),
            rows,
            link,
            obj.reference,
            _("Open in the payment log"),
        )

    @admin.display(description=_("linked payments"))
    def linked_payments(self, obj: Payment) -> str:
        """The payment this one follows (a late payment's cancelled original) and those that
        follow it, each a link to its page."""

        def link(payment: Payment, label: str) -> tuple[str, str, str, str]:
            url = reverse("backoffice:ledger_payment_change", args=[payment.pk])
            return (label, url, payment.reference, payment.get_status_display())

        items = []
        if obj.original is not None:  # "Refund of …", as the Refunds line and the portal say
            items.append(link(obj.original, obj.relation_lead))
        items += [
            link(p, str(p.get_relation_display())) for p in obj.follow_ups.order_by("id")[:20]
        ]
        if not items:
            return "—"
        return format_html_join("", '<p>{} <a href="{}">{}</a> ({})</p>', items)

    @admin.display(description=_("refunds"))
    def refunds_display(self, obj: Payment) -> str:
        return refunds_html(obj)

    @admin.display(description=_("disputes"))
    def disputes_display(self, obj: Payment) -> str:
        return disputes_html(obj)

    @admin.display(description=_("paid with"))
    def paid_with(self, obj: Payment) -> str:
        """The saved method that paid ("SEPA Direct Debit •••• 3000, mandate mandate_…")."""
        charge = SavedMethodCharge.objects.filter(payment=obj).first()
        if charge is None:
            return self.get_empty_value_display()
        if charge.mandate:
            return _("%(method)s, mandate %(mandate)s") % {
                "method": charge.label,
                "mandate": charge.mandate,
            }
        return charge.label

    @admin.display(description=_("balance after"))
    def balance_after_display(self, obj: Payment) -> str:
        if obj.balance_after is None:
            return self.get_empty_value_display()
        return format_money(obj.balance_after, obj.customer.currency)


def _refused_words(refused: RefusedCompletionRequest, currency: str) -> str:
    return _(
        "Complete for %(asked)s, asked by %(by)s on %(asked_at)s: refused by %(refuser)s on "
        "%(refused_at)s. Why: %(why)s"
    ) % {
        "asked": format_money(refused.requested_total, currency),
        "by": refused.requested_by.email,
        "asked_at": short_datetime(refused.requested_at),
        "refuser": refused.refused_by.email,
        "refused_at": short_datetime(refused.refused_at),
        "why": refused.refusal,
    }


def _complete_pending(pk: int, *, allow_overdraft: bool, actor: Any) -> Payment:
    """Bulk complete: a bank transfer goes through the two-person rule (paydesk.banktransfers),
    anything else through four eyes (paydesk.credits): a completion that waits for a second
    person is reported as not completed, as a transfer's first approval is."""
    if Payment.objects.filter(INCOMING_TRANSFER, pk=pk).exists():
        return transfer_complete_as_expected(payment=pk, actor=actor)
    done = staff_payment_complete(payment=pk, allow_overdraft=allow_overdraft, actor=actor)
    if is_held(done):  # recorded as a request: not completed, and the list says why
        raise CreditError(held_reason(done))
    return done


def payment_totals(queryset: QuerySet[Payment]) -> list[dict[str, Any]]:
    """Per currency: count and sum of completed and pending payments in `queryset`, each payment
    once: a filter that joins another table (a payment's disputes) gives a row per match, which
    the list's DISTINCT folds but a sum over the same query would count again."""
    rows = (
        Payment.objects.filter(pk__in=queryset.order_by().values("pk"))
        .values("customer__currency", "status")
        .annotate(amount=Sum("total"), count=Count("id"))
    )
    by_currency: dict[str, dict[str, Any]] = {}
    for row in rows:
        currency = row["customer__currency"]
        entry = by_currency.setdefault(currency, {"currency": currency})
        amount = row["amount"] if row["amount"] is not None else Decimal(0)
        entry[row["status"]] = {"count": row["count"], "total": format_money(amount, currency)}
    return [by_currency[c] for c in sorted(by_currency)]
