from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "paydesk.cli"
    label = "paydesk_cli"
