"""The portal form that creates an API key."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.payers import may_make_payments
from paydesk.api.models import ApiScope
from paydesk.text import single_line

SCOPE_CHOICES = [
    (ApiScope.READ, _("Read: balance and payments")),
    (ApiScope.PAY, _("Pay: also make payments and cancel pending transfers")),
]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Say where it is used."),
        validators=[single_line],
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.READ],
    )

    def __init__(self, *args: Any, user: object = None, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        customer = getattr(user, "customer", None)
        if customer is not None and not may_make_payments(user=user, customer=customer):
            # A portal user who may not pay (a bookkeeper) is not offered a key that could:
            # the API would refuse its every payment anyway.
            field = self.fields["scopes"]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = [(v, label) for v, label in SCOPE_CHOICES if v != ApiScope.PAY]
