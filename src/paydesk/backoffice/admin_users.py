"""Staff accounts and portal users, for Administrators only.

New users go through paydesk.accounts.services (staff_user_create / portal_user_create), edits
and passwords through paydesk.backoffice.services, a reset of someone's two-factor sign-in
through paydesk.twofactor.services; all audited. Passwords are hashed by Django
and no hash is ever shown. Users are deactivated, never deleted (the ledger and audit log
refer to them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.models import User
from paydesk.accounts.services import portal_user_create, staff_user_create
from paydesk.backoffice.admin_base import (
    BackofficeAdmin,
    ServiceRefused,
    ServiceSaveMixin,
    short_datetime,
    time_column,
)
from paydesk.backoffice.forms import (
    PasswordSetForm,
    PortalUserAddForm,
    PortalUserChangeForm,
    StaffUserAddForm,
    StaffUserChangeForm,
)
from paydesk.backoffice.models import PortalUser, StaffUser
from paydesk.backoffice.roles import AdministratorOnly
from paydesk.backoffice.services import portal_user_update, staff_user_update, user_password_set
from paydesk.backoffice.site import backoffice_site
from paydesk.backoffice.widgets import KeyCheckedAutocompleteMixin
from paydesk.errors import PaydeskError
from paydesk.twofactor.selectors import factors_for_user, first_factor_setup_until
from paydesk.twofactor.services import second_factors_reset
from paydesk.web.client_ip import client_ip

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UserAdminBase(
    KeyCheckedAutocompleteMixin, AdministratorOnly, ServiceSaveMixin, BackofficeAdmin
):
    add_form: Any = None
    add_fieldsets: list[Any] = []
    change_fields: list[str] = []
    readonly_fields = [
        "email",
        "password_link",
        "two_factor",
        "last_login_display",
        "date_joined_display",
    ]
    ordering = ["email"]
    # Written as every other back-office time is (2026-12-06 15:16), not the admin's long form.
    last_login_display = time_column("last_login", _("last login"))
    date_joined_display = time_column("date_joined", _("date joined"))

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return self.add_fieldsets
        return [
            (None, {"fields": ["email", *self.change_fields, "password_link", "two_factor"]}),
            (_("Dates"), {"fields": ["last_login_display", "date_joined_display"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else list(self.readonly_fields)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        """No filtering by the password hash (?password__startswith=…): the list would answer
        whether a hash starts so, one character at a time. Django's own UserAdmin refuses it
        too; these admins are not built on it."""
        if lookup.split("__", 1)[0] == "password":
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("password"))
    def password_link(self, obj: User) -> str:
        url = reverse(
            f"backoffice:{self.opts.app_label}_{self.opts.model_name}_password", args=[obj.pk]
        )
        return format_html('<a href="{}">{}</a>', url, _("Set a new password"))

    @admin.display(description=_("two-factor sign-in"))
    def two_factor(self, obj: User) -> StrOrPromise:
        summary = _factor_summary(obj)
        url = reverse(
            f"backoffice:{self.opts.app_label}_{self.opts.model_name}_two_factor_reset",
            args=[obj.pk],
        )
        if summary is not None:
            return format_html('{} · <a href="{}">{}</a>', summary, url, _("Reset"))
        until = first_factor_setup_until(obj)
        if until is None:
            return _("none set up")
        # Staff who must use one: set up with the password alone only until `until` (a reset
        # opens it again: docs/twofactor.md).
        if until > timezone.now():
            state = _("none set up; they may set one up with their password alone until %s")
        else:
            state = _("none set up; setting one up with the password alone closed at %s")
        return format_html(
            '{} · <a href="{}">{}</a>', state % short_datetime(until), url, _("Allow set-up again")
        )

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/password/",
                self.admin_site.admin_view(self.password_view),
                name=f"{prefix}_password",
            ),
            path(
                "<path:object_id>/two-factor-reset/",
                self.admin_site.admin_view(self.two_factor_reset_view),
                name=f"{prefix}_two_factor_reset",
            ),
            *super().get_urls(),
        ]

    def two_factor_reset_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """An Administrator removes every second factor of another user (audited)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        user = self.get_object(request, object_id)
        if user is None:
            return HttpResponseRedirect(
                reverse(f"backoffice:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        change_url = reverse(
            f"backoffice:{self.opts.app_label}_{self.opts.model_name}_change", args=[user.pk]
        )
        if request.method == "POST":
            try:
                second_factors_reset(user=user, actor=request.user, ip_address=client_ip(request))
            except PaydeskError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Two-factor sign-in reset for %s: their sessions have ended, their API "
                        "keys are revoked, and they set up a new factor at their next sign-in."
                    )
                    % user.email,
                )
            return HttpResponseRedirect(change_url)
        return TemplateResponse(
            request,
            "backoffice/two_factor_reset.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Reset two-factor sign-in of %s") % user.email,
                "original": user,
                "summary": _factor_summary(user) or _("none set up"),
                "setup_hours": settings.PAYDESK_2FA_SETUP_HOURS,
            },
        )

    def password_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        user = self.get_object(request, object_id)
        if user is None:
            return HttpResponseRedirect(
                reverse(f"backoffice:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        form = PasswordSetForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            user_password_set(
                user=user,
                password=form.cleaned_data["password1"],
                actor=request.user,
                ip_address=client_ip(request),
            )
            if user.pk != request.user.pk:  # a reset: accounts/resets.py
                messages.success(
                    request,
                    _(
                        "Password changed for %s: their sessions have ended and their API keys "
                        "are revoked."
                    )
                    % user.email,
                )
            else:
                messages.success(request, _("Password changed for %s.") % user.email)
            return HttpResponseRedirect(
                reverse(
                    f"backoffice:{self.opts.app_label}_{self.opts.model_name}_change",
                    args=[user.pk],
                )
            )
        return TemplateResponse(
            request,
            "backoffice/password_set.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Set a new password for %s") % user.email,
                "form": form,
                "original": user,
                "reset": user.pk != request.user.pk,
            },
        )

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> Any:
        return [{"added": {}}] if add else [{"changed": {"fields": sorted(form.changed_data)}}]

    @staticmethod
    def _adopt(obj: User, saved: User) -> None:
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()


def _factor_summary(user: User) -> str | None:
    factors = factors_for_user(user)
    parts = []
    if factors.authenticators:
        parts.append(_("%d authenticator app(s)") % len(factors.authenticators))
    if factors.passkeys:
        parts.append(_("%d passkey(s)") % len(factors.passkeys))
    if factors.recovery:
        parts.append(_("%d recovery code(s) left") % factors.recovery.remaining)
    return ", ".join(str(part) for part in parts) or None


@admin.register(StaffUser, site=backoffice_site)
class StaffUserAdmin(UserAdminBase):
    add_form = StaffUserAddForm
    form = StaffUserChangeForm
    add_fieldsets = [
        (None, {"fields": ["email", "full_name", "staff_role", "password1", "password2"]})
    ]
    change_fields = ["full_name", "staff_role", "is_active"]
    list_display = ["email", "full_name", "staff_role", "is_active", "last_login_display"]
    list_filter = ["staff_role", "is_active"]
    search_fields = ["email", "full_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).exclude(staff_role="")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["staff_role", "is_active"]  # nobody demotes or locks out themselves
        return readonly

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                saved = staff_user_update(
                    user=obj,
                    actor=request.user,
                    **{name: data[name] for name in self.change_fields if name in data},
                )
            else:
                saved = staff_user_create(
                    email=data["email"],
                    password=data["password1"],
                    role=data["staff_role"],
                    full_name=data["full_name"],
                    actor=request.user,
                )
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        self._adopt(obj, saved)


@admin.register(PortalUser, site=backoffice_site)
class PortalUserAdmin(UserAdminBase):
    add_form = PortalUserAddForm
    form = PortalUserChangeForm
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "customer",
                    "email",
                    "full_name",
                    "can_view_payments",
                    "can_make_payments",
                    "can_manage_billing",
                    "password1",
                    "password2",
                ]
            },
        )
    ]
    change_fields = [
        "full_name",
        "can_view_payments",
        "can_make_payments",
        "can_manage_billing",
        "is_active",
    ]
    readonly_fields = [
        "email",
        "customer",
        "password_link",
        "two_factor",
        "last_login_display",
        "date_joined_display",
    ]
    list_display = [
        "email",
        "customer",
        "full_name",
        "can_view_payments",
        "can_make_payments",
        "can_manage_billing",
        "is_active",
        "last_login_display",
    ]
    list_filter = ["is_active", "can_make_payments"]
    search_fields = ["email", "full_name", "customer__name"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return self.add_fieldsets
        return [
            (
                None,
                {
                    "fields": [
                        "email",
                        "customer",
                        *self.change_fields,
                        "password_link",
                        "two_factor",
                    ]
                },
            ),
            (_("Dates"), {"fields": ["last_login_display", "date_joined_display"]}),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).filter(customer__isnull=False)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                saved = portal_user_update(
                    user=obj,
                    actor=request.user,
                    **{name: data[name] for name in self.change_fields if name in data},
                )
            else:
                saved = portal_user_create(
                    customer=data["customer"],
                    email=data["email"],
                    password=data["password1"],
                    full_name=data["full_name"],
                    can_view_payments=data["can_view_payments"],
                    can_make_payments=data["can_make_payments"],
                    can_manage_billing=data["can_manage_billing"],
                    actor=request.user,
                )
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        self._adopt(obj, saved)
