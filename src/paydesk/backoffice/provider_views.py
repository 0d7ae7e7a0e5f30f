"""Back-office pages of the provider settings (Administrators only; docs/provider-settings.md):
gateway credentials (a test and a live set each, the method's mode, Test connection, the
webhook URL and the last notification) and the brand.

Every write goes through a service with `actor=request.user` (which checks the role and
audits). A stored secret is never sent back to the browser: only where it comes from and, for a
long one, its last four characters.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from paydesk.backoffice.admin_base import admin_page
from paydesk.backoffice.forms import add_service_error
from paydesk.backoffice.provider_forms import BrandForm, CredentialSetForm, ModeForm
from paydesk.backoffice.roles import is_admin
from paydesk.checkout.credentials import (
    BACK_OFFICE,
    DEFAULT,
    ENVIRONMENT,
    UNREADABLE,
    credential_lookup,
    credentials_for,
    method_mode,
)
from paydesk.checkout.method_settings import method_config_update
from paydesk.checkout.models import MethodConfig, PaymentLogEntry
from paydesk.errors import PaydeskError
from paydesk.gateways.connection import connection_test
from paydesk.gateways.credentials import BY_GATEWAY, CATALOGUE, GatewayCredentials
from paydesk.provider.brand import brand_current, brand_update
from paydesk.provider.credentials import credentials_save, stored_rows
from paydesk.provider.models import Brand

MODES = ("test", "live")
SOURCE_TEXT = {
    ENVIRONMENT: "from the environment",
    BACK_OFFICE: "stored here",
    DEFAULT: "the sandbox's default",
    UNREADABLE: "stored here, but it cannot be decrypted: check PAYDESK_SECRETS_KEYS",
    "": "not set",
}


_page = admin_page  # backoffice/admin_base.py


def _admin_only(request: HttpRequest, *, post: bool = False) -> None:
    if not is_admin(request):
        raise PermissionDenied
    if post and request.method != "POST":
        raise Http404("Only POST here.")


def _set_rows(entry: GatewayCredentials, mode: str, stored: dict[Any, Any]) -> list[dict[str, Any]]:
    rows = []
    for field in entry.fields:
        found = credential_lookup(field.setting, mode)
        row = stored.get((mode, field.setting))
        rows.append(
            {
                "setting": field.setting,
                "label": field.label,
                "source": found.source,
                "source_text": SOURCE_TEXT[found.source],
                "ending": field.shown(found.value),
                "secret": field.secret,
                "stored_at": row.updated_at if row is not None else None,
            }
        )
    return rows


def _stored_settings(stored: dict[tuple[str, str], Any], mode: str) -> frozenset[str]:
    return frozenset(setting for (set_mode, setting) in stored if set_mode == mode)


def _gateway_block(entry: GatewayCredentials, forms: dict[str, Any]) -> dict[str, Any]:
    stored = stored_rows(entry.gateway)
    last = (
        # the payment log names a gateway by the method it serves (Stripe's: card, sepa_debit)
        PaymentLogEntry.objects.filter(gateway__in=entry.methods, direction="received")
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return {
        "entry": entry,
        "mode": method_mode(entry.method),
        "mode_form": ModeForm(
            prefix=f"{entry.gateway}-mode", initial={"mode": method_mode(entry.method)}
        ),
        "webhook_url": f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}{entry.webhook_path}",
        "last_notification": last,
        "sets": [
            {
                "mode": mode,
                "rows": _set_rows(entry, mode, stored),
                "form": forms.get(mode)
                or CredentialSetForm(entry, mode, stored=_stored_settings(stored, mode)),
            }
            for mode in MODES
        ],
    }


def gateways_view(
    model_admin: ModelAdmin, request: HttpRequest, bound: dict[tuple[str, str], Any] | None = None
) -> HttpResponse:
    _admin_only(request)
    bound = bound or {}
    blocks = [
        _gateway_block(entry, {m: f for (g, m), f in bound.items() if g == entry.gateway})
        for entry in CATALOGUE
    ]
    return _page(
        model_admin,
        request,
        "backoffice/provider_gateways.html",
        title="Gateway settings",
        blocks=blocks,
    )


def _entry(gateway: str, mode: str) -> GatewayCredentials:
    entry = BY_GATEWAY.get(gateway)
    if entry is None or mode not in MODES:
        raise Http404("No such gateway set.")
    return entry


def _back(gateway: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("backoffice:provider_gatewaysecret_changelist") + f"#gateway-{gateway}"
    )


def credentials_save_view(
    model_admin: ModelAdmin, request: HttpRequest, gateway: str, mode: str
) -> HttpResponse:
    _admin_only(request, post=True)
    entry = _entry(gateway, mode)
    stored = _stored_settings(stored_rows(gateway), mode)
    form = CredentialSetForm(entry, mode, request.POST, stored=stored)
    if form.is_valid():
        try:
            changed = credentials_save(
                actor=request.user,
                gateway=gateway,
                mode=mode,
                values=form.values(),
                clear=form.cleared(),
            )
        except PaydeskError as error:
            add_service_error(form, error)
        else:
            text = ", ".join(changed) if changed else "nothing changed"
            messages.success(request, f"{entry.display_name}, {mode} set saved: {text}.")
            return _back(gateway)
    return gateways_view(model_admin, request, bound={(gateway, mode): form})


def connection_test_view(
    model_admin: ModelAdmin, request: HttpRequest, gateway: str, mode: str
) -> HttpResponse:
    _admin_only(request, post=True)
    entry = _entry(gateway, mode)
    result = connection_test(gateway, credentials_for(entry, mode))
    say = messages.success if result.ok else messages.error
    say(request, f"Test connection, {entry.display_name} {mode} set: {result.message}")
    return _back(gateway)


def mode_view(model_admin: ModelAdmin, request: HttpRequest, gateway: str) -> HttpResponse:
    _admin_only(request, post=True)
    entry = _entry(gateway, "test")
    form = ModeForm(request.POST, prefix=f"{gateway}-mode")
    config = MethodConfig.objects.filter(method=entry.method).first()
    if config is None or not form.is_valid():
        messages.error(request, f"{entry.display_name}: choose test or live.")
        return _back(gateway)
    try:
        method_config_update(config=config, actor=request.user, mode=form.cleaned_data["mode"])
    except PaydeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{entry.display_name} is now in {form.cleaned_data['mode']} mode."
        )
    return _back(gateway)


def brand_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    row = Brand.objects.filter(pk=1).defer("logo").first()
    initial = (
        {
            name: getattr(row, name)
            for name in ("name", "primary_colour", "support_email", "support_phone", "legal_footer")
        }
        if row
        else {}
    )
    form = BrandForm(initial=initial)
    if request.method == "POST":
        form = BrandForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("logo")
            remove = data.pop("remove_logo")
            try:
                brand_update(
                    actor=request.user,
                    logo=upload.read() if upload else None,
                    logo_name=upload.name if upload else "",
                    remove_logo=remove,
                    **data,
                )
            except PaydeskError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Brand saved.")
                return HttpResponseRedirect(reverse("backoffice:provider_brand_changelist"))
    return _page(
        model_admin,
        request,
        "backoffice/provider_brand.html",
        title="Brand",
        form=form,
        brand=brand_current(),
    )
