"""Sign-in forms, for the portal and the back office: the name typed is normalised once
(accounts.login_name) before it reaches authentication and the sign-in throttle."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from paydesk.accounts.login_name import login_name


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return login_name(self.cleaned_data.get("username"))


class BackofficeAuthenticationForm(AdminAuthenticationForm):
    def clean_username(self) -> str:
        return login_name(self.cleaned_data.get("username"))
