"""Which gateway serves which payment method: dotted paths in settings.PAYDESK_GATEWAYS.

A method with no entry has no gateway yet and is never offered. Secrets are settings read from
gateway_credential (the environment, else the back office's encrypted store) and only reported
here as set / not set.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from paydesk.errors import GatewayNotConfigured
from paydesk.gateways.base import Gateway
from paydesk.gateways.credentials import gateway_credential


@cache
def _load(dotted_path: str) -> Gateway:
    gateway = import_string(dotted_path)()
    if not isinstance(gateway, Gateway):
        raise GatewayNotConfigured(f"{dotted_path} is not a Paydesk gateway.")
    return gateway


def gateway_methods() -> list[str]:
    """The methods that have a gateway registered, in settings order."""
    return list(settings.PAYDESK_GATEWAYS)


def gateway_for(method: str) -> Gateway:
    """The gateway serving `method`, or GatewayNotConfigured."""
    dotted_path = settings.PAYDESK_GATEWAYS.get(method)
    if not dotted_path:
        raise GatewayNotConfigured(f"No gateway is registered for '{method}'.", field="method")
    return _load(dotted_path)


def gateway_for_or_none(method: str) -> Gateway | None:
    """The gateway serving `method`, or None when none is registered."""
    try:
        return gateway_for(method)
    except GatewayNotConfigured:
        return None


def gateway_secrets_status(method: str) -> dict[str, bool]:
    """Each environment variable the gateway needs → whether it is set (never its value)."""
    try:
        gateway = gateway_for(method)
    except GatewayNotConfigured:
        return {}
    return {name: bool(gateway_credential(name)) for name in gateway.secret_settings}


def gateway_is_configured(method: str) -> bool:
    """A gateway is registered for the method and every secret it needs is set."""
    try:
        gateway_for(method)
    except GatewayNotConfigured:
        return False
    return all(gateway_secrets_status(method).values())
