"""Back-office forms for vouchers. They collect strings; paydesk.vouchers.batches decides.

Amounts and the multiplier stay strings here (never a float, never a DecimalField that would
round): the service checks them and names the field to blame, which the views show next to that
field. These forms never see a plain voucher code except the staff look-up's, which is hashed by
the selector at once and never kept.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.filters import LAST_DAY
from paydesk.backoffice.forms import FORM_TOKEN_PATTERN
from paydesk.errors import PaydeskError
from paydesk.money import normalize_currency
from paydesk.text import single_line


def currency_field_clean(value: str) -> str:
    try:
        return normalize_currency(value)
    except PaydeskError as exc:
        raise ValidationError(exc.message) from None


def end_of_day(day: date) -> datetime:
    """`2027-01-31` as an expiry: valid through that whole day in the provider's time zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


# Dates are typed (or picked) as YYYY-MM-DD only: 10/01/2025 means two different days.
ISO_DATE = ["%Y-%m-%d"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class VoucherBatchIssueForm(forms.Form):
    """Spec §7: count, currency, M, X, A, optional expiry and a note; one batch per form token.
    The labels say them in words (a finance person reads no formula letters).

    POST fields: count, currency, minimum_activation, multiplier, addition, expires_at
    (YYYY-MM-DD, last valid day), note, form_token.
    """

    count = forms.IntegerField(
        min_value=1,
        help_text=_("How many vouchers (at most 10,000 in one batch)."),
    )
    currency = forms.CharField(max_length=3, help_text=_("ISO 4217, e.g. USD."))
    minimum_activation = forms.CharField(
        label=_("Minimum top-up the customer pays"),
        max_length=40,
        initial="0",
        help_text=_(
            "0 makes free-credit vouchers: redeeming one credits the free credit at once. Above "
            "0 makes bonus vouchers: the customer's next top-up of at least this amount earns a "
            "bonus. Example: minimum top-up 50, top-up multiplier 2, fixed bonus 5 — a top-up of "
            "100 earns a bonus of 100 + 5 = 105 (the top-up again, plus 5)."
        ),
    )
    multiplier = forms.CharField(
        label=_("Top-up multiplier"),
        max_length=40,
        initial="1",
        help_text=_(
            "For bonus vouchers: 2 gives a bonus of the whole top-up again, 1.1 gives 10% of "
            "it, 1 or less gives none of it."
        ),
    )
    addition = forms.CharField(
        label=_("Free credit or fixed bonus per code"),
        max_length=40,
        initial="0",
        help_text=_(
            "What a free-credit voucher credits; for a bonus voucher, an amount added to its bonus."
        ),
    )
    expires_at = forms.DateField(
        label=_("Last valid day"),
        required=False,
        widget=DateInput,
        input_formats=ISO_DATE,
        help_text=_("Optional. Valid through the end of this day (provider's time zone)."),
    )
    note = forms.CharField(
        max_length=200,
        required=False,
        help_text=_("For staff only, e.g. the campaign."),
        validators=[single_line],
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    def clean_currency(self) -> str:
        return currency_field_clean(self.cleaned_data["currency"])

    def clean_expires_at(self) -> date | None:
        day = self.cleaned_data.get("expires_at")
        if day is not None and day > LAST_DAY:
            # Its end in the provider's zone would be past Python's calendar (9999-12-31).
            raise ValidationError(
                _("Choose a day on or before %(last)s, or leave it empty for no expiry.")
                % {"last": LAST_DAY.isoformat()}
            )
        return day

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not FORM_TOKEN_PATTERN.fullmatch(token):
            raise ValidationError(_("This form has expired: reload the page and try again."))
        return token

    def service_fields(self) -> dict[str, Any]:
        """What voucher_batch_issue takes (besides the actor), from the cleaned form."""
        data = self.cleaned_data
        day = data.get("expires_at")
        return {
            "count": data["count"],
            "currency": data["currency"],
            "minimum_activation": data["minimum_activation"].strip(),
            "multiplier": data["multiplier"].strip(),
            "addition": data["addition"].strip(),
            "expires_at": end_of_day(day) if day else None,
            "note": data.get("note") or "",
        }


class VoucherLookupForm(forms.Form):
    """A code a customer read out to staff; POSTed, so it never lands in a URL or access log."""

    code = forms.CharField(
        max_length=64,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The whole code, e.g. 7KQ2-M9XA-4ZP3-B6TR-K (case, spaces, hyphens ignored)."),
    )


class ConfirmForm(forms.Form):
    """An empty form: a confirmation page's POST (with its CSRF token) is the decision."""
