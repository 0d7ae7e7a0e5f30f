"""Imported payment history in the back office (Administrators): the list of imported rows
(where each payment came from) and the import page (import_views.py)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice import import_views
from paydesk.backoffice.admin_base import BackofficeAdmin
from paydesk.backoffice.roles import AdministratorOnly
from paydesk.backoffice.site import backoffice_site
from paydesk.imports.models import ImportedPayment


@admin.register(ImportedPayment, site=backoffice_site)
class ImportedPaymentAdmin(AdministratorOnly, BackofficeAdmin):
    list_display = ["imported_at", "customer", "source", "origin_key", "payment_link", "line"]
    list_filter = ["source"]
    search_fields = ["origin_key", "payment__reference", "customer__name"]
    list_select_related = ["customer", "payment"]
    readonly_fields = [
        "customer",
        "source",
        "origin_key",
        "payment",
        "line",
        "imported_at",
        "imported_by",
    ]
    change_list_template = "backoffice/imported_payment_change_list.html"

    # Administrators read the list; rows come only from an import, and never change.
    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("Payment"), ordering="payment__reference")
    def payment_link(self, row: ImportedPayment) -> str:
        url = reverse("backoffice:ledger_payment_change", args=[row.payment_id])
        return format_html('<a href="{}">{}</a>', url, row.payment.reference)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="imports_importedpayment_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        return import_views.payment_import_view(self, request)
