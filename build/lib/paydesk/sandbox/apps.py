from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "paydesk.sandbox"
    label = "sandbox"
    verbose_name = "Gateway sandbox"
    default_auto_field = "django.db.models.BigAutoField"
