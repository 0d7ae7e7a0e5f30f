"""Password reset, throttled per address and per client address (the shared cache); the
emailed link is on PAYDESK_PUBLIC_URL.

Every request gets the same answer and the same page, whether the address belongs to an account
or not, and whether or not it was throttled: nothing tells which addresses exist. A throttled
request sends nothing.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetView
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect

from paydesk.accounts.login_name import login_name
from paydesk.accounts.resets import PASSWORD_RESET, credentials_reset_announce
from paydesk.audit.services import audit_record
from paydesk.web.client_ip import client_ip, client_scope
from paydesk.web.ratelimit import hit, key_for

logger = logging.getLogger(__name__)


class LabelsWithoutColon:
    """For Django's own account views: labels read "Email", not "Email:", as on every other
    form of Paydesk's (label_suffix="")."""

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "label_suffix": ""}  # type: ignore[misc]


class ThrottledPasswordResetView(LabelsWithoutColon, PasswordResetView):
    """Django's password reset; past PAYDESK_PASSWORD_RESET_PER_ADDRESS requests for one address,
    or PAYDESK_PASSWORD_RESET_PER_CLIENT from one client address, within
    PAYDESK_PASSWORD_RESET_WINDOW seconds, no email is sent (the page is the same)."""

    @property
    def extra_email_context(self) -> dict[str, str]:
        """The link (and the name the email says) from PAYDESK_PUBLIC_URL, as every other
        email's links: never from the Host header the request came with, which any name
        ALLOWED_HOSTS admits could set — and the link carries the token that sets the password."""
        public = urlsplit(settings.PAYDESK_PUBLIC_URL)
        return {"protocol": public.scheme, "domain": public.netloc, "site_name": public.netloc}

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
            return super().form_valid(form)
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


class SetPasswordView(LabelsWithoutColon, PasswordResetConfirmView):
    """Django's page that sets the new password from a reset link. A reset: the user's API keys
    are revoked and every session of theirs ends (accounts/resets.py), with the password, in
    one transaction; audited."""

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        ip_address = client_ip(self.request)
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.user
            audit_record(
                action="user.password_reset",
                actor=user,
                obj=user,
                customer_id=user.customer_id,
                ip_address=ip_address,
            )
            credentials_reset_announce(
                user=user, actor=user, reason=PASSWORD_RESET, ip_address=ip_address
            )
        return response
