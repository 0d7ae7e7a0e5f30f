"""Back-office views for exchange rates: add a rate, change one, import an ECB file.

Every write goes through paydesk.fx.services with `actor=request.user` (which checks the role
and audits); these views collect strings and show the service's refusal next to the field.
Never a float.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from paydesk.backoffice.admin_base import admin_page
from paydesk.backoffice.forms import add_service_error
from paydesk.backoffice.fx_forms import MAX_RATE_FILE_BYTES, RateEditForm, RateForm, RateImportForm
from paydesk.errors import PaydeskError
from paydesk.fx.fields import plain_rate
from paydesk.fx.models import ECB_SOURCE, ExchangeRate
from paydesk.fx.services import RateImport, latest_rate_date, rate_import_ecb, rate_set

_page = admin_page  # backoffice/admin_base.py


def _changelist_url() -> str:
    return reverse("backoffice:fx_exchangerate_changelist")


def _rate_text(row: ExchangeRate) -> str:
    return f"1 {row.base_currency} = {plain_rate(row.rate)} {row.quote_currency}"


def rate_add_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """A manual rate (or a changed one: the same currencies, date and source update it)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method == "POST":
        form = RateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = rate_set(
                    base=data["base"],
                    quote=data["quote"],
                    rate=data["rate"].strip(),
                    rate_date=data["rate_date"],
                    source=data["source"].strip() or None,
                    actor=request.user,
                )
            except PaydeskError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Rate saved: %(rate)s on %(date)s (%(source)s).")
                    % {
                        "rate": _rate_text(row),
                        "date": row.rate_date.isoformat(),
                        "source": row.source,
                    },
                )
                return HttpResponseRedirect(_changelist_url())
    else:
        initial: dict[str, object] = {"rate_date": latest_rate_date()}
        for name in ("base", "quote", "rate_date"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:10]
        form = RateForm(initial=initial)
    return _page(
        model_admin,
        request,
        "backoffice/fx_rate_form.html",
        title=_("Add an exchange rate"),
        form=form,
    )


def rate_edit_view(
    model_admin: ModelAdmin, request: HttpRequest, row: ExchangeRate
) -> HttpResponse:
    """Change the rate of a manual row. An imported (ECB) row is changed only by importing."""
    if not model_admin.has_change_permission(request, row):
        raise PermissionDenied
    if row.source == ECB_SOURCE:
        messages.warning(
            request,
            _(
                "Imported ECB rates change only through an import. To use another rate for "
                "that day, add a manual rate: the rate written last that day wins."
            ),
        )
        query = f"?base={row.base_currency}&quote={row.quote_currency}&rate_date={row.rate_date}"
        return HttpResponseRedirect(reverse("backoffice:fx_exchangerate_add") + query)
    form = RateEditForm(request.POST or None, initial={"rate": str(plain_rate(row.rate))})
    if request.method == "POST" and form.is_valid():
        try:
            saved = rate_set(
                base=row.base_currency,
                quote=row.quote_currency,
                rate=form.cleaned_data["rate"].strip(),
                rate_date=row.rate_date,
                source=row.source,
                actor=request.user,
            )
        except PaydeskError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Rate saved: %(rate)s on %(date)s (%(source)s).")
                % {
                    "rate": _rate_text(saved),
                    "date": saved.rate_date.isoformat(),
                    "source": saved.source,
                },
            )
            return HttpResponseRedirect(_changelist_url())
    return _page(
        model_admin,
        request,
        "backoffice/fx_rate_form.html",
        title=_("Change an exchange rate"),
        form=form,
        row=row,
    )


def rate_import_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Upload an ECB eurofxref XML file: all of it is stored, or nothing and a clear error."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    result: RateImport | None = None
    if request.method == "POST":
        form = RateImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["xml_file"]
            xml_bytes = upload.read(MAX_RATE_FILE_BYTES + 1)
            try:
                result = rate_import_ecb(xml_bytes=xml_bytes, actor=request.user)
            except PaydeskError as exc:
                form.add_error("xml_file", _("Nothing was imported: %s") % exc.message)
            else:
                messages.success(request, import_summary(result))
                form = RateImportForm()
    else:
        form = RateImportForm()
    return _page(
        model_admin,
        request,
        "backoffice/fx_import.html",
        title=_("Import an ECB rate file"),
        form=form,
        result=result,
    )


def import_summary(result: RateImport) -> str:
    dates = result.dates
    if len(dates) == 1:
        span = dates[0].isoformat()
    else:
        span = _("%(count)d dates, %(oldest)s to %(newest)s") % {
            "count": len(dates),
            "oldest": dates[-1].isoformat(),
            "newest": dates[0].isoformat(),
        }
    return ngettext(
        "Imported %(rates)d rate for %(span)s: %(created)d new, %(updated)d corrected, "
        "%(unchanged)d already stored.",
        "Imported %(rates)d rates for %(span)s: %(created)d new, %(updated)d corrected, "
        "%(unchanged)d already stored.",
        result.rates,
    ) % {
        "rates": result.rates,
        "span": span,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
