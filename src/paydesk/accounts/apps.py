from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "paydesk.accounts"
    label = "accounts"
    verbose_name = "Customers and users"

    def ready(self) -> None:
        from paydesk.accounts import signals  # noqa: F401  (security events → audit log)
