from django.apps import AppConfig


class MethodsConfig(AppConfig):
    name = "paydesk.methods"
    label = "methods"
    verbose_name = "Saved payment methods"
    default_auto_field = "django.db.models.BigAutoField"
