"""The offline gateway sandbox (spec §9), for the demo and the tests only: every online gateway
points at /sandbox/<gateway>/ of this same app, with these made-up test keys. The sandbox plays
each gateway, so it signs its webhooks with the same secrets Paydesk checks them with.

An environment variable still wins over each value here. production.py never imports this and
refuses to start with PAYDESK_SANDBOX on.
"""

import os

from .base import INSTALLED_APPS as _INSTALLED_APPS
from .base import PAYDESK_PAYPAL_CERT_HOSTS as _PAYPAL_CERT_HOSTS

_SANDBOX_KEYS = {
    "PAYDESK_STRIPE_SECRET_KEY": "sk_test_paydesk_sandbox",
    "PAYDESK_STRIPE_PUBLISHABLE_KEY": "pk_test_paydesk_sandbox",
    "PAYDESK_STRIPE_WEBHOOK_SECRET": "whsec_paydesk_sandbox",
    "PAYDESK_PAYPAL_CLIENT_ID": "paydesk-sandbox-client",
    "PAYDESK_PAYPAL_CLIENT_SECRET": "paydesk-sandbox-client-secret",
    "PAYDESK_PAYPAL_WEBHOOK_ID": "WH-PAYDESK-SANDBOX",
    "PAYDESK_RAZORPAY_KEY_ID": "rzp_test_paydesksandbox",
    "PAYDESK_RAZORPAY_KEY_SECRET": "paydesk_sandbox_key_secret",
    "PAYDESK_RAZORPAY_WEBHOOK_SECRET": "paydesk_sandbox_webhook_secret",
    "PAYDESK_PAYSTACK_SECRET_KEY": "sk_test_paydesk_sandbox_paystack",
    "PAYDESK_NOWPAYMENTS_API_KEY": "PAYDESK-SANDBOX-NOWPAYMENTS-KEY",
    "PAYDESK_NOWPAYMENTS_IPN_SECRET": "paydesk_sandbox_ipn_secret",
    "PAYDESK_NOWPAYMENTS_EMAIL": "merchant@paydesk-sandbox.invalid",
    "PAYDESK_NOWPAYMENTS_PASSWORD": "paydesk-sandbox-nowpayments-password",
    # The demo's outgoing-webhook endpoint and the sandbox's receiver share it (issue 20).
    "PAYDESK_SANDBOX_RECEIVER_SECRET": "whsec_paydesk_sandbox_receiver",
}

PAYDESK_SANDBOX = True
# The pretend PayPal merchant's second REST app, its "live" one (client id, secret): the back
# office's live set can name it, and the approval page tells which app made the order.
SANDBOX_PAYPAL_LIVE_APP = ("paydesk-sandbox-live-client", "paydesk-sandbox-live-secret")
# The pretend Stripe account's live keys (secret, publishable): what the card method's live set
# names in the demo; a PaymentIntent made with them says livemode: true.
SANDBOX_STRIPE_LIVE_KEYS = ("sk_live_paydesk_sandbox", "pk_live_paydesk_sandbox")
# The sandbox's app only here (and where PAYDESK_SANDBOX is set): production never installs it.
INSTALLED_APPS = [*(a for a in _INSTALLED_APPS if a != "paydesk.sandbox"), "paydesk.sandbox"]
globals().update({name: os.environ.get(name) or value for name, value in _SANDBOX_KEYS.items()})
# Declared for the type checker, which cannot see the names the line above sets.
PAYDESK_PAYPAL_CLIENT_ID: str
PAYDESK_PAYPAL_CLIENT_SECRET: str
PAYDESK_SANDBOX_RECEIVER_SECRET: str

# PayPal signs its webhooks with the certificate at PAYPAL-CERT-URL: the pretend PayPal publishes
# its own on a sandbox-only host, served by its fetcher (paydesk/sandbox/paypal/signing.py).
PAYDESK_PAYPAL_CERT_HOSTS = [*_PAYPAL_CERT_HOSTS, "api.sandbox.paydesk.invalid"]
PAYDESK_PAYPAL_CERT_FETCHER = "paydesk.sandbox.paypal.signing.certificate_fetch"
