"""Changelist filters for payments: one customer, a date range in the staff time zone, open
disputes, and what a pending payment waits for."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import Customer
from paydesk.banktransfers.selectors import INCOMING_TRANSFER
from paydesk.ledger.models import NEEDS_ATTENTION, PaymentRelation, PaymentStatus
from paydesk.methods.in_transit import awaiting_bank_q

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices
    from django_stubs_ext import StrOrPromise


class CustomerFilter(admin.SimpleListFilter):
    """`?customer=<id>`: shown only when set (there are too many customers to list)."""

    title = _("customer")
    parameter_name = "customer"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        value = request.GET.get(self.parameter_name, "")
        if not value.isdigit():
            return []
        customer = Customer.objects.filter(pk=int(value)).first()
        return [(str(customer.pk), str(customer))] if customer else []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters("customer must be a number")
        return queryset.filter(customer_id=int(value))


# The portal's bounds: a day at either end of the calendar overflows once put in a time zone.
FIRST_DAY, LAST_DAY = datetime.date(1970, 1, 1), datetime.date(9000, 12, 31)


def filter_day(text: str) -> tuple[datetime.date | None, StrOrPromise]:
    """(the day a date filter's `text` names, or None; why it is not used, or ""): a date that
    does not parse is left out and named, never a reason to drop the other filters."""
    if not text:
        return None, ""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return None, _("Enter a date like 2026-01-31.")
    if not FIRST_DAY <= day <= LAST_DAY:
        return None, _("Choose a date between %(first)s and %(last)s.") % {
            "first": FIRST_DAY.isoformat(),
            "last": LAST_DAY.isoformat(),
        }
    return day, ""


class OccurredDateRangeFilter(admin.ListFilter):
    """`?date_from=YYYY-MM-DD&date_to=YYYY-MM-DD`, inclusive, in the current time zone; a date
    that does not parse is left out and named, never a reason to drop the other filters."""

    title = _("date range")
    template = "backoffice/date_range_filter.html"
    parameters = ("date_from", "date_to")
    labels = {"date_from": _("From"), "date_to": _("To")}

    def __init__(
        self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any
    ) -> None:
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value
        # A date that does not parse is left out (the other filters still apply) and named:
        # beside its field and above the list (payment_change_list.html).
        self.dates: dict[str, datetime.date | None] = {}
        self.errors: dict[str, StrOrPromise] = {}
        for name in self.parameters:
            self.dates[name], error = filter_day(str(self.used_parameters.get(name) or "").strip())
            if error:
                self.errors[name] = error

    def has_output(self) -> bool:
        return True

    @property
    def dropped(self) -> list[tuple[StrOrPromise, StrOrPromise]]:
        """(label, why) of each date left out because it did not parse."""
        return [(self.labels[name], why) for name, why in self.errors.items()]

    def expected_parameters(self) -> list[str | None]:
        return list(self.parameters)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        tz = timezone.get_current_timezone()
        start, end = self.dates["date_from"], self.dates["date_to"]
        if start is not None:
            queryset = queryset.filter(
                occurred_at__gte=datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
            )
        if end is not None:
            after = end + datetime.timedelta(days=1)
            queryset = queryset.filter(
                occurred_at__lt=datetime.datetime.combine(after, datetime.time.min, tzinfo=tz)
            )
        return queryset

    # Its own template's context, not the choice list the stubs type every filter's as.
    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        hidden = []
        for name, values in changelist.params.items():
            if name in self.parameters or name == "p":
                continue
            for value in values if isinstance(values, list) else [values]:
                hidden.append((name, value))
        yield {
            "date_from": self.used_parameters.get("date_from", ""),
            "date_to": self.used_parameters.get("date_to", ""),
            "errors": self.errors,
            "hidden": hidden,
            "clear_query_string": changelist.get_query_string(remove=list(self.parameters)),
        }


class OpenDisputeFilter(admin.SimpleListFilter):
    """`?dispute=open`: payments with a dispute still open at their gateway (needs attention)."""

    title = _("dispute")
    parameter_name = "dispute"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("open", _("Open dispute")), ("any", _("Any dispute"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.filter(disputes__status="open").distinct()
        if self.value() == "any":
            return queryset.filter(disputes__isnull=False).distinct()
        return queryset


def other_pending_q() -> Q:
    """Pending payments that are none of the home page's other work: not a bank transfer to
    approve, not a credit awaiting a second approver, not a debit the bank is confirming."""
    return (
        Q(status=PaymentStatus.PENDING, credit_approval__isnull=True)
        & ~INCOMING_TRANSFER
        & ~awaiting_bank_q()
    )


class AwaitingBankFilter(admin.SimpleListFilter):
    """`?waiting=bank`: SEPA Direct Debits the bank is still confirming (methods/in_transit.py);
    `?waiting=other`: the other pending payments (other_pending_q), the home page's *Other
    pending payments*, so its count and its list agree."""

    title = _("waiting for")
    parameter_name = "waiting"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [
            ("bank", _("The bank (SEPA Direct Debit)")),
            ("other", _("The customer or gateway (other pending)")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "bank":
            return queryset.filter(awaiting_bank_q())
        if self.value() == "other":
            return queryset.filter(other_pending_q())
        return queryset


class NeedsAttentionFilter(admin.BooleanFieldListFilter):
    """`?needs_attention__exact=1`: the payments Finance must decide on, pending ones only (the
    home page's count): a final payment flagged before completing cleared the flag is not."""

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.lookup_val == "1":
            return queryset.filter(NEEDS_ATTENTION)
        if self.lookup_val == "0":
            return queryset.exclude(NEEDS_ATTENTION)
        return queryset


class RelationFilter(admin.ChoicesFieldListFilter):
    """How a payment follows from an earlier one; a payment that stands alone is named in
    words, not the "—" its empty choice shows in a row."""

    def choices(self, changelist: Any) -> Iterator[_ListFilterChoices]:
        for choice in super().choices(changelist):
            if choice.get("display") == PaymentRelation.NONE.label:
                choice = {**choice, "display": _("None (a payment of its own)")}
            yield choice
