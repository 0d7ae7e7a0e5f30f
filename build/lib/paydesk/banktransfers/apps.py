from django.apps import AppConfig


class BankTransfersConfig(AppConfig):
    name = "paydesk.banktransfers"
    label = "banktransfers"
    verbose_name = "Bank transfers"
