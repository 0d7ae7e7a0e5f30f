from django.apps import AppConfig


class BankTransfersConfig(AppConfig):
    name = "paydesk.banktransfers"
    label = "banktransfers"
    verbose_name = "Bank transfers"

    def ready(self) -> None:
        from paydesk.banktransfers.selectors import transfer_received
        from paydesk.documents.received import received_reader_register

        received_reader_register("banktransfers", transfer_received)
