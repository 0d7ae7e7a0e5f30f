"""Exchange rates in the back office: every staff role reads the table; Finance and
Administrators add and change rates and import the ECB file.

The table is paydesk.fx.selectors.rate_list (filtered by currency and dates); every write is in
fx_views.py and goes through paydesk.fx.services. Nothing is ever deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice import fx_views
from paydesk.backoffice.admin_base import BackofficeAdmin, time_column
from paydesk.backoffice.filters import OccurredDateRangeFilter, filter_day
from paydesk.backoffice.roles import FinanceActs, can_move_money
from paydesk.backoffice.site import backoffice_site
from paydesk.errors import PaydeskError
from paydesk.fx.fields import plain_rate, rate_short
from paydesk.fx.models import ExchangeRate
from paydesk.fx.selectors import rate_list
from paydesk.money import normalize_currency


def _rate_filters(request: HttpRequest) -> dict[str, Any]:
    """`?currency=USD&date_from=…&date_to=…` as rate_list's arguments; a bad currency refused,
    a date that does not parse left out (RateDateRangeFilter names it above the list)."""
    filters: dict[str, Any] = {}
    currency = (request.GET.get("currency") or "").strip()
    if currency:
        try:
            filters["currency"] = normalize_currency(currency)
        except PaydeskError:
            raise IncorrectLookupParameters("currency must be an ISO 4217 code") from None
    for name in ("date_from", "date_to"):
        day, _why = filter_day((request.GET.get(name) or "").strip())
        if day is not None:
            filters[name] = day
    return filters


class RateCurrencyFilter(admin.SimpleListFilter):
    """`?currency=USD`: rates with USD on either side (applied by rate_list in get_queryset)."""

    title = _("currency")
    parameter_name = "currency"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        bases = ExchangeRate.objects.order_by().values_list("base_currency", flat=True).distinct()
        quotes = ExchangeRate.objects.order_by().values_list("quote_currency", flat=True).distinct()
        return [(code, code) for code in sorted(set(bases) | set(quotes))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset


class RateDateRangeFilter(OccurredDateRangeFilter):
    """`?date_from=&date_to=` on the rate's date (applied by rate_list in get_queryset)."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset


@admin.register(ExchangeRate, site=backoffice_site)
class ExchangeRateAdmin(FinanceActs, BackofficeAdmin):
    list_display = [
        "rate_date",
        "base_currency",
        "quote_currency",
        "rate_display",
        "source",
        "created_by",
        "updated_display",
    ]
    list_display_links = ["rate_date"]
    list_filter = [RateCurrencyFilter, RateDateRangeFilter, "source"]
    ordering = ["-rate_date", "base_currency", "quote_currency", "-updated_at"]
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = None
    change_list_template = "backoffice/fx_change_list.html"
    fields = readonly_fields = (
        "rate_date",
        "base_currency",
        "quote_currency",
        "rate_display",
        "source",
        "created_display",
        "created_by",
        "updated_display",
    )
    created_display = time_column("created_at", _("created at"))
    updated_display = time_column("updated_at", _("updated at"))

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    # Roles: every staff member reads; Finance (and Administrators) add and change rates.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_move_money(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExchangeRate]:
        match = request.resolver_match
        if match is not None and (match.url_name or "").endswith("_changelist"):
            return rate_list(**_rate_filters(request))
        return rate_list()

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("import/", wrap(self.import_view), name=f"{prefix}_import"),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return fx_views.rate_add_view(self, request)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        return fx_views.rate_import_view(self, request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        row = self.get_object(request, object_id)
        if row is not None and self.has_change_permission(request, row):
            return fx_views.rate_edit_view(self, request, row)
        # Support (or a missing row): the admin's read-only page (a POST there is refused).
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("rate"), ordering="rate")
    def rate_display(self, obj: ExchangeRate) -> str:
        """Six significant digits to read; the exact rate in the title (and on the rate's page)."""
        exact = f"{plain_rate(obj.rate):f}"
        short = rate_short(obj.rate)
        if short == exact:
            return exact
        return format_html('<span title="{}">{}</span>', exact, short)
