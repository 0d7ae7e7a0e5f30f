"""Outgoing webhooks in the back office (docs/outgoing-webhooks.md): Administrators add and
change endpoints (the signing secret is shown once, on adding), resume a paused one, read each
endpoint's delivery log and resend deliveries. Every change goes through
paydesk.outhooks.services (audited)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from paydesk.backoffice.admin_base import BackofficeAdmin, payment_link, short_datetime, time_column
from paydesk.backoffice.roles import AdministratorOnly
from paydesk.backoffice.site import backoffice_site
from paydesk.errors import PaydeskError
from paydesk.outhooks.delivery import payload_preview
from paydesk.outhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, EventType
from paydesk.outhooks.services import (
    WebhookError,
    deliveries_resend,
    endpoint_create,
    endpoint_resume,
    endpoint_update,
    url_check,
)

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups

LOG_ROWS = 50


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label=_("URL"),
        widget=forms.URLInput(attrs={"class": "vURLField"}),  # the admin's wide URL box
    )
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event type, including ones added later."),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "event_types", "active", "ordered"]

    def clean_url(self) -> str:
        try:
            return url_check(self.cleaned_data["url"])
        except WebhookError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(Endpoint, site=backoffice_site)
class EndpointAdmin(AdministratorOnly, BackofficeAdmin):
    form = EndpointForm
    list_display = ["url", "description", "state", "ordered", "secret", "consecutive_failures"]
    actions = ["resume"]
    readonly_fields = ["secret", "state", "failing_since", "delivery_log"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> _FieldGroups:
        base = ("url", "description", "event_types", "active", "ordered")
        return base if obj is None else (*base, "secret", "state", "failing_since", "delivery_log")

    @admin.display(description=_("signing secret"))
    def secret(self, endpoint: Endpoint) -> str:
        return f"whsec_…{endpoint.secret_hint}"

    @admin.display(description=_("state"))
    def state(self, endpoint: Endpoint) -> str:
        if not endpoint.active:
            return str(_("Inactive"))
        if endpoint.paused_at:
            return str(_("Paused: %(reason)s") % {"reason": endpoint.pause_reason})
        return str(_("Active"))

    @admin.display(description=_("delivery log (latest attempts)"))
    def delivery_log(self, endpoint: Endpoint) -> str:
        rows = Attempt.objects.filter(endpoint=endpoint).select_related("delivery")[:LOG_ROWS]
        if not rows:
            return str(_("No attempt yet."))
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>evt_{}</td><td>{}</td><td>{} ms</td><td>{}</td></tr>",
            (
                (
                    f"{row.at:%Y-%m-%d %H:%M:%S}",
                    row.delivery.event_id,
                    row.status_code or _("no answer"),
                    row.latency_ms,
                    row.error or row.response_excerpt,
                )
                for row in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th scope='col'>{}</th><th scope='col'>{}</th>"
            "<th scope='col'>{}</th><th scope='col'>{}</th><th scope='col'>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("Time (UTC)"), _("Event"), _("HTTP status"), _("Latency"), _("Response or error"),
            body,
        )  # fmt: skip

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {key: data[key] for key in ("url", "description", "event_types", "ordered")}
        try:
            if change:
                endpoint_update(
                    endpoint=obj.pk, actor=request.user, active=data["active"], **fields
                )
                return
            made = endpoint_create(actor=request.user, **fields)
        except PaydeskError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        obj.pk = made.endpoint.pk
        self.message_user(
            request,
            _(
                "Signing secret of %(url)s: %(secret)s — copy it now into the receiver: it is "
                "shown only this once."
            )
            % {"url": made.endpoint.url, "secret": made.secret},
            messages.WARNING,
        )

    @admin.action(description=_("Resume (send what is waiting, in order)"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        due = sum(endpoint_resume(endpoint=row, actor=request.user) for row in queryset)
        self.message_user(
            request,
            ngettext("Resumed; %d delivery is due now.", "Resumed; %d deliveries are due now.", due)
            % due,
            messages.SUCCESS,
        )


@admin.register(Delivery, site=backoffice_site)
class DeliveryAdmin(AdministratorOnly, BackofficeAdmin):
    # Dates as the other lists show them (one short line): the whole table fits at 1280 px.
    list_display = ["event_label", "event_type", "event_payment", "endpoint", "status",
                    "attempts_made", "next_attempt_display", "delivered_display"]  # fmt: skip
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "event__payment", "endpoint"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["resend"]
    # The page's times as the list shows them (one short line each, "—" for none).
    fields = readonly_fields = ("event_label", "event_type", "event_payment", "endpoint",
                                "status", "attempts_made", "next_attempt_display",
                                "give_up_display", "given_up_display", "delivered_display",
                                "attempt_log", "payload")  # fmt: skip

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("event"), ordering="event_id")
    def event_label(self, delivery: Delivery) -> str:
        return f"evt_{delivery.event_id}"

    @admin.display(description=_("next attempt at"), ordering="next_attempt_at")
    def next_attempt_display(self, delivery: Delivery) -> str:
        # Only a pending delivery has a next attempt: a delivered or given-up one keeps the
        # time its last attempt was claimed until, which read as a retry still to come.
        if delivery.status != DeliveryStatus.PENDING:
            return "—"
        return short_datetime(delivery.next_attempt_at)

    delivered_display = time_column("delivered_at", _("delivered at"))
    give_up_display = time_column("give_up_at", _("give up at"))
    given_up_display = time_column("given_up_at", _("given up at"))

    @admin.display(description=_("type"))
    def event_type(self, delivery: Delivery) -> str:
        return delivery.event.type

    @admin.display(description=_("payment"))
    def event_payment(self, delivery: Delivery) -> str:
        # Which payment the event tells of (none for an endpoint's test ping), to its page.
        return payment_link(delivery.event.payment)

    # The count and the log beside it on the page: two labels, never "Attempts" twice.
    @admin.display(description=_("attempts made"), ordering="attempts")
    def attempts_made(self, delivery: Delivery) -> int:
        return delivery.attempts

    @admin.display(description=_("attempt log"))
    def attempt_log(self, delivery: Delivery) -> str:
        return format_html_join(
            "",
            "<p>{} — {} ({} ms) {}</p>",
            (
                (f"{row.at:%Y-%m-%d %H:%M:%S}", row.status_code or _("no answer"),
                 row.latency_ms, row.error or row.response_excerpt)
                for row in delivery.log.all()[:LOG_ROWS]
            ),
        ) or str(_("No attempt yet."))  # fmt: skip

    @admin.display(description=_("payload"))
    def payload(self, delivery: Delivery) -> str:
        # A long line scrolls inside the box at a phone's width: a keyboard can reach it.
        return format_html(
            '<pre tabindex="0" role="region" aria-label="{}">{}</pre>',
            _("Payload"),
            payload_preview(delivery.event),
        )

    @admin.action(description=_("Resend"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        # The rows ticked on the page, not only those still found: the admin drops from
        # `queryset` a delivery purged since the page was shown, and the staff member must
        # be told it was not resent.
        ticked = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if request.POST.get("select_across") == "1" or not ticked:
            ids = list(queryset.values_list("pk", flat=True))
        else:
            ids = [int(value) for value in ticked if value.isdigit()]
        done = deliveries_resend(delivery_ids=ids, actor=request.user)
        if done.resent:
            self.message_user(
                request,
                ngettext(
                    "%d delivery will be sent again by the worker within seconds.",
                    "%d deliveries will be sent again by the worker within seconds.",
                    done.resent,
                )
                % done.resent,
                messages.SUCCESS,
            )
        if done.purged:
            self.message_user(
                request,
                ngettext(
                    "%d delivery was purged after its retention period and cannot be resent.",
                    "%d deliveries were purged after their retention period and cannot be resent.",
                    done.purged,
                )
                % done.purged,
                messages.WARNING,
            )
