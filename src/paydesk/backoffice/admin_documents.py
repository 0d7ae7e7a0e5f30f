"""Documents in the back office: every customer's invoices and credit notes (read by every
staff role, with the PDF and a CSV of what the filters show), the invoicing settings and the
customers' tax rules (Administrators; saved through documents.services, audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.admin_base import (
    BackofficeAdmin,
    ServiceRefused,
    ServiceSaveMixin,
    exported_changelist,
    time_column,
)
from paydesk.backoffice.roles import AdministratorOnly, ReadOnlyForStaff, is_staff
from paydesk.backoffice.site import backoffice_site
from paydesk.backoffice.widgets import KeyCheckedAutocompleteMixin
from paydesk.documents.models import CustomerTaxRule, Document, InvoicingSettings
from paydesk.documents.render import document_filename, document_pdf
from paydesk.documents.selectors import documents_csv
from paydesk.documents.services import (
    SETTINGS_FIELDS,
    customer_tax_rule_set,
    invoicing_settings_update,
)
from paydesk.documents.views import pdf_response
from paydesk.errors import PaydeskError
from paydesk.money import format_money


@admin.register(Document, site=backoffice_site)
class DocumentAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = ["code", "kind", "issued_display", "customer", "payment_reference",
                    "corrects_shown", "tax_shown", "total_shown", "pdf"]  # fmt: skip
    list_filter = ["kind", "issued_at"]
    search_fields = ["code", "customer__name", "payment__reference"]
    list_select_related = ["customer", "payment"]
    date_hierarchy = "issued_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # One document's page: its amounts as money in the currency's decimals (not the stored
    # "100.0000"), the rate in percent, and its PDF; the code says series, year and number.
    fields = ["code", "kind", "customer", "payment", "corrects", "issued_display", "net_shown",
              "tax_shown", "total_shown", "tax_rate_shown", "tax_rule", "pdf"]  # fmt: skip
    readonly_fields = ["issued_display", "net_shown", "tax_shown", "total_shown", "tax_rate_shown",
                       "pdf"]  # fmt: skip
    issued_display = time_column("issued_at", _("issued at"))
    change_list_template = "backoffice/document_change_list.html"

    @admin.display(description=_("payment"), ordering="payment__reference")
    def payment_reference(self, doc: Document) -> str:
        return doc.payment.reference

    @admin.display(description=_("corrects"))
    def corrects_shown(self, doc: Document) -> str:
        """Every invoice a credit note reduces (several after a chargeback reversal), or the one
        a reversal's invoice charges again."""
        return doc.referenced_codes or "—"

    @admin.display(description=_("net"))
    def net_shown(self, doc: Document) -> str:
        return format_money(doc.signed_net, doc.currency)

    @admin.display(description=_("tax rate"))
    def tax_rate_shown(self, doc: Document) -> str:
        return f"{doc.tax_rate:.2f} %"  # a Decimal, formatted exactly

    @admin.display(description=_("tax"))
    def tax_shown(self, doc: Document) -> str:
        return format_money(doc.signed_tax, doc.currency)

    @admin.display(description=_("total"))
    def total_shown(self, doc: Document) -> str:
        return format_money(doc.signed_gross, doc.currency)

    @admin.display(description=_("PDF"))
    def pdf(self, doc: Document) -> str:
        url = reverse("backoffice:documents_document_pdf", args=[doc.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/pdf/", view(self.pdf_view), name="documents_document_pdf"),
            path("export.csv", view(self.csv_view), name="documents_document_csv"),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not is_staff(request):
            return HttpResponse(status=403)
        document = Document.objects.filter(pk=pk).first()
        if document is None:
            return HttpResponseRedirect(reverse("backoffice:documents_document_changelist"))
        return pdf_response(document_pdf(document), document_filename(document))

    def csv_view(self, request: HttpRequest) -> HttpResponseBase:
        """The CSV of what the list's filters show (the same query string)."""
        if not is_staff(request):
            return HttpResponse(status=403)
        changelist = exported_changelist(self, request, action="document.export")
        if isinstance(changelist, HttpResponseBase):
            return changelist
        rows = changelist.queryset.order_by("-issued_at", "-id")
        response = StreamingHttpResponse(documents_csv(rows), content_type="text/csv")
        name = f"invoices-{timezone.localdate().isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        query = request.GET.urlencode()
        csv_url = reverse("backoffice:documents_document_csv") + (f"?{query}" if query else "")
        return super().changelist_view(request, {**(extra_context or {}), "csv_url": csv_url})


@admin.register(InvoicingSettings, site=backoffice_site)
class InvoicingSettingsAdmin(AdministratorOnly, ServiceSaveMixin, BackofficeAdmin):
    fields = list(SETTINGS_FIELDS)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not InvoicingSettings.objects.exists()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """There is only one: go straight to it (or to adding it)."""
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)
        row = InvoicingSettings.objects.order_by("pk").first()
        if row is None:
            return HttpResponseRedirect(reverse("backoffice:documents_invoicingsettings_add"))
        return HttpResponseRedirect(
            reverse("backoffice:documents_invoicingsettings_change", args=[row.pk])
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            fields = {name: form.cleaned_data[name] for name in SETTINGS_FIELDS}
            saved = invoicing_settings_update(actor=request.user, **fields)
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()


@admin.register(CustomerTaxRule, site=backoffice_site)
class CustomerTaxRuleAdmin(
    KeyCheckedAutocompleteMixin, AdministratorOnly, ServiceSaveMixin, BackofficeAdmin
):
    list_display = ["customer", "rule"]
    list_filter = ["rule"]
    search_fields = ["customer__name"]
    autocomplete_fields = ["customer"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = customer_tax_rule_set(
                customer=form.cleaned_data["customer"], rule=form.cleaned_data["rule"],
                actor=request.user,
            )  # fmt: skip
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        obj.pk = saved.pk
        obj._state.adding = False
