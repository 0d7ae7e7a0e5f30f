from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "paydesk.vouchers"
    label = "vouchers"
    verbose_name = "Vouchers"

    def ready(self) -> None:
        # The bonus of an armed voucher is paid inside the transaction of the top-up that earns
        # it (spec §7); the ledger runs it as a top-up step, without importing this app.
        from paydesk.ledger.hooks import (
            TopupStep,
            payment_follow_up_register,
            topup_step_register,
        )
        from paydesk.vouchers.bonus import armed_probe_sql, voucher_bonus_for_topup
        from paydesk.vouchers.bonus_reversal import voucher_bonus_follow

        topup_step_register(
            TopupStep(
                name="voucher-bonus",
                probe_sql=armed_probe_sql,
                run=lambda *, payment, probed: voucher_bonus_for_topup(
                    payment=payment, armed=probed
                ),
            )
        )
        # ...and goes back with it when that top-up is refunded or charged back (and returns
        # when the chargeback is reversed), in the transaction of the refund or chargeback.
        payment_follow_up_register("voucher-bonus-follow", voucher_bonus_follow)
