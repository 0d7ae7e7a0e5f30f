"""Back office for Make Payment: method settings (Administrators, audited through
paydesk.checkout.services), and read-only quotes and payment log for every staff role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from paydesk.backoffice.admin_base import (
    BackofficeAdmin,
    ServiceRefused,
    ServiceSaveMixin,
    time_column,
)
from paydesk.backoffice.roles import AdministratorOnly, ReadOnlyForStaff, is_staff
from paydesk.backoffice.site import backoffice_site
from paydesk.checkout.forms import MethodConfigForm
from paydesk.checkout.method_settings import method_config_update
from paydesk.checkout.models import MethodConfig, PaymentLogEntry, Quote
from paydesk.errors import PaydeskError
from paydesk.gateways.registry import gateway_is_configured, gateway_secrets_status
from paydesk.money import format_money

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups
    from django_stubs_ext import StrOrPromise


@admin.register(MethodConfig, site=backoffice_site)
class MethodConfigAdmin(AdministratorOnly, ServiceSaveMixin, BackofficeAdmin):
    form = MethodConfigForm
    list_display = ["display_name", "method", "enabled", "mode", "has_gateway", "updated_display"]
    updated_display = time_column("updated_at", _("updated at"))
    readonly_fields = ["method", "gateway_secrets"]
    fields = ["method", *MethodConfigForm.Meta.fields, "gateway_secrets"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # one row per method, created by migration

    # Staff who only read see the amounts as money in the amounts' currency and the surcharge
    # in percent, not the stored "0.0000".
    _read_as_text = {
        "surcharge_fixed": "surcharge_fixed_shown",
        "surcharge_percent": "surcharge_percent_shown",
        "minimum_amount": "minimum_amount_shown",
        "maximum_amount": "maximum_amount_shown",
    }

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return list(fields)
        return [self._read_as_text.get(name, name) if isinstance(name, str) else name
                for name in fields]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, *self._read_as_text.values()]

    def _money(self, obj: MethodConfig, value: Any) -> str:
        if not value:
            return self.get_empty_value_display()
        return format_money(value, obj.amounts_currency)

    @admin.display(description="surcharge fixed")
    def surcharge_fixed_shown(self, obj: MethodConfig) -> str:
        return self._money(obj, obj.surcharge_fixed)

    @admin.display(description="surcharge percent")
    def surcharge_percent_shown(self, obj: MethodConfig) -> str:
        return f"{obj.surcharge_percent.normalize():f} %"

    @admin.display(description="minimum amount")
    def minimum_amount_shown(self, obj: MethodConfig) -> str:
        return self._money(obj, obj.minimum_amount)

    @admin.display(description="maximum amount")
    def maximum_amount_shown(self, obj: MethodConfig) -> str:
        return self._money(obj, obj.maximum_amount)

    @admin.display(boolean=True, description="gateway ready")
    def has_gateway(self, obj: MethodConfig) -> bool:
        return gateway_is_configured(obj.method)

    @admin.display(description="secrets (from the environment)")
    def gateway_secrets(self, obj: MethodConfig) -> str:
        if not gateway_is_configured(obj.method) and not gateway_secrets_status(obj.method):
            return "No gateway for this method yet: it is never offered."
        status = gateway_secrets_status(obj.method)
        if not status:
            return "This method needs no secrets."
        return format_html_join(
            ", ", "{}: {}", ((name, "set" if ok else "NOT SET") for name, ok in status.items())
        )

    def save_model(self, request: HttpRequest, obj: MethodConfig, form: Any, change: bool) -> None:
        try:
            saved = method_config_update(config=obj, actor=request.user, **form.service_fields())
        except PaydeskError as exc:
            raise ServiceRefused(exc) from exc
        obj.refresh_from_db()
        obj.updated_at = saved.updated_at


@admin.register(Quote, site=backoffice_site)
class QuoteAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = [
        "id",
        "customer",
        "method",
        "charged_display",
        "credit_display",
        "locked_at",
        "payment",
    ]
    list_filter = ["method"]
    search_fields = ["payment__reference", "customer__name"]
    list_select_related = ["customer", "payment"]

    @admin.display(description=_("total charged"), ordering="total_charged")
    def charged_display(self, obj: Quote) -> str:
        return format_money(obj.total_charged, obj.currency)

    @admin.display(description=_("credit"), ordering="credit")
    def credit_display(self, obj: Quote) -> str:
        return format_money(obj.credit, obj.account_currency)


# A notification whose signature did not verify could have been sent by anyone.
UNVERIFIED_WORDS = _("unverified")
UNTRUSTED_WORDS = _("signature not valid — contents not trusted")


def log_what(entry: PaymentLogEntry) -> str:
    """What the row is, in words: "Received · Webhook", "Sent · API call"."""
    return f"{entry.get_direction_display()} · {entry.get_channel_display()}"


def log_event_html(entry: PaymentLogEntry) -> str:
    """The event id as a small code that wraps — but never one a request whose signature did
    not verify claimed (rows written before Paydesk stopped keeping them still hold one): it
    is "unverified", in words, as the payment log's list says."""
    if entry.signature_valid is False:
        return format_html("{}", UNVERIFIED_WORDS)
    return format_html('<code class="payment-log-event">{}</code>', entry.event_id)


@admin.register(PaymentLogEntry, site=backoffice_site)
class PaymentLogEntryAdmin(ReadOnlyForStaff, BackofficeAdmin):
    """The payment log (spec §8): every notification received and every request Paydesk made,
    with what came of it. Summaries are redacted when written; nothing here is editable."""

    list_display = [
        "received_display",
        "gateway",
        "what",
        "event_display",
        "answer",
        "result",
        "payment_link",
        "detail",
    ]
    list_display_links = ["received_display"]
    list_filter = ["gateway", "direction", "channel", "result", "signature_valid"]
    search_fields = ["event_id", "payment__reference"]
    list_select_related = ["payment__customer"]
    readonly_fields = ["summary_table"]
    exclude = ["summary"]

    received_display = time_column("received_at", _("received"))

    @admin.display(description=_("payment"))
    def payment_link(self, obj: PaymentLogEntry) -> str:
        """The payment's reference (a link) and amount through format_money — not its str()."""
        payment = obj.payment
        if payment is None:
            return "—"
        url = reverse("backoffice:ledger_payment_change", args=[payment.pk])
        return format_html(
            '<a href="{}">{}</a> {}',
            url,
            payment.reference,
            format_money(payment.total, payment.customer.currency),
        )

    @admin.display(description=_("what"))
    def what(self, obj: PaymentLogEntry) -> str:
        return log_what(obj)

    @admin.display(description=_("event id"), ordering="event_id")
    def event_display(self, obj: PaymentLogEntry) -> str:
        return log_event_html(obj)

    @admin.display(description=_("answer"))
    def answer(self, obj: PaymentLogEntry) -> str:
        """What the gateway said, its HTTP status and whether its signature held, in one cell."""
        parts: list[StrOrPromise] = [obj.outcome or "—"]
        if obj.http_status:
            parts.append(f"HTTP {obj.http_status}")
        if obj.signature_valid is not None:
            parts.append(_("signed") if obj.signature_valid else UNTRUSTED_WORDS)
        return " · ".join(str(p) for p in parts)

    @admin.display(description="summary (redacted)")
    def summary_table(self, obj: PaymentLogEntry) -> str:
        if not obj.summary:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", sorted(obj.summary.items())),
        )
