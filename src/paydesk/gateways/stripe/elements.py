"""What the Make Payment page needs for the card fields Stripe hosts: where Stripe.js comes from,
the publishable key, and the Content-Security-Policy that lets Stripe.js and its frame in.

Production loads https://js.stripe.com/v3/ (Stripe asks that it is always loaded from there);
the demo and the tests load the sandbox's stand-in, which offers the same calls
(`Stripe(key, {apiVersion})`, `elements()`, `create("card")`, `mount()`, `on("change")`,
`createPaymentMethod({type: "card", card})`).
"""

from __future__ import annotations

from django.conf import settings

from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import origin_of, public_url
from paydesk.gateways.stripe.client import STRIPE_API_VERSION

LIVE_JS_URL = "https://js.stripe.com/v3/"
# The SEPA countries outside the EEA (docs.stripe.com/payments/sepa-debit): since
# 2026-09-30.endive a SEPA Direct Debit from an IBAN of one needs billing_details.address line1,
# city, postal_code and country, or Stripe refuses it (400 `parameter_missing`).
SEPA_NON_EEA_COUNTRIES = frozenset("AD BL CH GB GG GI IM JE MC NC PF PM SM TF VA WF".split())
SEPA_ADDRESS_REQUIRED = ("line1", "city", "postal_code", "country")
# Stripe's published CSP needs for Stripe.js and the card Element (docs "Content Security
# Policy"): the script, its frames (and hooks.stripe.com for 3-D Secure inside them), its API.
_LIVE_SOURCES = {
    "script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
    "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
    "connect-src": ("https://api.stripe.com",),
}


def stripe_js_url() -> str:
    """PAYDESK_STRIPE_JS_URL, else the sandbox's stand-in when the sandbox is on, else Stripe's."""
    explicit = settings.PAYDESK_STRIPE_JS_URL.strip()
    if explicit:
        return explicit
    if settings.PAYDESK_SANDBOX:
        return public_url("/sandbox/stripe/js/v3.js")
    return LIVE_JS_URL


def card_fields_context() -> dict[str, str]:
    """The template's view of the card fields: the script to load, the publishable key and the
    API version Stripe.js speaks (`Stripe(key, {apiVersion})`, the one our server speaks)."""
    return {
        "script_url": stripe_js_url(),
        "publishable_key": gateway_credential("PAYDESK_STRIPE_PUBLISHABLE_KEY"),
        "api_version": STRIPE_API_VERSION,
    }


def card_page_sources() -> dict[str, tuple[str, ...]]:
    """What the Make Payment page must allow for Stripe.js, on top of the site's policy: Stripe's
    own hosts when it is Stripe's script; otherwise the configured script's origin (the sandbox:
    this site itself, which 'self' may or may not cover when PAYDESK_PUBLIC_URL names another
    host than the browser uses)."""
    url = stripe_js_url()
    if origin_of(url) == origin_of(LIVE_JS_URL):
        return _LIVE_SOURCES
    origin = origin_of(url)
    sources = (origin,) if origin else ()
    return {"script-src": sources, "frame-src": sources, "connect-src": sources}
