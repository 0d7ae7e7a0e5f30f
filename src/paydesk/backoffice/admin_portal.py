"""The provider-wide portal defaults (one row), editable by Administrators only, audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from paydesk.accounts.models import PortalDefaults
from paydesk.backoffice.admin_base import BackofficeAdmin, ServiceRefused, ServiceSaveMixin
from paydesk.backoffice.forms import PortalDefaultsForm
from paydesk.backoffice.roles import AdministratorOnly
from paydesk.backoffice.services import portal_defaults_update
from paydesk.backoffice.site import backoffice_site
from paydesk.errors import PaydeskError


@admin.register(PortalDefaults, site=backoffice_site)
class PortalDefaultsAdmin(AdministratorOnly, ServiceSaveMixin, BackofficeAdmin):
    form = PortalDefaultsForm

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not PortalDefaults.objects.exists()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """There is only one: go straight to it (or to adding it)."""
        if not self.has_view_permission(request):
            return super().changelist_view(request, extra_context)
        defaults = PortalDefaults.objects.order_by("pk").first()
        if defaults is None:
            return HttpResponseRedirect(reverse("backoffice:accounts_portaldefaults_add"))
        return HttpResponseRedirect(
            reverse("backoffice:accounts_portaldefaults_change", args=[defaults.pk])
        )

    def save_model(
        self, request: HttpRequest, obj: PortalDefaults, form: Any, change: bool
    ) -> None:
        try:
            saved = portal_defaults_update(actor=request.user, **form.service_fields())
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def response_change(self, request: HttpRequest, obj: PortalDefaults) -> HttpResponse:
        self.message_user(request, "Portal defaults saved.")
        return HttpResponseRedirect(request.path)

    def response_add(
        self, request: HttpRequest, obj: PortalDefaults, post_url_continue: Any = None
    ) -> HttpResponse:
        self.message_user(request, "Portal defaults saved.")
        return HttpResponseRedirect(
            reverse("backoffice:accounts_portaldefaults_change", args=[obj.pk])
        )
