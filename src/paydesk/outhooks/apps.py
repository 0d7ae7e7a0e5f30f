from django.apps import AppConfig


class OuthooksConfig(AppConfig):
    name = "paydesk.outhooks"
    label = "outhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        from paydesk.crypto import encrypted_column_register
        from paydesk.ledger.hooks import payment_listener_register
        from paydesk.outhooks.events import events_record, events_with_payment

        payment_listener_register("outhooks", events_record, with_insert=events_with_payment)
        encrypted_column_register("outhooks.Endpoint", "secret_encrypted")
