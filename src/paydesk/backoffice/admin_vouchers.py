"""Vouchers in the back office: batches and their vouchers, read by all staff; issued, approved
or rejected (a batch waiting for a second Finance user) and disabled by Finance and
Administrators.

Nothing is added, changed or deleted through a model form: "Add" on batches is the issue form
(voucher_views.voucher_batch_issue_view, whose answer is the one-time CSV of the codes), and
disabling goes through paydesk.vouchers.batches. A code is never shown here: staff see the
hint (`…6TRK`), and find a voucher by its code through a POSTed look-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from paydesk.backoffice import voucher_views
from paydesk.backoffice.admin_base import BackofficeAdmin, short_datetime, time_column
from paydesk.backoffice.roles import FinanceActs, can_move_money
from paydesk.backoffice.site import backoffice_site
from paydesk.money import format_money
from paydesk.vouchers.batches import batch_hold_message
from paydesk.vouchers.models import BatchApproval, Voucher, VoucherBatch, VoucherStatus
from paydesk.vouchers.selectors import voucher_batch_status_counts

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import StrOrPromise, WithAnnotations

    class _StatusCounts(TypedDict):
        n_available: int
        n_used: int
        n_disabled: int

    # A batch of the list: VoucherBatchAdmin.get_queryset annotates its counts.
    CountedBatch = WithAnnotations[VoucherBatch, _StatusCounts]


def _status_badge(status: str, label: StrOrPromise) -> str:
    return format_html('<span class="badge badge-voucher-{}">{}</span>', status, label)


@admin.register(VoucherBatch, site=backoffice_site)
class VoucherBatchAdmin(FinanceActs, BackofficeAdmin):
    list_display = [
        "batch_link",
        "terms",
        "approval_display",
        "available",
        "used",
        "disabled",
        "expires_display",
        "created_display",
        "note",
    ]
    list_display_links = None
    list_filter = ["approval", "currency"]
    search_fields = ["note"]
    search_help_text = _("Words in the batch's note.")
    ordering = ["-created_at", "-id"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    change_list_template = "backoffice/voucher_batch_change_list.html"
    change_form_template = "backoffice/voucher_batch_change_form.html"
    fields = readonly_fields = (
        "id",
        "currency",
        "kind",
        "minimum_display",
        "multiplier_display",
        "addition_display",
        "expires_display",
        "count",
        "status_counts",
        "note",
        "created_display",
        "created_by",
        "approval_display",
        "decided_by",
        "decided_display",
    )
    expires_display = time_column("expires_at", _("expires at"))
    created_display = time_column("created_at", _("created at"))
    decided_display = time_column("decided_at", _("approved or rejected at"))

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[VoucherBatch]:
        # The counts of a page of batches in the same query (the detail page uses the selector).
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(
                n_available=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.AVAILABLE)),
                n_used=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.USED)),
                n_disabled=Count("vouchers", filter=Q(vouchers__status=VoucherStatus.DISABLED)),
            )
        )

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/disable/", wrap(self.disable_view), name=f"{prefix}_disable"),
            path("<path:object_id>/approve/", wrap(self.approve_view), name=f"{prefix}_approve"),
            path("<path:object_id>/reject/", wrap(self.reject_view), name=f"{prefix}_reject"),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return voucher_views.voucher_batch_issue_view(self, request)

    def disable_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return voucher_views.voucher_batch_disable_view(self, request, object_id)

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return voucher_views.voucher_batch_decide_view(self, request, object_id, approve=True)

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return voucher_views.voucher_batch_decide_view(self, request, object_id, approve=False)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_move_money": can_move_money(request)}
        batch = self.get_object(request, object_id)
        if batch is not None:
            context["subtitle"] = voucher_views.batch_terms(batch)
            context["available_count"] = voucher_batch_status_counts(batch=batch)[
                VoucherStatus.AVAILABLE
            ]
            if batch.approval == BatchApproval.WAITING:
                context["hold_message"] = batch_hold_message(batch)
                context["issued_it"] = batch.created_by_id == request.user.pk
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description=_("batch"), ordering="id")
    def batch_link(self, obj: VoucherBatch) -> str:
        return format_html('<a href="{}">{}</a>', voucher_views.batch_url(obj), obj.pk)

    @admin.display(description=_("terms"))
    def terms(self, obj: VoucherBatch) -> str:
        return voucher_views.batch_terms(obj)

    @admin.display(description=_("approval"), ordering="approval")
    def approval_display(self, obj: VoucherBatch) -> str:
        """Shown only when a second approval was asked for: "Waiting for a second approval"."""
        if obj.approval == BatchApproval.NOT_NEEDED:
            return "-"
        return format_html(
            '<span class="badge badge-approval-{}">{}</span>',
            obj.approval,
            obj.get_approval_display(),
        )

    @admin.display(description=_("kind"))
    def kind(self, obj: VoucherBatch) -> str:
        return str(_("Bonus") if obj.is_bonus else _("Free credit"))

    @admin.display(description=_("minimum top-up the customer pays"), ordering="minimum_activation")
    def minimum_display(self, obj: VoucherBatch) -> str:
        return format_money(obj.minimum_activation, obj.currency)

    @admin.display(description=_("top-up multiplier"), ordering="multiplier")
    def multiplier_display(self, obj: VoucherBatch) -> str:
        return f"{obj.multiplier.normalize():f}"

    @admin.display(description=_("free credit or fixed bonus per code"), ordering="addition")
    def addition_display(self, obj: VoucherBatch) -> str:
        return format_money(obj.addition, obj.currency)

    @admin.display(description=_("available"), ordering="n_available")
    def available(self, obj: CountedBatch) -> str:
        return self._vouchers_link(obj, VoucherStatus.AVAILABLE, obj.n_available)

    @admin.display(description=_("used"), ordering="n_used")
    def used(self, obj: CountedBatch) -> str:
        return self._vouchers_link(obj, VoucherStatus.USED, obj.n_used)

    @admin.display(description=_("disabled"), ordering="n_disabled")
    def disabled(self, obj: CountedBatch) -> str:
        return self._vouchers_link(obj, VoucherStatus.DISABLED, obj.n_disabled)

    @staticmethod
    def _vouchers_link(batch: VoucherBatch, status: str, count: int) -> str:
        return format_html('<a href="{}">{}</a>', _vouchers_url(batch, status), count)

    @admin.display(description=_("vouchers"))
    def status_counts(self, obj: VoucherBatch) -> str:
        counts = voucher_batch_status_counts(batch=obj)
        return format_html(
            '<a href="{}">{} {}</a> · <a href="{}">{} {}</a> · <a href="{}">{} {}</a> · '
            '<a href="{}">{}</a>',
            _vouchers_url(obj, VoucherStatus.AVAILABLE),
            counts[VoucherStatus.AVAILABLE],
            _("available"),
            _vouchers_url(obj, VoucherStatus.USED),
            counts[VoucherStatus.USED],
            _("used"),
            _vouchers_url(obj, VoucherStatus.DISABLED),
            counts[VoucherStatus.DISABLED],
            _("disabled"),
            _vouchers_url(obj),
            _("list them"),
        )


def _vouchers_url(batch: VoucherBatch, status: str = "") -> str:
    url = f"{reverse('backoffice:vouchers_voucher_changelist')}?batch={batch.pk}"
    return f"{url}&status__exact={status}" if status else url


class BatchFilter(admin.SimpleListFilter):
    """`?batch=<id>`: shown only when set (there may be many batches)."""

    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = request.GET.get(self.parameter_name, "")
        if not value.isdigit():
            return []
        batch = VoucherBatch.objects.filter(pk=int(value)).first()
        return [(str(batch.pk), str(batch))] if batch else []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters("batch must be a number")
        return queryset.filter(batch_id=int(value))


@admin.register(Voucher, site=backoffice_site)
class VoucherAdmin(FinanceActs, BackofficeAdmin):
    list_display = [
        "masked_code_link",
        "batch_link",
        "status_badge",
        "expires_display",
        "used_by",
        "used_display",
        "redemption_payment",
        "disabled_display",
    ]
    list_display_links = None
    list_filter = ["status", BatchFilter]
    search_fields = ["=hint"]
    search_help_text = _(
        "The last 4 characters of a code. To find one exact code, use “Find by code”."
    )
    list_select_related = ["batch", "used_by", "redemption_payment"]
    ordering = ["-batch_id", "id"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    change_list_template = "backoffice/voucher_change_list.html"
    change_form_template = "backoffice/voucher_change_form.html"
    fields = readonly_fields = (
        "masked_code",
        "batch_link",
        "terms",
        "status_badge",
        "expires_display",
        "used_by",
        "used_display",
        "redemption_payment",
        "armed_state",
        "disabled_display",
        "disabled_by",
    )
    expires_display = time_column("expires_at", _("expires at"))
    used_display = time_column("used_at", _("used at"))
    disabled_display = time_column("disabled_at", _("disabled at"))

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("lookup/", wrap(self.lookup_view), name=f"{prefix}_lookup"),
            path("<path:object_id>/disable/", wrap(self.disable_view), name=f"{prefix}_disable"),
            *super().get_urls(),
        ]

    @method_decorator(sensitive_post_parameters("code"))
    def lookup_view(self, request: HttpRequest) -> HttpResponse:
        return voucher_views.voucher_lookup_view(self, request)

    def disable_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return voucher_views.voucher_disable_view(self, request, object_id)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_move_money": can_move_money(request)}
        voucher = self.get_object(request, object_id)
        if voucher is not None:
            context["subtitle"] = f"{voucher.masked_code} · {voucher.get_status_display()}"
        return super().change_view(request, object_id, form_url, context)

    @admin.display(description=_("code"), ordering="hint")
    def masked_code_link(self, obj: Voucher) -> str:
        return format_html(
            '<a href="{}" class="backoffice-code">{}</a>',
            voucher_views.voucher_url(obj),
            obj.masked_code,
        )

    @admin.display(description=_("batch"), ordering="batch_id")
    def batch_link(self, obj: Voucher) -> str:
        return format_html(
            '<a href="{}">{}</a>', voucher_views.batch_url(obj.batch_id), obj.batch_id
        )

    @admin.display(description=_("terms"))
    def terms(self, obj: Voucher) -> str:
        return voucher_views.batch_terms(obj.batch)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Voucher) -> str:
        if obj.is_expired:
            return _status_badge("expired", _("Expired"))
        return _status_badge(obj.status, obj.get_status_display())

    @admin.display(description=_("bonus"))
    def armed_state(self, obj: Voucher) -> str:
        activation = getattr(obj, "activation", None)
        if activation is None:
            return "—"
        if activation.is_armed:
            armed = short_datetime(activation.armed_at)
            return str(_("Armed since %s, waiting for a qualifying top-up") % armed)
        return str(_("Applied: bonus payment %s") % activation.bonus_payment)
