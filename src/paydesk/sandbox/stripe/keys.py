"""The pretend Stripe account's API keys: its test pair (PAYDESK_STRIPE_* from settings/sandbox.py,
an environment variable winning there) and a live pair (settings/sandbox.py's
SANDBOX_STRIPE_LIVE_KEYS), so that a back office's live set can be tried in the demo. Objects
made with a live key say `livemode: true`, as Stripe's do: the sandbox tells which key called."""

from __future__ import annotations

from django.conf import settings


def _live() -> tuple[str, str]:
    from paydesk.settings import sandbox as account

    return account.SANDBOX_STRIPE_LIVE_KEYS


def secret_keys() -> frozenset[str]:
    return frozenset(k for k in (settings.PAYDESK_STRIPE_SECRET_KEY, _live()[0]) if k)


def publishable_keys() -> frozenset[str]:
    return frozenset(k for k in (settings.PAYDESK_STRIPE_PUBLISHABLE_KEY, _live()[1]) if k)


def is_live(key: str) -> bool:
    return key.startswith(("sk_live_", "pk_live_"))
