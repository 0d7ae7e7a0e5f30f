"""Password reset, throttled per address and per client address (the shared cache).

Every request gets the same answer and the same page, whether the address belongs to an account
or not, and whether or not it was throttled: nothing tells which addresses exist. The email is
not sent by the request: it is a row in the email outbox that the worker sends, with a link on
PAYDESK_PUBLIC_URL (never the Host header the request came with) made as it is sent
(notifications/password_reset.py). A throttled request writes nothing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.http import HttpResponse, HttpResponseRedirect

from paydesk.accounts.login_name import login_name
from paydesk.accounts.views import LabelsWithoutColon
from paydesk.audit.services import audit_record
from paydesk.notifications.services import notify_password_reset
from paydesk.web.client_ip import client_ip, client_scope
from paydesk.web.ratelimit import hit, key_for

logger = logging.getLogger(__name__)


class ThrottledPasswordResetView(LabelsWithoutColon, PasswordResetView):
    """Django's password reset; past PAYDESK_PASSWORD_RESET_PER_ADDRESS requests for one address,
    or PAYDESK_PASSWORD_RESET_PER_CLIENT from one client address, within
    PAYDESK_PASSWORD_RESET_WINDOW seconds, no email is queued (the page is the same)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        address = login_name(form.cleaned_data["email"])
        client = client_ip(self.request) or ""
        window = settings.PAYDESK_PASSWORD_RESET_WINDOW
        counts = {
            "address": (
                hit(key_for("reset-address", address), window=window),
                settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS,
            ),
            "client": (
                hit(key_for("reset-client", client_scope(self.request) or ""), window=window),
                settings.PAYDESK_PASSWORD_RESET_PER_CLIENT,
            ),
        }
        over = [scope for scope, (count, limit) in counts.items() if count > limit]
        if not over:
            # Only a row in the outbox, for the worker to send: a known address and an unknown
            # one take the same time (no SMTP conversation in the request).
            for user in form.get_users(form.cleaned_data["email"]):
                notify_password_reset(user=user)
            return HttpResponseRedirect(self.get_success_url())
        if any(counts[scope][0] == counts[scope][1] + 1 for scope in over):
            # A security event, once per scope and window: the first request past the limit.
            logger.warning("Password reset throttled (%s) for client %s", ", ".join(over), client)
            audit_record(
                action="auth.password_reset_throttled",
                actor_email=address[:254],
                ip_address=client or None,
                after={"scopes": over, "window_seconds": window},
            )
        return HttpResponseRedirect(self.get_success_url())
