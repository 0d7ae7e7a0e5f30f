"""Back-office forms. They check input and show errors next to fields; they never save money.

Amounts are validated by paydesk.ledger.services itself (a PaydeskError carries the field to
blame); these forms only collect strings, choices and flags, and hand them to the services.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.billing import PROFILE_FIELDS, billing_profile_clean
from paydesk.accounts.models import (
    BillingProfile,
    Customer,
    PaymentMethod,
    PortalDefaults,
    StaffRole,
    User,
)
from paydesk.accounts.services import EDITABLE_CUSTOMER_FIELDS
from paydesk.accounts.taxids import country_names
from paydesk.backoffice.widgets import KeyCheckedAutocompleteSelect
from paydesk.errors import PaydeskError
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import display_places, normalize_currency, round_half_up
from paydesk.text import single_line

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PORTAL_DEFAULTS_FIELDS = [
    "show_balance",
    "show_payments",
    "show_pending_bank_payments",
    "allow_vouchers",
    "blocked_methods",
]
FORM_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_token() -> str:
    """A one-time token for one add-payment form: a double submit posts it twice."""
    return secrets.token_urlsafe(24)


def add_service_error(form: forms.Form, error: PaydeskError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


class FlagSelect(forms.NullBooleanSelect):
    """Yes / No / follow the portal default (None)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [
            ("unknown", _("Portal default")),
            ("true", _("Yes")),
            ("false", _("No")),
        ]


def _flag_field(label: StrOrPromise) -> forms.NullBooleanField:
    return forms.NullBooleanField(label=label, required=False, widget=FlagSelect)


def _methods_field(label: StrOrPromise) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class CustomerForm(forms.ModelForm):
    """Create or edit a customer: limits, top-up currencies and portal flags, never the balance."""

    currency = forms.CharField(max_length=3, help_text=_("ISO 4217, e.g. USD. Fixed for life."))
    debit_limit = forms.DecimalField(
        min_value=0,
        decimal_places=4,
        max_digits=16,
        initial=0,
        help_text=_("Allowance below zero; 0 = prepaid."),
    )
    minimum_payment = forms.DecimalField(
        min_value=0,
        decimal_places=4,
        max_digits=16,
        initial=0,
        help_text=_("Smallest top-up accepted, in the account currency."),
    )
    topup_currencies = forms.CharField(
        required=False,
        label=_("Top-up currencies"),  # as Finance's read-only page says it, not "Topup"
        help_text=_(
            "Currencies this customer may pay in, comma separated; empty = account currency."
        ),
    )
    show_balance = _flag_field(_("Show balance"))
    show_payments = _flag_field(_("Show payments"))
    show_pending_bank_payments = _flag_field(_("Show pending bank payments"))
    allow_vouchers = _flag_field(_("Allow vouchers"))
    follow_default_blocked_methods = forms.BooleanField(
        label=_("Blocked methods: use the portal default"), required=False, initial=True
    )
    blocked_methods = _methods_field(_("Blocked methods (when not the portal default)"))

    class Meta:
        model = Customer
        fields = [
            "name",
            "currency",
            "debit_limit",
            "minimum_payment",
            "topup_currencies",
            "show_balance",
            "show_payments",
            "show_pending_bank_payments",
            "allow_vouchers",
            "blocked_methods",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            # The limits in the currency's decimals (50.00, not the storage's 50.0000), every
            # decimal they really have kept.
            for name in ("debit_limit", "minimum_payment"):
                value = getattr(instance, name)
                self.initial[name] = round_half_up(value, display_places(value, instance.currency))
            self.initial["topup_currencies"] = ", ".join(instance.topup_currencies or [])
            self.initial["follow_default_blocked_methods"] = instance.blocked_methods is None
            self.initial["blocked_methods"] = list(instance.blocked_methods or [])

    def clean_currency(self) -> str:
        try:
            return normalize_currency(self.cleaned_data["currency"])
        except PaydeskError as exc:
            raise ValidationError(exc.message) from None

    def clean_topup_currencies(self) -> list[str]:
        codes = [
            c for c in re.split(r"[\s,]+", self.cleaned_data.get("topup_currencies") or "") if c
        ]
        try:
            return sorted({normalize_currency(code) for code in codes})
        except PaydeskError as exc:
            raise ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if cleaned.get("follow_default_blocked_methods"):
            cleaned["blocked_methods"] = None
        else:
            cleaned["blocked_methods"] = list(cleaned.get("blocked_methods") or [])
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """What customer_create / customer_update take, from the cleaned form."""
        return {name: self.cleaned_data[name] for name in EDITABLE_CUSTOMER_FIELDS}


class PaymentAddForm(forms.Form):
    """Spec §8 "Add payment": a top-up (positive) or purchase (negative) entered by Finance.

    POST fields: customer, description, total, status, fee, email_confirmation,
    allow_overdraft, form_token.
    """

    customer = forms.ModelChoiceField(queryset=Customer.objects.all())
    description = forms.CharField(
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        max_length=1001,
        help_text=_("What the customer sees. Text after # is a private staff comment."),
        validators=[single_line],
    )
    total = forms.CharField(
        max_length=40,
        help_text=_("In the customer's currency. Negative for a purchase, e.g. -10.00."),
    )
    status = forms.ChoiceField(choices=PaymentStatus.choices, initial=PaymentStatus.COMPLETED)
    fee = forms.CharField(
        label=_("Payment fee (reference only)"),
        required=False,
        max_length=40,
        help_text=_("Never moves the balance."),
    )
    email_confirmation = forms.BooleanField(
        required=False,
        help_text=_("Tell the customer's contacts the payment was received and applied."),
    )
    allow_overdraft = forms.BooleanField(
        required=False,
        help_text=_("For a purchase: record it even past the customer's available credit."),
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, admin_site: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if admin_site is not None:
            field = self.fields["customer"]
            assert isinstance(field, forms.ModelChoiceField)
            field.widget = KeyCheckedAutocompleteSelect(
                Payment._meta.get_field("customer"), admin_site
            )
            field.widget.choices = field.choices

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not FORM_TOKEN_PATTERN.fullmatch(token):
            raise ValidationError(_("This form has expired: reload the page and try again."))
        return token


class PaymentCompleteForm(forms.Form):
    total = forms.CharField(
        label=_("Amount received"),
        required=False,
        max_length=40,
        help_text=_("Leave empty to complete with the pending amount."),
    )
    allow_overdraft = forms.BooleanField(
        required=False, help_text=_("For a purchase: complete it even past the available credit.")
    )

    def __init__(self, *args: Any, partly_received: str = "", currency: str = "", **kwargs: Any):
        """`partly_received`: what the gateway reported received of a partly paid payment
        ("0.00010000 BTC"): then the amount is required, never the pending amount."""
        super().__init__(*args, **kwargs)
        if partly_received:
            field = self.fields["total"]
            field.required = True
            field.error_messages["required"] = _(
                "Enter the amount received: the gateway reported only part of the payment."
            )
            field.help_text = _(
                "The gateway reported %(received)s received. Enter what that credits, in "
                "%(currency)s."
            ) % {"received": partly_received, "currency": currency}


# The cancel forms' help: the ledger splits a cancel reason at # (ledger.services.payment_cancel).
CANCEL_REASON_HELP = _(
    "The customer sees this reason; anything after # is for staff only. The whole is kept in "
    "the audit log."
)


class PaymentCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
        help_text=CANCEL_REASON_HELP,
        validators=[single_line],
    )


class PortalDefaultsForm(forms.ModelForm):
    blocked_methods = _methods_field(_("Blocked payment methods"))

    def service_fields(self) -> dict[str, Any]:
        """What portal_defaults_update takes, from the cleaned form."""
        return {name: self.cleaned_data[name] for name in PORTAL_DEFAULTS_FIELDS}

    class Meta:
        model = PortalDefaults
        fields = PORTAL_DEFAULTS_FIELDS


class _NewUserForm(SetPasswordMixin, forms.ModelForm):
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower().strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("A user with that email already exists."))
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        self.validate_passwords()
        self.validate_password_for_user(
            User(email=cleaned.get("email") or "", full_name=cleaned.get("full_name") or "")
        )
        return cleaned


class StaffUserAddForm(_NewUserForm):
    staff_role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (r.value, r.label) for r in (StaffRole.SUPPORT, StaffRole.FINANCE, StaffRole.ADMIN)
        ],
    )

    class Meta:
        model = User
        fields = ["email", "full_name", "staff_role"]


class StaffUserChangeForm(forms.ModelForm):
    staff_role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (r.value, r.label) for r in (StaffRole.SUPPORT, StaffRole.FINANCE, StaffRole.ADMIN)
        ],
    )

    class Meta:
        model = User
        fields = ["full_name", "staff_role", "is_active"]


class PortalUserAddForm(_NewUserForm):
    class Meta:
        model = User
        fields = [
            "customer",
            "email",
            "full_name",
            "can_view_payments",
            "can_make_payments",
            "can_manage_billing",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].required = True


class PortalUserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "full_name",
            "can_view_payments",
            "can_make_payments",
            "can_manage_billing",
            "is_active",
        ]


class PasswordSetForm(SetPasswordMixin, forms.Form):
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("New password"), label2=_("New password confirmation")
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        return cleaned


class BillingProfileAdminForm(forms.ModelForm):
    """The billing profile on the customer's page: the country from the ISO list, and each field
    checked by accounts.billing (the tax id offline, by its check digits) before anything saves."""

    country = forms.ChoiceField(label=_("Country"), required=False)

    class Meta:
        model = BillingProfile
        fields = list(PROFILE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", "—"), *country_names().items()]
        self.fields["tax_id"].help_text = _(
            "Checked by format and check digits only (python-stdnum), never looked up online."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not self.has_changed():
            return data
        try:
            cleaned = billing_profile_clean(**{name: data.get(name, "") for name in PROFILE_FIELDS})
        except PaydeskError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return data
        data.update(cleaned)
        return data
