"""The portal form that creates an API key."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from paydesk.api.models import ApiScope


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Say where it is used."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=[
            (ApiScope.READ, _("Read: balance and payments")),
            (ApiScope.PAY, _("Pay: also make payments and cancel pending transfers")),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.READ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
