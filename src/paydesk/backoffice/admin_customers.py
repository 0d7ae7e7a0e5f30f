"""Customers in the back office: everyone on staff reads; Administrators create and edit.

Saves go through paydesk.accounts.services (customer_create / customer_update) and the contact
list through paydesk.backoffice.services; the balance is shown, never edited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.billing import PROFILE_FIELDS, billing_profile_update
from paydesk.accounts.edits import customer_version
from paydesk.accounts.models import BillingProfile, Contact, Customer, PaymentMethod
from paydesk.accounts.services import (
    customer_create,
    customer_online_methods_pause,
    customer_update,
)
from paydesk.accounts.taxids import country_names
from paydesk.backoffice.admin_base import BackofficeAdmin, ServiceRefused, ServiceSaveMixin
from paydesk.backoffice.customer_methods import saved_methods_context
from paydesk.backoffice.forms import BillingProfileAdminForm, CustomerForm
from paydesk.backoffice.roles import can_move_money, is_admin, is_staff
from paydesk.backoffice.services import customer_contacts_set
from paydesk.backoffice.site import backoffice_site
from paydesk.checkout.selectors import ONLINE_METHODS
from paydesk.errors import PaydeskError
from paydesk.money import format_money

EDIT_VERSION = "edit_version"  # the form's hidden field (backoffice/customer_change_form.html)

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups
    from django_stubs_ext import StrOrPromise


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 1
    fields = ["email"]
    verbose_name = _("billing contact")
    verbose_name_plural = _("billing contacts (receive payment emails)")
    # The admin repeats each row's object (the email) above its field: backoffice.css hides
    # that copy in this group, so each contact reads once.
    classes = ["backoffice-contacts"]
    # Django's tabular inline with its two empty header cells named (backoffice_lists).
    template = "backoffice/tabular_inline.html"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        """A table row has no <label>: each input is named for screen readers (axe-core)."""
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["email"].widget.attrs["aria-label"] = str(
            _("Confirmation contact email")
        )

        class LabelledFormSet(formset):  # type: ignore[misc, valid-type]
            def add_fields(self, form: Any, index: int | None) -> None:
                super().add_fields(form, index)
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs["aria-label"] = str(_("Remove this contact"))

        return LabelledFormSet

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)


class BillingProfileInline(admin.StackedInline):
    """The customer's billing profile, saved through accounts.billing (audited; the customer
    sees on the Billing page that staff changed it)."""

    model = BillingProfile
    form = BillingProfileAdminForm
    fields = list(PROFILE_FIELDS)
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = _("billing profile")
    verbose_name_plural = _("billing profile")
    readonly_fields = ["country_name"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        """Staff who only read see the country by its name; Administrators choose it from the
        list of names (BillingProfileAdminForm)."""
        if is_admin(request):
            return list(PROFILE_FIELDS)
        return ["country_name" if name == "country" else name for name in PROFILE_FIELDS]

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        """The empty form to fill in is for Administrators: staff who only read would see blank
        fields they cannot save (and read them as an empty profile)."""
        return 1 if self.has_add_permission(request, obj) else 0

    @admin.display(description=_("country"))
    def country_name(self, obj: BillingProfile) -> str:
        return country_names().get(obj.country, obj.country) if obj.country else "—"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request) and obj is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _flag_words(obj: Customer, name: str) -> StrOrPromise:
    """A portal flag as the customer gets it: "Yes", "No", "Yes (the portal default)"."""
    answer = _("Yes") if obj.flag(name) else _("No")
    if getattr(obj, name) is None:
        return _("%(answer)s (the portal default)") % {"answer": answer}
    return answer


def _flag_display(name: str, description: StrOrPromise) -> Any:
    """A read-only field showing the portal flag `name` in words."""

    @admin.display(description=description)
    def shown(model_admin: Any, obj: Customer) -> StrOrPromise:
        return _flag_words(obj, name)

    shown.__name__ = f"{name}_display"
    return shown


def _version_posted(request: HttpRequest) -> int | None:
    """The customer's edit version the posted form was drawn with (accounts.edits), None when
    the form sent none; one that is not a version counts as the oldest read (0)."""
    raw = request.POST.get(EDIT_VERSION) if request.method == "POST" else None
    if raw is None:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0


def _version_now(customer: Customer | None) -> int | None:
    return customer_version(customer) if customer is not None else None


@admin.register(Customer, site=backoffice_site)
class CustomerAdmin(ServiceSaveMixin, BackofficeAdmin):
    form = CustomerForm
    inlines = [BillingProfileInline, ContactInline]
    list_display = ["name", "currency", "balance_display", "debit_limit_display", "slug"]
    search_fields = ["name", "slug", "contacts__email"]
    list_filter = ["currency"]
    ordering = ["name"]
    change_form_template = "backoffice/customer_change_form.html"
    fieldsets = [
        (_("Name and currency"), {"fields": ["name", "currency"]}),
        (_("Limits"), {"fields": ["debit_limit", "minimum_payment", "topup_currencies"]}),
        (
            _("Portal flags"),
            {
                "fields": [
                    "show_balance",
                    "show_payments",
                    "show_pending_bank_payments",
                    "allow_vouchers",
                    "follow_default_blocked_methods",
                    "blocked_methods",
                ]
            },
        ),
    ]
    account_fieldset = (
        _("Account"),
        {"fields": ["slug", "balance_display", "available_credit_display", "payments_link"]},
    )

    # Staff who only read see the limits as money, in the currency's decimals, and each portal
    # flag as what the customer gets, in words (never the admin's "?" icon for "follow the
    # portal default", nor a JSON list).
    _read_as_money = {
        "debit_limit": "debit_limit_display",
        "minimum_payment": "minimum_payment_display",
    }
    _read_as_words = {
        "topup_currencies": "topup_currencies_display",
        "show_balance": "show_balance_display",
        "show_payments": "show_payments_display",
        "show_pending_bank_payments": "show_pending_bank_payments_display",
        "allow_vouchers": "allow_vouchers_display",
        "follow_default_blocked_methods": "blocked_methods_display",
        "blocked_methods": "blocked_methods_display",
    }

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> list[Any]:
        if obj is None:
            return list(self.fieldsets)
        fieldsets: list[Any] = [self.account_fieldset, *self.fieldsets]
        if is_admin(request):
            return fieldsets
        shown = {**self._read_as_money, **self._read_as_words}
        return [
            (
                name,
                {
                    **options,
                    "fields": list(dict.fromkeys(shown.get(f, f) for f in options["fields"])),
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        readonly = ["slug", "balance_display", "available_credit_display", "payments_link"]
        readonly += list(self._read_as_money.values())
        readonly += list(dict.fromkeys(self._read_as_words.values()))
        return readonly + (["currency"] if obj is not None else [])

    # Roles: all staff read; Administrators add and change; nobody deletes a customer.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("balance"), ordering="balance")
    def balance_display(self, obj: Customer) -> str:
        return format_money(obj.balance, obj.currency)

    @admin.display(description=_("debit limit"), ordering="debit_limit")
    def debit_limit_display(self, obj: Customer) -> str:
        return format_money(obj.debit_limit, obj.currency)

    @admin.display(description=_("minimum payment"), ordering="minimum_payment")
    def minimum_payment_display(self, obj: Customer) -> str:
        return format_money(obj.minimum_payment, obj.currency)

    @admin.display(description=_("available credit"))
    def available_credit_display(self, obj: Customer) -> str:
        return format_money(obj.available_credit, obj.currency)

    @admin.display(description=_("top-up currencies"))
    def topup_currencies_display(self, obj: Customer) -> str:
        if obj.topup_currencies:
            return ", ".join(obj.topup_currencies)
        return _("%(currency)s only (the account's currency)") % {"currency": obj.currency}

    show_balance_display = _flag_display("show_balance", _("show balance"))
    show_payments_display = _flag_display("show_payments", _("show payments"))
    show_pending_bank_payments_display = _flag_display(
        "show_pending_bank_payments", _("show pending bank payments")
    )
    allow_vouchers_display = _flag_display("allow_vouchers", _("allow vouchers"))

    @admin.display(description=_("blocked methods"))
    def blocked_methods_display(self, obj: Customer) -> StrOrPromise:
        names = dict(PaymentMethod.choices)
        blocked = ", ".join(str(names.get(m, m)) for m in obj.effective_blocked_methods())
        shown: StrOrPromise = blocked or _("None")
        if obj.blocked_methods is None:
            return _("%(blocked)s (the portal default)") % {"blocked": shown}
        return shown

    @admin.display(description=_("payments"))
    def payments_link(self, obj: Customer) -> str:
        url = reverse("backoffice:ledger_payment_changelist") + f"?customer={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("This customer's payments"))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}_online_methods"
        return [
            path("<path:object_id>/online-methods/", wrap(self.online_methods_view), name=name),
            *super().get_urls(),
        ]

    def online_methods_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Finance's per-customer switch while a dispute is open. GET: the confirmation page for
        pausing (it changes nothing); POST `paused=1|0`: pause or resume. Resuming only gives
        back, so its button posts straight from the customer's page."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not can_move_money(request):
            raise PermissionDenied
        customer = self.get_object(request, object_id)
        if customer is None:
            messages.error(request, _("No such customer."))
            return HttpResponseRedirect(reverse("backoffice:accounts_customer_changelist"))
        url = reverse("backoffice:accounts_customer_change", args=[customer.pk])
        if request.method == "GET":
            if customer.online_methods_paused:
                already = _("Online payment methods are already paused for %s.")
                messages.info(request, already % customer.name)
                return HttpResponseRedirect(url)
            return self._pause_confirmation(request, customer, url)
        paused = request.POST.get("paused") == "1"
        try:
            customer_online_methods_pause(customer=customer, paused=paused, actor=request.user)
        except PaydeskError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Online payment methods paused for %s: bank transfer and vouchers stay.")
                % customer.name
                if paused
                else _("Online payment methods resumed for %s.") % customer.name,
            )
        return HttpResponseRedirect(url)

    def _pause_confirmation(
        self, request: HttpRequest, customer: Customer, customer_url: str
    ) -> HttpResponse:
        """What pausing takes away, and what stays, for this customer: Confirm posts it."""
        names = dict(PaymentMethod.choices)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Pause online payment methods"),
            "customer": customer,
            "customer_url": customer_url,
            "paused_methods": [
                names[method] for method in PaymentMethod.values if method in ONLINE_METHODS
            ],
        }
        return TemplateResponse(request, "backoffice/customer_online_methods_pause.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        customer = self.get_object(request, object_id)
        read = _version_posted(request)
        context = {
            **(extra_context or {}),
            "can_move_money": can_move_money(request),
            **saved_methods_context(customer),
            # The read this form is based on: a form drawn again with errors keeps it.
            "edit_version": read if read is not None else _version_now(customer),
        }
        return super().change_view(request, object_id, form_url, context)

    def save_model(
        self, request: HttpRequest, obj: Customer, form: CustomerForm, change: bool
    ) -> None:
        fields = form.service_fields()
        try:
            if change:
                version = _version_posted(request)
                saved = customer_update(customer=obj, actor=request.user, version=version, **fields)
            else:
                saved = customer_create(
                    currency=form.cleaned_data["currency"], actor=request.user, **fields
                )
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is BillingProfile:
            self._save_billing_profile(request, form.instance, formset)
            return
        emails = [
            f.cleaned_data["email"]
            for f in formset.forms
            if f.cleaned_data.get("email") and not f.cleaned_data.get("DELETE")
        ]
        try:
            customer_contacts_set(customer=form.instance, emails=emails, actor=request.user)
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc

    def _save_billing_profile(
        self, request: HttpRequest, customer: Customer, formset: BaseInlineFormSet
    ) -> None:
        for profile_form in formset.forms:
            if not profile_form.has_changed():
                continue
            fields = {name: profile_form.cleaned_data.get(name, "") for name in PROFILE_FIELDS}
            try:
                billing_profile_update(customer=customer, actor=request.user, **fields)
            except PaydeskError as exc:
                raise ServiceRefused(exc) from exc

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        # The admin's own message inspects saved inline objects; the audit log has the detail.
        return [{"added": {}}] if add else [{"changed": {"fields": sorted(form.changed_data)}}]
