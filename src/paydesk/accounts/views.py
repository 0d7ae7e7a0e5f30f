"""Django's account pages as Paydesk shows them: labels without a colon, the page that sets a
new password from a reset link. The reset request itself: portal/password_reset.py."""

from __future__ import annotations

from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetDoneView
from django.db import transaction
from django.http import HttpResponse

from paydesk.accounts.reset_link import reset_link_valid_for
from paydesk.accounts.resets import PASSWORD_RESET, credentials_reset_announce
from paydesk.audit.services import audit_record
from paydesk.web.client_ip import client_ip


class LabelsWithoutColon:
    """For Django's own account views: labels read "Email", not "Email:", as on every other
    form of Paydesk's (label_suffix="")."""

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "label_suffix": ""}  # type: ignore[misc]


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


class ResetSentView(PasswordResetDoneView):
    """ "Check your email", saying how long the link works, as the email does."""

    def get_context_data(self, **kwargs: object) -> dict:
        return {**super().get_context_data(**kwargs), "valid_for": reset_link_valid_for()}
