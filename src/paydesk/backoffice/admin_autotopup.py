"""Automatic top-up in the back office: every customer who has it (on, off or suspended) with
the last attempt and its result, the consent (text, who, when), and each top-up; every staff role
reads it, Finance and Administrators may switch it off (audited, through topup_switch_off).
Nothing here charges a card or moves money."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from paydesk.autotopup.models import Topup, TopupSettings, TopupStatus
from paydesk.autotopup.services import topup_switch_off
from paydesk.backoffice.admin_base import BackofficeAdmin
from paydesk.backoffice.roles import ReadOnlyForStaff, can_move_money
from paydesk.backoffice.site import backoffice_site
from paydesk.money import format_money


class SuspendedFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("on", _("On")), ("suspended", _("Suspended: needs attention")), ("off", _("Off"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "suspended":
            return queryset.filter(enabled=True, suspended_at__isnull=False)
        if value == "on":
            return queryset.filter(enabled=True, suspended_at__isnull=True)
        if value == "off":
            return queryset.filter(enabled=False)
        return queryset


@admin.register(TopupSettings, site=backoffice_site)
class TopupSettingsAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = [
        "customer",
        "state",
        "threshold_text",
        "amount_text",
        "cap_text",
        "method_label",
        "last_attempt",
        "last_result",
    ]
    list_filter = [SuspendedFilter]
    search_fields = ["customer__name"]
    list_select_related = ["customer"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["switch_off"]
    fields = [
        "customer",
        "state",
        "threshold_text",
        "amount_text",
        "cap_text",
        "cooldown_minutes",
        "method_label",
        "payment_method",
        "consent_text",
        "consented_by",
        "consented_at",
        "consecutive_failures",
        "suspended_at",
        "suspended_reason",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        last = Topup.objects.filter(customer=OuterRef("customer")).order_by("-created_at", "-pk")
        return (
            super()
            .get_queryset(request)
            .exclude(consented_at__isnull=True)
            .annotate(
                last_at=Subquery(last.values("created_at")[:1]),
                last_status=Subquery(last.values("status")[:1]),
                last_detail=Subquery(last.values("detail")[:1]),
            )
        )

    @admin.display(description=_("state"))
    def state(self, row: TopupSettings) -> str:
        if not row.enabled:
            return "Off"
        return "Suspended" if row.suspended_at else "On"

    @admin.display(description=_("below"))
    def threshold_text(self, row: TopupSettings) -> str:
        return format_money(row.threshold, row.customer.currency)

    @admin.display(description=_("top up by"))
    def amount_text(self, row: TopupSettings) -> str:
        return format_money(row.amount, row.customer.currency)

    @admin.display(description=_("monthly cap"))
    def cap_text(self, row: TopupSettings) -> str:
        return format_money(row.monthly_cap, row.customer.currency)

    @admin.display(description=_("last attempt"), ordering="last_at")
    def last_attempt(self, row: TopupSettings) -> object:
        return getattr(row, "last_at", None) or "—"

    @admin.display(description=_("result"))
    def last_result(self, row: TopupSettings) -> str:
        status = getattr(row, "last_status", None)
        if not status:
            return "—"
        label = dict(TopupStatus.choices).get(status, status)
        detail = getattr(row, "last_detail", "") or ""
        return f"{label}: {detail}" if detail else str(label)

    def has_switch_off_permission(self, request: HttpRequest) -> bool:
        return can_move_money(request)

    @admin.action(description=_("Switch automatic top-up off"), permissions=["switch_off"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet[TopupSettings]) -> None:
        count = 0
        for row in queryset.filter(enabled=True).select_related("customer"):
            topup_switch_off(
                customer=row.customer, actor=request.user, reason="Switched off in the back office."
            )
            count += 1
        self.message_user(
            request,
            ngettext(
                "Automatic top-up switched off for %d customer.",
                "Automatic top-up switched off for %d customers.",
                count,
            )
            % count,
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(Topup, site=backoffice_site)
class TopupAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = [
        "created_at",
        "customer",
        "status",
        "trigger",
        "amount_text",
        "payment_reference",
        "detail",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["customer__name", "payment__reference"]
    list_select_related = ["customer", "payment"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description=_("amount"))
    def amount_text(self, row: Topup) -> str:
        return format_money(row.amount, row.customer.currency)

    @admin.display(description=_("payment"), ordering="payment__reference")
    def payment_reference(self, row: Topup) -> str:
        return row.payment.reference if row.payment is not None else "—"
