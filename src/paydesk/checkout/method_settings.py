"""How a Pay via method is offered: the back office's audited changes (Administrators)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from paydesk.accounts.models import StaffRole
from paydesk.audit.services import audited_update
from paydesk.checkout.credentials import mode_switch_check
from paydesk.checkout.models import (
    MethodConfig,
)
from paydesk.errors import (
    InvalidAmount,
    PaydeskError,
    PermissionDenied,
)

METHOD_CONFIG_FIELDS = (
    "display_name",
    "enabled",
    "mode",
    "currencies",
    "amounts_currency",
    "surcharge_fixed",
    "surcharge_percent",
    "minimum_amount",
    "maximum_amount",
    "deduct_gateway_fee",
)


def _config_snapshot(config: MethodConfig) -> dict[str, Any]:
    def text(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    return {name: text(getattr(config, name)) for name in METHOD_CONFIG_FIELDS}


def method_config_update(*, config: MethodConfig, actor: Any, **changes: Any) -> MethodConfig:
    """Change how a method is offered (Administrators only), audited with before and after."""
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change payment methods.")
    unknown = set(changes) - set(METHOD_CONFIG_FIELDS)
    if unknown:
        raise PaydeskError(f"Unknown method settings: {sorted(unknown)}")
    minimum = changes.get("minimum_amount", config.minimum_amount)
    maximum = changes.get("maximum_amount", config.maximum_amount)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise InvalidAmount("The maximum must not be below the minimum.", field="maximum_amount")
    if "mode" in changes and changes["mode"] != config.mode:
        mode_switch_check(config.method, changes["mode"])  # no live switch on a test key
    return audited_update(
        obj=config,
        changes={**changes, "updated_at": timezone.now()},
        snapshot=_config_snapshot,
        action="method_config.update",
        actor=actor,
        refresh=True,  # amounts as stored (4 places), like the snapshot before
    )
