"""The back office's payment import (Administrators): upload a file, see its preview (what
would be imported per customer and every refusal with its line number), then import it.

The uploaded text waits in the signed-in session between the preview and the import (files up
to MAX_UPLOAD_BYTES; larger ones go through `paydesk import-payments`). The import plans the
file again before writing, so what changed in between is seen; every write goes through
paydesk.imports.services (and so the ledger), audited with the Administrator as actor.
"""

from __future__ import annotations

import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from paydesk.backoffice.roles import is_admin
from paydesk.errors import PaydeskError
from paydesk.imports.models import ImportFormat
from paydesk.imports.services import ImportPlan, import_plan, import_run
from paydesk.ledger.models import PaymentStatus
from paydesk.money import format_money

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
SESSION_KEY = "payment_import"
REFUSALS_SHOWN = 200
SAMPLE_ROWS = 10


def _text(upload: Any, what: str) -> str:
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _(
                "That %(what)s is larger than 2 MiB: import it with the command "
                "paydesk import-payments."
            )
            % {"what": what}
        )
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("That %(what)s is not UTF-8 text.") % {"what": what}) from None


class PaymentImportForm(forms.Form):
    payments_file = forms.FileField(
        label=gettext_lazy("Payments file"),
        help_text=gettext_lazy("A CSV file in UTF-8, at most 2 MiB."),
    )
    file_format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ImportFormat.choices)
    customer_map = forms.FileField(
        label=gettext_lazy("Customer map"),
        required=False,
        help_text=gettext_lazy(
            "CSV: external_id,customer (an existing customer's id or slug), or "
            "external_id,name,currency (a customer to create). Leave empty to choose one "
            "customer below."
        ),
    )
    customer = forms.CharField(
        label=gettext_lazy("Customer"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Id or slug: every row goes to this customer."),
    )
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone of the file"),
        required=False,
        max_length=60,
        help_text=gettext_lazy(
            "For dates written without an offset, e.g. Europe/Berlin. Dates with an offset "
            "keep theirs."
        ),
    )

    def clean_payments_file(self) -> str:
        return _text(self.cleaned_data["payments_file"], _("file"))

    def clean_customer_map(self) -> str | None:
        upload = self.cleaned_data.get("customer_map")
        return None if upload is None else _text(upload, _("customer map"))

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if name and name not in available_timezones():
            raise ValidationError(_("Unknown time zone '%(name)s'.") % {"name": name})
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not data.get("customer_map") and not (data.get("customer") or "").strip():
            raise ValidationError(_("Give a customer map, or the one customer to import into."))
        return data


def _plan(stored: dict[str, Any]) -> ImportPlan:
    zone = None
    if stored.get("time_zone"):
        try:
            zone = ZoneInfo(stored["time_zone"])
        except ZoneInfoNotFoundError:
            zone = None
    return import_plan(
        text=stored["text"],
        file_format=stored["file_format"],
        customer_map=stored.get("customer_map"),
        customer=stored.get("customer") or None,
        time_zone=zone,
    )


def _preview(plan: ImportPlan) -> list[dict[str, Any]]:
    """Per customer: how many rows, the first few (money in the currency's decimals) and what
    the completed ones add to the balance."""
    shown = []
    for customer in plan.customers:
        currency = customer.target.account_currency
        statuses = dict(PaymentStatus.choices)
        completed = customer.completed_total
        shown.append(
            {
                "label": customer.target.label,
                "rows": customer.count,
                "skipped": customer.skipped,
                "sample": [
                    {
                        "line": r.line,
                        "occurred_at": r.occurred_at,
                        "total": format_money(r.total, currency),
                        "status": statuses.get(r.status, r.status),
                        "description": r.description,
                    }
                    for r in customer.rows(SAMPLE_ROWS)
                ],
                "more": max(0, customer.count - SAMPLE_ROWS),
                "completed_total": format_money(completed, currency),
            }
        )
    return shown


def _page(model_admin: ModelAdmin, request: HttpRequest, **context: Any) -> TemplateResponse:
    plan = context.get("plan")
    if plan is not None:
        context["preview"] = _preview(plan)
        context["refusals"] = plan.refusals[:REFUSALS_SHOWN]
        plan.close()
    return TemplateResponse(
        request,
        "backoffice/payment_import.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": _("Import payment history"),
            "refusals_shown": REFUSALS_SHOWN,
            **context,
        },
    )


def payment_import_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST `preview`: plan and show. POST `import`: write the plan."""
    if not is_admin(request):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "import":
        return _import(model_admin, request)
    form = PaymentImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return _page(model_admin, request, form=form)
    data = form.cleaned_data
    stored = {
        "token": secrets.token_urlsafe(16),
        "text": data["payments_file"],
        "file_format": data["file_format"],
        "customer_map": data.get("customer_map"),
        "customer": (data.get("customer") or "").strip(),
        "time_zone": data.get("time_zone") or "",
    }
    plan = _plan(stored)
    request.session[SESSION_KEY] = stored
    return _page(model_admin, request, form=form, plan=plan, token=stored["token"])


def _import(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("token") != request.POST.get("token"):
        messages.error(request, _("That preview has expired: upload the file again."))
        return HttpResponseRedirect(reverse("backoffice:imports_importedpayment_import"))
    plan = _plan(stored)
    if plan.refusals:
        form = PaymentImportForm()
        return _page(model_admin, request, form=form, plan=plan, token=stored["token"])
    try:
        result = import_run(plan=plan, actor=request.user)
    except PaydeskError as exc:
        messages.error(request, _("Nothing was imported: %s") % exc.message)
        return _page(model_admin, request, form=PaymentImportForm(), plan=plan)
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _("Imported %(imported)d payment(s); skipped %(skipped)d already imported; refused 0.")
        % {"imported": result.imported, "skipped": result.skipped},
    )
    return HttpResponseRedirect(reverse("backoffice:imports_importedpayment_changelist"))
