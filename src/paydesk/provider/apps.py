from django.apps import AppConfig


class ProviderConfig(AppConfig):
    name = "paydesk.provider"
    label = "provider"
    verbose_name = "Provider settings"
