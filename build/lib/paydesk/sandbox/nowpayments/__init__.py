"""The pretend NOWPayments: its API (/sandbox/nowpayments/v1/…), its hosted invoice page, and
its IPNs signed with x-nowpayments-sig."""
