"""The email outbox in the back office: every staff role reads it (who was told what, and which
messages failed and why); Finance and Administrators may ask for one more attempt now.

Nothing here sends mail or edits a message: "Retry now" only calls `outbox_retry`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from paydesk.backoffice.admin_base import BackofficeAdmin, time_column
from paydesk.backoffice.roles import ReadOnlyForStaff, can_move_money
from paydesk.backoffice.site import backoffice_site
from paydesk.notifications.models import OutboundEmail
from paydesk.notifications.services import email_content, outbox_retry


@admin.register(OutboundEmail, site=backoffice_site)
class OutboundEmailAdmin(ReadOnlyForStaff, BackofficeAdmin):
    list_display = [
        "created_display",
        "to",
        "kind",
        "payment_reference",
        "status",
        "attempts",
        "next_attempt_display",
        "sent_display",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["to", "payment__reference"]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = ["retry_now"]
    fields = [
        "to",
        "kind",
        "payment_reference",
        "status",
        "attempts",
        "next_attempt_display",
        "last_error",
        "created_display",
        "sent_display",
        "message_subject",
        "message_text",
    ]

    created_display = time_column("created_at", _("created at"))
    next_attempt_display = time_column("next_attempt_at", _("next attempt at"))
    sent_display = time_column("sent_at", _("sent at"))

    @admin.display(description=_("payment"), ordering="payment__reference")
    def payment_reference(self, email: OutboundEmail) -> str:
        return email.payment.reference if email.payment is not None else "—"

    # A row the worker has not rendered yet holds its template and values: shown as it will be sent.
    @admin.display(description=_("subject"))
    def message_subject(self, email: OutboundEmail) -> str:
        return email_content(email)[0]

    @admin.display(description=_("body text"))
    def message_text(self, email: OutboundEmail) -> str:
        return email_content(email)[1]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return can_move_money(request)

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = outbox_retry(
            email_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%d email will be sent again by the worker's next sweep.",
                "%d emails will be sent again by the worker's next sweep.",
                count,
            )
            % count,
            messages.SUCCESS if count else messages.WARNING,
        )
