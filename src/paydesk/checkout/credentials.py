"""Which value a gateway credential has, and where it comes from (the credential resolver).

1. The environment variable of the same name, when set: a 12-factor deployment keeps working
   and the back office says the value comes from the environment.
2. The back office's encrypted store (paydesk.provider), in the set of the method's mode
   (MethodConfig.mode: test or live).
3. The settings' own value (the sandbox's made-up keys in the demo and the tests; '' elsewhere).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce

from paydesk.checkout.models import GatewayMode, MethodConfig
from paydesk.crypto import SecretUnreadable
from paydesk.errors import PaydeskError
from paydesk.gateways.credentials import BY_GATEWAY, BY_SETTING, GatewayCredentials
from paydesk.provider.credentials import stored_value

ENVIRONMENT = "environment"
BACK_OFFICE = "back office"
DEFAULT = "default"
UNREADABLE = "unreadable"
logger = logging.getLogger("paydesk.provider")


class ModeSwitchRefused(PaydeskError):
    code = "mode_switch_refused"


@dataclass(frozen=True, slots=True)
class Resolved:
    value: str
    source: str  # ENVIRONMENT, BACK_OFFICE, DEFAULT or '' (not set)


def method_mode(method: str) -> str:
    mode = MethodConfig.objects.filter(method=method).values_list("mode", flat=True).first()
    return mode or GatewayMode.TEST


def _mode_now(method: str) -> Coalesce:
    """The method's mode as an SQL expression (test when it has no row)."""
    row = MethodConfig.objects.filter(method=method).values("mode")[:1]
    return Coalesce(Subquery(row), Value(GatewayMode.TEST.value))


def credential_lookup(setting: str, mode: str | None = None) -> Resolved:
    """The value `setting` has in `mode` (default: its method's mode now), and its source."""
    from_env = os.environ.get(setting, "")
    if from_env:
        return Resolved(from_env, ENVIRONMENT)
    entry = BY_SETTING.get(setting)
    if entry is not None:
        try:
            stored = stored_value(setting, mode or _mode_now(entry.method))
        except SecretUnreadable:
            # Never a 500 (a webhook is refused as unsigned, a call says it is not configured);
            # the operator is told, without the value.
            logger.error(
                "%s is stored but cannot be decrypted: check PAYDESK_SECRETS_KEYS.", setting
            )
            return Resolved("", UNREADABLE)
        if stored:
            return Resolved(stored, BACK_OFFICE)
    default = str(getattr(settings, setting, "") or "")
    return Resolved(default, DEFAULT if default else "")


def credential_resolve(setting: str) -> str:
    """What gateways/credentials.py's gateway_credential asks for."""
    return credential_lookup(setting).value


def credentials_for(entry: GatewayCredentials, mode: str) -> dict[str, str]:
    return {f.setting: credential_lookup(f.setting, mode).value for f in entry.fields}


def mode_switch_check(method: str, mode: str) -> None:
    """ModeSwitchRefused when a key `method` would use in `mode` says it is of the other mode."""
    entry = next((e for e in BY_GATEWAY.values() if e.method == method), None)
    if entry is None:
        return
    for field in entry.fields:
        found = credential_lookup(field.setting, mode)
        said = field.mode_of(found.value)
        if said and said != mode:
            where = {ENVIRONMENT: "the environment", BACK_OFFICE: f"the {mode} set"}.get(
                found.source, "the default settings"
            )
            raise ModeSwitchRefused(
                f"{entry.display_name} cannot switch to {mode} mode: its {field.label} from "
                f"{where} is a {said} key ({found.value[:8]}…). Enter the {mode} set first.",
                field="mode",
            )
