from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "paydesk.credits"
    label = "credits"
    verbose_name = "Four eyes on manual credits"
