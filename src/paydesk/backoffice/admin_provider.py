"""Provider settings in the back office (Administrators only): gateway credentials and the
brand. Finance and Support get 403 on every page and never see the menu entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from paydesk.backoffice import provider_views
from paydesk.backoffice.admin_base import BackofficeAdmin
from paydesk.backoffice.roles import AdministratorOnly
from paydesk.backoffice.site import backoffice_site
from paydesk.provider.models import Brand, GatewaySecret


class _OnePage(AdministratorOnly, BackofficeAdmin):
    """A settings page in place of the list; no add, change or delete pages of its own."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GatewaySecret, site=backoffice_site)
class GatewaySettingsAdmin(_OnePage):
    def _view(self, name: str) -> Callable[..., HttpResponse]:
        view = getattr(provider_views, name)
        return self.admin_site.admin_view(lambda request, **kwargs: view(self, request, **kwargs))

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("", self.admin_site.admin_view(self.changelist_view), name=f"{prefix}_changelist"),
            path(
                "<str:gateway>/<str:mode>/save/",
                self._view("credentials_save_view"),
                name=f"{prefix}_save",
            ),
            path(
                "<str:gateway>/<str:mode>/test/",
                self._view("connection_test_view"),
                name=f"{prefix}_test",
            ),
            path("<str:gateway>/mode/", self._view("mode_view"), name=f"{prefix}_mode"),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return provider_views.gateways_view(self, request)


@admin.register(Brand, site=backoffice_site)
class BrandAdmin(_OnePage):
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [path("", wrap(self.changelist_view), name=f"{prefix}_changelist")]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return provider_views.brand_view(self, request)
