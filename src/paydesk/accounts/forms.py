"""Sign-in forms, for the portal and the back office: the name typed is normalised once
(accounts.login_name) before it reaches authentication and the sign-in throttle, and refused
when it is longer than any user's email (the throttle stores it: on PostgreSQL a longer one made
a 500).

Django's "Note that both fields may be case-sensitive." is not true here: the email is matched
whatever its case (login_name), so the error says only that the password is."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.login_name import login_name


def _login_name_bounded(form: AuthenticationForm) -> str:
    """The typed name, normalised; a field error past the user model's email length."""
    name = login_name(form.cleaned_data.get("username"))
    MaxLengthValidator(form.username_field.max_length or 254)(name)
    return name


class EmailAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Enter a correct email and password. The password is case-sensitive."),
    }
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return _login_name_bounded(self)


class BackofficeAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Enter a correct email and password for a staff account. The password is "
            "case-sensitive."
        ),
    }

    def clean_username(self) -> str:
        return _login_name_bounded(self)
