from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "paydesk.backoffice"
    label = "backoffice"
    verbose_name = "Staff and portal users"
