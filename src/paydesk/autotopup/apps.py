from django.apps import AppConfig


class AutotopupConfig(AppConfig):
    name = "paydesk.autotopup"
    label = "autotopup"
    verbose_name = "Automatic top-up and low-balance alerts"

    def ready(self) -> None:
        # A completed posting that leaves the balance under a threshold queues a top-up or an
        # alert in its own transaction; the ledger runs these watches without importing us.
        from paydesk.autotopup.triggers import register_watches

        register_watches()
