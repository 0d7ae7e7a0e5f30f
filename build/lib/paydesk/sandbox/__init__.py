"""The offline gateway sandbox (spec §9): local stand-ins for Stripe, PayPal, Razorpay, Paystack
and NOWPayments that speak their HTTP APIs, serve their hosted pages and send signed webhooks.

Mounted at /sandbox/ only when settings.PAYDESK_SANDBOX is on (demo and tests); production
settings refuse to start with it. Paydesk's gateway clients never know they talk to it: only
base URLs and keys differ (settings/sandbox.py).
"""
