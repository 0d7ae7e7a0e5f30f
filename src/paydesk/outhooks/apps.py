from django.apps import AppConfig


class OuthooksConfig(AppConfig):
    name = "paydesk.outhooks"
    label = "outhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        from paydesk.ledger.hooks import payment_listener_register
        from paydesk.outhooks.events import events_record

        payment_listener_register("outhooks", events_record)
