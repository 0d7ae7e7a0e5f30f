from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "paydesk.vouchers"
    label = "vouchers"
    verbose_name = "Vouchers"
