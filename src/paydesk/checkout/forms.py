"""Forms of Make Payment and of the method settings. They collect and shape input; every money
rule is checked by paydesk.checkout.services (a PaydeskError names the field to blame)."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from paydesk.checkout.method_settings import METHOD_CONFIG_FIELDS
from paydesk.checkout.models import MethodConfig
from paydesk.checkout.selectors import AvailableMethod
from paydesk.errors import PaydeskError
from paydesk.money import STORAGE_PLACES, currency_exponent, decimal_places, normalize_currency

FORM_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A card processor's payment-method id (Stripe: pm_…), made in the browser by its hosted fields.
CARD_PAYMENT_METHOD = re.compile(r"pm_[A-Za-z0-9_]{4,200}")


def new_form_token() -> str:
    """A one-time token for one Make Payment form: sending it twice pays once."""
    return secrets.token_urlsafe(24)


def add_service_error(form: forms.Form, error: PaydeskError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


class PayViaForm(forms.Form):
    """Pay via (required) and the form's one-time token. The customer's saved methods come
    first ("Card •••• 4242 (default)", value pm_…), then the methods."""

    method = forms.ChoiceField(label=_("Pay via"))
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, methods: list[AvailableMethod], saved: Any = (), **kwargs: Any
    ) -> None:
        super().__init__(data, label_suffix="", **kwargs)
        cast(forms.ChoiceField, self.fields["method"]).choices = [
            ("", _("Choose…")),
            *((m.id, m.label) for m in saved),
            *((m.method, m.display_name) for m in methods),
        ]

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not FORM_TOKEN_PATTERN.fullmatch(token):
            raise ValidationError(_("This form has expired: reload the page and try again."))
        return token


class AmountMethodForm(forms.Form):
    """The fields of a method that charges an amount (bank transfer, later the online ones)."""

    amount = forms.CharField(label=_("Amount"), max_length=40)
    currency = forms.ChoiceField(label=_("Currency"))
    # The credit the customer last saw (the template writes it); Pay re-quotes if it moved.
    quoted_credit = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, method: AvailableMethod, prefix: str = "", **kwargs: Any
    ) -> None:
        super().__init__(data, prefix=prefix or method.method, label_suffix="", **kwargs)
        self.method = method
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            (c, c) for c in method.currencies
        ]
        self.fields["amount"].widget.attrs.update(inputmode="decimal", autocomplete="off")


class CardMethodForm(AmountMethodForm):
    """Credit Card (a new card): amount and currency here; the card number, expiry and CVC are
    typed into the fields the card processor hosts (Stripe.js, in an iframe), which turn them
    into a payment method id in the browser. Only that id (`pm_…`) reaches Paydesk, never card
    data. A saved card has its own Pay via choice (SavedMethodForm)."""

    payment_method_token = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)

    def clean_payment_method_token(self) -> str:
        token = (self.cleaned_data.get("payment_method_token") or "").strip()
        if token and not CARD_PAYMENT_METHOD.fullmatch(token):
            raise ValidationError(_("Enter your card details again."))
        return token

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.data.get("action") == "pay" and not cleaned.get("payment_method_token"):
            self.add_error(
                "payment_method_token",
                _(
                    "Enter your card number, expiry and CVC in the card fields (they need "
                    "JavaScript)."
                ),
            )
        return cleaned


class SavedMethodForm(AmountMethodForm):
    """A saved method's amount and currency (prefix: its pm_… id), in the currencies its method
    takes (a SEPA Direct Debit: euros). Whose the method is is asked of Stripe by
    checkout_start, never believed from the form."""

    def __init__(self, *args: Any, method: AvailableMethod, saved: Any, **kwargs: Any) -> None:
        super().__init__(*args, method=method, prefix=saved.id, **kwargs)
        self.saved = saved


class VoucherMethodForm(forms.Form):
    """Voucher code and currency (spec §5's "voucher number": one term, as its errors say)."""

    code = forms.CharField(label=_("Voucher code"), max_length=64)
    currency = forms.ChoiceField(label=_("Currency"))

    def __init__(self, data: Any = None, *, method: AvailableMethod, **kwargs: Any) -> None:
        super().__init__(data, prefix=method.method, label_suffix="", **kwargs)
        self.method = method
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            (c, c) for c in method.currencies
        ]
        self.fields["code"].widget.attrs.update(autocomplete="off", spellcheck="false")


def method_form(method: AvailableMethod, data: Any = None) -> forms.Form:
    """The form of one method."""
    if method.method == "card":
        return CardMethodForm(data, method=method)
    form_class = AmountMethodForm if method.takes_amount else VoucherMethodForm
    return form_class(data, method=method)


class MethodConfigForm(forms.ModelForm):
    """Back office: how one method is offered. Currencies are typed as `USD, EUR`."""

    currencies = forms.CharField(
        required=False,
        help_text=_("Accepted currencies, comma separated; empty = any currency."),
    )
    surcharge_percent = forms.DecimalField(
        min_value=0,
        max_value=100,
        decimal_places=STORAGE_PLACES,
        max_digits=8,
        initial=0,
        help_text=_("Percent of the amount paid: 2.5 = 2.5 %."),
    )

    class Meta:
        model = MethodConfig
        fields = list(METHOD_CONFIG_FIELDS)
        labels = {
            "minimum_amount": _("Minimum amount"),
            "maximum_amount": _("Maximum amount"),
        }
        help_texts = {
            "minimum_amount": _("Empty or 0 = no minimum for this method."),
            "maximum_amount": _("Empty or 0 = no maximum for this method."),
            "surcharge_fixed": _("Fixed surcharge per payment; 0 = none."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["currencies"] = ", ".join(self.instance.currencies or [])

    def clean_currencies(self) -> list[str]:
        codes = [c for c in re.split(r"[\s,]+", self.cleaned_data.get("currencies") or "") if c]
        try:
            return list(dict.fromkeys(normalize_currency(code) for code in codes))
        except PaydeskError as exc:
            raise ValidationError(exc.message) from None

    def clean_amounts_currency(self) -> str:
        try:
            return normalize_currency(self.cleaned_data["amounts_currency"])
        except PaydeskError as exc:
            raise ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        currency = cleaned.get("amounts_currency")
        if currency:
            places = currency_exponent(currency)
            for name in ("surcharge_fixed", "minimum_amount", "maximum_amount"):
                value: Decimal | None = cleaned.get(name)
                if value is not None and value < 0:
                    self.add_error(name, _("Must not be negative."))
                elif value is not None and decimal_places(value) > places:
                    self.add_error(
                        name,
                        _("%(currency)s has %(places)s decimals.")
                        % {
                            "currency": currency,
                            "places": places,
                        },
                    )
        for name in ("minimum_amount", "maximum_amount"):
            if cleaned.get(name) == 0:
                cleaned[name] = None  # 0 = no limit, like empty (the database keeps NULL)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in METHOD_CONFIG_FIELDS}
