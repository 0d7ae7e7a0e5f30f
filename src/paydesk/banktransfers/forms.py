"""Forms of the bank-transfer pages. They collect input and show errors at the field; the rules
(file type by content, size, amounts, the two-person rule) are the services' and selectors'.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from paydesk.banktransfers.models import BankDetails
from paydesk.errors import PaydeskError
from paydesk.money import normalize_currency


def add_service_error(form: forms.Form, error: PaydeskError, *, aliases: dict[str, str]) -> None:
    """Show a service's refusal next to the field it names (or its alias here), else above."""
    field = aliases.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


class ProofUploadForm(forms.Form):
    proof = forms.FileField(
        label=_("Proof of payment"),
        help_text=_("A PDF, PNG or JPEG file, such as your bank's transfer confirmation."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReceivedAmountForm(forms.Form):
    """What arrived on the bank statement: the amount and its currency, as text (never a float)."""

    received_amount = forms.CharField(
        label=_("Amount received"),
        max_length=24,
        help_text=_("Exactly as on the bank statement, e.g. 980.00"),
    )
    received_currency = forms.CharField(label=_("Currency received"), max_length=3)

    def clean_received_currency(self) -> str:
        try:
            return normalize_currency(self.cleaned_data["received_currency"])
        except PaydeskError as exc:
            raise forms.ValidationError(exc.message) from None

    def previewed_key(self) -> str:
        """What the preview showed; confirming needs the same values, so nothing unseen is sent."""
        return f"{self.cleaned_data['received_amount']}|{self.cleaned_data['received_currency']}"


class BankDetailsForm(forms.ModelForm):
    class Meta:
        model = BankDetails
        fields = ["beneficiary_name", "account_number", "bank_name", "bank_address", "swift"]
        widgets = {"bank_address": forms.Textarea(attrs={"rows": 3})}
