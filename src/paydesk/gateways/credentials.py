"""Where every gateway credential is read: `gateway_credential("PAYDESK_STRIPE_SECRET_KEY")`.

Gateways never read a key from settings themselves and never import an app: the value comes from
the resolver named by settings.PAYDESK_CREDENTIAL_RESOLVER (a dotted path to a callable
name -> str; Paydesk's is paydesk.checkout.credentials.credential_resolve: the environment
first, then the back office's store for the method's mode, then the settings' default). Without
a resolver the setting itself is the value.

The catalogue below is what each gateway needs, and the key prefixes by which its live and test
keys tell themselves apart (facts from each gateway's documentation: docs/provider-settings.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One credential: the setting (and environment variable) name, its label, whether it is a
    secret (shown only by its last four characters), and the prefixes of a test and a live
    value (empty: the gateway's values carry no mode)."""

    setting: str
    label: str
    secret: bool = True
    test_prefixes: tuple[str, ...] = ()
    live_prefixes: tuple[str, ...] = ()

    def shown(self, value: str) -> str:
        """What a page may show of `value`: all of a value that is not secret, the last four
        characters of a secret of twelve or more, nothing of a shorter one."""
        if not self.secret:
            return value
        return value[-4:] if len(value) >= 12 else ""

    def mode_of(self, value: str) -> str:
        """'test' or 'live' when the value's prefix says so, else ''."""
        if any(value.startswith(p) for p in self.test_prefixes):
            return "test"
        if any(value.startswith(p) for p in self.live_prefixes):
            return "live"
        return ""


@dataclass(frozen=True, slots=True)
class GatewayCredentials:
    """A gateway's credentials: the Pay via method whose mode picks the set, the webhook path,
    and the other methods the same account serves (Stripe's SEPA Direct Debit follows the card
    method's mode: one Stripe account, one set of keys)."""

    gateway: str
    method: str
    display_name: str
    fields: tuple[CredentialField, ...]
    webhook_path: str
    also_serves: tuple[str, ...] = ()

    @property
    def methods(self) -> tuple[str, ...]:
        return (self.method, *self.also_serves)

    def field(self, setting: str) -> CredentialField:
        for candidate in self.fields:
            if candidate.setting == setting:
                return candidate
        raise KeyError(setting)


def _api_base(prefix: str) -> CredentialField:
    return CredentialField(f"PAYDESK_{prefix}_API_BASE", "API base (empty: the live API)", False)


CATALOGUE: tuple[GatewayCredentials, ...] = (
    GatewayCredentials(
        "stripe",
        "card",
        "Stripe (card)",
        (
            CredentialField(
                "PAYDESK_STRIPE_SECRET_KEY",
                "Secret key",
                test_prefixes=("sk_test_", "rk_test_"),
                live_prefixes=("sk_live_", "rk_live_"),
            ),
            CredentialField(
                "PAYDESK_STRIPE_PUBLISHABLE_KEY",
                "Publishable key",
                secret=False,
                test_prefixes=("pk_test_",),
                live_prefixes=("pk_live_",),
            ),
            CredentialField("PAYDESK_STRIPE_WEBHOOK_SECRET", "Webhook signing secret"),
            _api_base("STRIPE"),
        ),
        "/webhooks/stripe/",
        also_serves=("sepa_debit",),
    ),
    GatewayCredentials(
        "paypal",
        "paypal",
        "PayPal",
        (
            CredentialField("PAYDESK_PAYPAL_CLIENT_ID", "Client ID"),
            CredentialField("PAYDESK_PAYPAL_CLIENT_SECRET", "Client secret"),
            CredentialField("PAYDESK_PAYPAL_WEBHOOK_ID", "Webhook ID", secret=False),
            _api_base("PAYPAL"),
        ),
        "/webhooks/paypal/",
    ),
    GatewayCredentials(
        "razorpay",
        "razorpay",
        "Razorpay",
        (
            CredentialField(
                "PAYDESK_RAZORPAY_KEY_ID",
                "Key ID",
                secret=False,
                test_prefixes=("rzp_test_",),
                live_prefixes=("rzp_live_",),
            ),
            CredentialField("PAYDESK_RAZORPAY_KEY_SECRET", "Key secret"),
            CredentialField("PAYDESK_RAZORPAY_WEBHOOK_SECRET", "Webhook secret"),
            _api_base("RAZORPAY"),
        ),
        "/webhooks/razorpay/",
    ),
    GatewayCredentials(
        "paystack",
        "paystack",
        "Paystack",
        (
            CredentialField(
                "PAYDESK_PAYSTACK_SECRET_KEY",
                "Secret key",
                test_prefixes=("sk_test_",),
                live_prefixes=("sk_live_",),
            ),
            _api_base("PAYSTACK"),
        ),
        "/webhooks/paystack/",
    ),
    GatewayCredentials(
        "nowpayments",
        "nowpayments",
        "NOWPayments",
        (
            CredentialField("PAYDESK_NOWPAYMENTS_API_KEY", "API key"),
            CredentialField("PAYDESK_NOWPAYMENTS_IPN_SECRET", "IPN secret"),
            CredentialField("PAYDESK_NOWPAYMENTS_EMAIL", "Account email", secret=False),
            CredentialField("PAYDESK_NOWPAYMENTS_PASSWORD", "Account password"),
            _api_base("NOWPAYMENTS"),
        ),
        "/webhooks/nowpayments/",
    ),
)
BY_GATEWAY = {entry.gateway: entry for entry in CATALOGUE}
BY_SETTING = {f.setting: entry for entry in CATALOGUE for f in entry.fields}
BY_METHOD = {method: entry for entry in CATALOGUE for method in entry.methods}


def gateway_credential(setting: str) -> str:
    """The value of one credential (PAYDESK_…), as the configured resolver finds it ('' unset)."""
    resolver = getattr(settings, "PAYDESK_CREDENTIAL_RESOLVER", "")
    if resolver:
        return str(import_string(resolver)(setting) or "")
    return str(getattr(settings, setting, "") or "")
