"""Back-office forms for exchange rates. They collect strings; paydesk.fx.services decides.

A rate stays a string here (never a float, never a DecimalField that would round); rate_set
checks it and names the field to blame, which the views show next to that field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.voucher_forms import ISO_DATE, DateInput, currency_field_clean
from paydesk.text import single_line

# The largest rate file accepted through the browser (the ECB's full history is about 7 MiB).
MAX_RATE_FILE_BYTES = 32 * 1024 * 1024


class RateForm(forms.Form):
    """Add a rate: 1 base = rate quote on a date. The rate stays a string (never a float)."""

    base = forms.CharField(label=_("Base currency"), max_length=3, help_text=_("e.g. EUR"))
    quote = forms.CharField(label=_("Quote currency"), max_length=3, help_text=_("e.g. USD"))
    rate = forms.CharField(
        max_length=40,
        help_text=_("Units of the quote currency for 1 base unit, e.g. 1.0512 (max 10 decimals)."),
    )
    rate_date = forms.DateField(label=_("Date"), widget=DateInput, input_formats=ISO_DATE)
    source = forms.CharField(
        max_length=80,
        required=False,
        help_text=_("Leave empty for “manual: your email”."),
        validators=[single_line],
    )

    def clean_base(self) -> str:
        return currency_field_clean(self.cleaned_data["base"])

    def clean_quote(self) -> str:
        return currency_field_clean(self.cleaned_data["quote"])


class RateEditForm(forms.Form):
    """Change the rate of one stored row; its currencies, date and source stay as they are."""

    rate = forms.CharField(
        max_length=40,
        help_text=_("Units of the quote currency for 1 base unit (max 10 decimals)."),
    )


class RateImportForm(forms.Form):
    """An ECB eurofxref XML file (daily, 90-day or full history)."""

    xml_file = forms.FileField(
        label=_("ECB file"),
        help_text=_(
            "eurofxref-daily.xml, eurofxref-hist-90d.xml or eurofxref-hist.xml from the ECB. "
            "All of the file is stored or none of it."
        ),
    )

    def clean_xml_file(self) -> Any:
        upload = self.cleaned_data["xml_file"]
        if upload.size > MAX_RATE_FILE_BYTES:
            raise ValidationError(_("That file is larger than 32 MiB: not an ECB rate file."))
        return upload
