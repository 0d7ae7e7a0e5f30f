from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "paydesk.checkout"
    label = "checkout"
    verbose_name = "Make Payment"
    default_auto_field = "django.db.models.BigAutoField"
