"""Shared plumbing of the back-office ModelAdmins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from paydesk.audit.services import audit_record
from paydesk.errors import PaydeskError
from paydesk.web.client_ip import client_ip


class ServiceRefused(Exception):
    """A service refused a save that the form had accepted (a race, or a rule the form lacks)."""

    def __init__(self, error: PaydeskError) -> None:
        super().__init__(error.message)
        self.error = error


class ServiceSaveMixin:
    """Turns a ServiceRefused raised while saving into a message and a fresh form, not a 500.

    The admin's change view runs in one transaction, so nothing of the refused save remains.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except ServiceRefused as refused:
            messages.error(request, refused.error.message)
            return HttpResponseRedirect(request.get_full_path())


# The widest integer a database column or parameter holds (PostgreSQL's bigint, SQLite's INTEGER).
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class CheckedChangeList(ChangeList):
    """A list whose query string's lookups are refused when the database query cannot be built
    from them, as Django refuses an unknown field (a redirect to the list, "?e=1"), rather than a
    500 when the page is drawn: a date out of range (`?created_at__year=0`, `__month=13`, a year
    past 9999, which Django turns into datetime bounds only when it writes the SQL) or a number
    no database integer holds. The query is written here (not run) to find out."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        try:
            queryset = super().get_queryset(request, exclude_parameters)
            _sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:  # a query that finds nothing (an empty `__in`): not an error
            return queryset
        except (ValueError, OverflowError, TypeError) as error:
            raise IncorrectLookupParameters(error) from error
        # Compared, not `in range(…)`: for an int subclass (a model's IntegerChoices member)
        # range walks every number.
        if any(isinstance(p, int) and not _INT64_MIN <= p <= _INT64_MAX for p in params):
            raise IncorrectLookupParameters("a number out of range")
        return queryset


class BackofficeAdmin(admin.ModelAdmin):
    """Every back-office ModelAdmin's base: its list is a CheckedChangeList."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CheckedChangeList


Obj = TypeVar("Obj")


def guarded_object(
    model_admin: Any,
    request: HttpRequest,
    object_id: str,
    *,
    may_act: Callable[[HttpRequest], bool],
    missing: str,
    list_url: str,
    ready: Callable[[Obj], bool],
    not_ready: Callable[[Obj], str],
    object_url: Callable[[Obj], str],
) -> Obj | HttpResponse:
    """The object a guarded back-office action (complete a payment, disable a voucher…) acts on,
    or where to send the user with a message: 403 for a role that may not act, the list when
    there is no such object, the object's page when it is not in the state the action needs."""
    if not may_act(request):
        raise PermissionDenied
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        messages.error(request, missing)
        return HttpResponseRedirect(list_url)
    if not ready(obj):
        messages.error(request, not_ready(obj))
        return HttpResponseRedirect(object_url(obj))
    return obj


def short_datetime(value: Any) -> str:
    """A list's date and time on one line: `2026-12-03 08:14` in the staff member's zone."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def time_column(field: str, description: Any) -> Callable[[Any, Any], str]:
    """A ModelAdmin display method (list column or read-only field) that shows the datetime
    `field` as short_datetime does, sortable by it: `created_display = time_column("created_at",
    _("created at"))`. The admin's own rendering ("Nov. 26, 2026, 5 a.m.") read differently from
    the lists beside it."""

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Any) -> str:
        return short_datetime(getattr(obj, field))

    return column


def payment_link(payment: Any) -> str:
    """A payment's reference as a link to its back-office page ("—" for none)."""
    if payment is None:
        return "—"
    url = reverse("backoffice:ledger_payment_change", args=[payment.pk])
    return format_html('<a href="{}">{}</a>', url, payment.reference)


def admin_page(model_admin: Any, request: HttpRequest, template: str, **context: Any) -> Any:
    """A back-office page of `model_admin` (the admin's context, its opts) with `context`."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "app_label": model_admin.opts.app_label,
            **context,
        },
    )


def exported_changelist(model_admin: Any, request: HttpRequest, *, action: str) -> Any:
    """The changelist a list's *Download CSV* serves (its filters from the same query string),
    the download audited as `action` with those filters; or, when the list would refuse the
    filters, a redirect to the list saying so."""
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        messages.error(request, _("Those filters are not valid."))
        opts = model_admin.opts
        return HttpResponseRedirect(
            reverse(f"backoffice:{opts.app_label}_{opts.model_name}_changelist")
        )
    audit_record(
        action=action,
        actor=request.user,
        after={"filters": request.GET.urlencode()[:1000]},
        ip_address=client_ip(request),
    )
    return changelist
