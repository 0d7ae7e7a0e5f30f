from django.apps import AppConfig


class FxConfig(AppConfig):
    name = "paydesk.fx"
    label = "fx"
    verbose_name = "Exchange rates"
