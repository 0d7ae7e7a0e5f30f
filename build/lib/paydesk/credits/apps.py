from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "paydesk.credits"
    label = "credits"
    verbose_name = "Four eyes on manual credits"

    def ready(self) -> None:
        from paydesk.credits import checks  # noqa: F401  (the threshold setting must parse)
