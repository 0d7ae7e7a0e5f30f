from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "paydesk.accounts"
    label = "accounts"
    verbose_name = "Customers and users"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from paydesk.accounts import signals  # noqa: F401  (security events → audit log)
        from paydesk.web.cache import cache_tables_create

        # The shared cache's table (web/cache.py), made by `migrate` itself.
        post_migrate.connect(cache_tables_create, sender=self)
