from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "paydesk.imports"
    label = "imports"
    verbose_name = "Imported payment history"
