"""The two-factor sign-in app."""

from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "paydesk.twofactor"
    label = "twofactor"
    verbose_name = "Two-factor sign-in"

    def ready(self) -> None:
        from paydesk.crypto import encrypted_column_register

        # Authenticator secrets are re-encrypted by `paydesk rotate-secrets-key` too.
        encrypted_column_register("twofactor.AuthenticatorDevice", "key_encrypted")
