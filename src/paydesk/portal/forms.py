"""Portal forms: the Payments page filters (GET) and the time zone picker (POST).

Bad input never raises: a filter that does not validate gets a message next to its field and is
left out of the query, so the page and its CSV always agree on the rows shown.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import PaymentMethod
from paydesk.ledger.models import PaymentStatus
from paydesk.ledger.selectors import (
    DEFAULT_PAYMENT_SORT,
    PAYMENT_SORTS,
    PaymentFilters,
    PaymentSort,
)
from paydesk.shapes import description_search_also

SORT_CHOICES = [
    ("-date", _("Date, newest first")),
    ("date", _("Date, oldest first")),
    ("-total", _("Total, largest first")),
    ("total", _("Total, smallest first")),
]
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9000, 12, 31)
# The query parameters that choose rows; paging and rendering parameters are not among them.
FILTER_PARAMETERS = ("status", "method", "q", "date_from", "date_to", "attempts", "sort")

# The methods a customer filters by, in their words: staff entries are their account's charges
# and credits (ledger.models.customer_method_label), not a "Manual entry".
CUSTOMER_METHODS = [
    ("", _("Any method")),
    *(
        (code, _("Account charge or credit") if code == PaymentMethod.MANUAL else label)
        for code, label in PaymentMethod.choices
    ),
]


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PaymentStatus.choices]
    )
    method = forms.ChoiceField(label=_("Method"), required=False, choices=CUSTOMER_METHODS)
    q = forms.CharField(
        label=_("Description contains"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    attempts = forms.BooleanField(
        label=_("Include unfinished and cancelled online checkouts"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
            )
        return day

    def clean_date_from(self) -> date | None:
        return self._clean_day("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_day("date_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def _valid(self, name: str) -> Any:
        """The cleaned value of a field that validated, else None (its error is shown)."""
        self.is_valid()
        return None if name in self.errors else self.cleaned_data.get(name)

    def sort_order(self) -> PaymentSort:
        return PAYMENT_SORTS.get(self._valid("sort") or "", DEFAULT_PAYMENT_SORT)

    def period(self, time_zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware datetimes: whole days, inclusive, in the user's time zone."""
        return (
            _day_start(self._valid("date_from"), time_zone),
            _day_start(self._valid("date_to"), time_zone, days=1),
        )

    def filters(self, *, time_zone: tzinfo, hide_pending_bank_transfers: bool) -> PaymentFilters:
        start, end = self.period(time_zone)
        text = (self._valid("q") or "").strip()
        return PaymentFilters(
            status=self._valid("status") or "",
            method=self._valid("method") or "",
            text=text,
            text_stored_as=description_search_also(text),
            start=start,
            end=end,
            hide_pending_bank_transfers=hide_pending_bank_transfers,
            # Shown when asked for, or when the Cancelled status is chosen.
            hide_checkout_attempts=not (
                self._valid("attempts") or self._valid("status") == PaymentStatus.CANCELLED
            ),
        )

    @property
    def dropped(self) -> list[tuple[str, str]]:
        """(label, why) of each filter left out of the query because it did not validate."""
        self.is_valid()
        return [
            (str(self.fields[name].label), " ".join(str(m) for m in messages))
            for name, messages in self.errors.items()
            if name in self.fields
        ]

    @property
    def is_filtered(self) -> bool:
        return any(
            self._valid(name)
            for name in ("status", "method", "q", "date_from", "date_to", "attempts")
        )


def _day_start(day: date | None, time_zone: tzinfo, days: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days), time.min, tzinfo=time_zone)


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name known to this system, sorted (cached: reading them is slow)."""
    return tuple(sorted(zoneinfo.available_timezones()))


class TimeZoneForm(forms.Form):
    """The header's time zone picker; an empty choice means the provider's time zone."""

    time_zone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "list": "time-zone-names",
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-describedby": "time-zone-help",
            }
        ),
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"].strip()
        if name and name not in time_zone_names():
            raise forms.ValidationError(_("Unknown time zone."))
        return name
