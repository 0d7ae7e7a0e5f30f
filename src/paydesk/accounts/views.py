"""Django's account pages as Paydesk shows them: labels without a colon, the page that sets a
new password from a reset link. The reset request itself: portal/password_reset.py."""

from __future__ import annotations

from django.contrib.auth.views import PasswordResetConfirmView


class LabelsWithoutColon:
    """For Django's own account views: labels read "Email", not "Email:", as on every other
    form of Paydesk's (label_suffix="")."""

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "label_suffix": ""}  # type: ignore[misc]


class SetPasswordView(LabelsWithoutColon, PasswordResetConfirmView):
    """Django's page that sets the new password from a reset link."""
