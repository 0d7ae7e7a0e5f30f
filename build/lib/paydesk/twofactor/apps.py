"""The two-factor sign-in app."""

from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "paydesk.twofactor"
    label = "twofactor"
    verbose_name = "Two-factor sign-in"
