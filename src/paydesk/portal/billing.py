"""The Billing page (/billing/): the customer's billing profile and billing contacts, for portal
users with *manage billing*. Reads and writes through paydesk.accounts.billing; a refused field
(an invalid tax id, an unknown country, a bad contact email) is shown next to that field.

The payment methods section of the same page (issue 14, saved methods) goes in the template's
`payment_methods` block.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from paydesk.accounts.access import customer_required, manage_billing_required
from paydesk.accounts.billing import (
    MAX_CONTACTS,
    PROFILE_FIELDS,
    BillingProfileView,
    billing_profile_get,
    billing_profile_update,
)
from paydesk.accounts.models import BillingProfile, Customer
from paydesk.accounts.taxids import country_names
from paydesk.errors import PaydeskError


class BillingProfileForm(forms.ModelForm):
    """The profile's fields plus the contacts, one email address per line."""

    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    contacts = forms.CharField(
        label=gettext_lazy("Billing contacts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One email address per line (at most %(max)d). They receive payment confirmations "
            "and refund notices, and later alerts and documents."
        )
        % {"max": MAX_CONTACTS},
    )

    class Meta:
        model = BillingProfile
        fields = list(PROFILE_FIELDS)
        help_texts = {
            "tax_id": gettext_lazy(
                "We check only that it is well formed; we do not look it up in a tax registry. "
                "EU VAT numbers may start with their country code (DE, FR, …)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [("", _("— choose —")), *country_names().items()]
        self.fields["legal_name"].widget.attrs["autocomplete"] = "organization"
        self.fields["address_line1"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["address_line2"].widget.attrs["autocomplete"] = "address-line2"
        self.fields["city"].widget.attrs["autocomplete"] = "address-level2"
        self.fields["region"].widget.attrs["autocomplete"] = "address-level1"
        self.fields["postal_code"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["country"].widget.attrs["autocomplete"] = "country"

    def service_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name, "") for name in PROFILE_FIELDS}
        data["contacts"] = (self.cleaned_data.get("contacts") or "").split()
        return data


@customer_required
@manage_billing_required
def billing(request: HttpRequest, customer: Customer) -> HttpResponse:
    shown = billing_profile_get(customer=customer)
    if request.method == "POST":
        form = BillingProfileForm(request.POST, instance=BillingProfile(customer=customer))
        if form.is_valid():
            try:
                billing_profile_update(
                    customer=customer, actor=request.user, **form.service_fields()
                )
            except PaydeskError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your billing profile was saved."))
                return redirect("portal:billing")
        status = 400
    else:
        initial = {"contacts": "\n".join(shown.contacts)}
        form = BillingProfileForm(instance=shown.profile, initial=initial)
        status = 200
    return render(request, "portal/billing.html", _context(shown, form), status=status)


def _context(shown: BillingProfileView, form: BillingProfileForm) -> dict[str, Any]:
    return {"nav": "billing", "shown": shown, "profile": shown.profile, "form": form}
