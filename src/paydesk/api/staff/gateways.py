"""Staff endpoint: where each gateway credential comes from (Administrators only; issue 17).

Never a value: per gateway its method's mode and, for each setting of each set, its source
(environment, back office, default, or none) and, for a long secret, its last four characters —
what the back office's Gateway settings page shows. Finance and Support get 403.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from django.http import HttpRequest
from ninja import Router, Schema

from paydesk.accounts.models import StaffRole
from paydesk.api.auth import STAFF_AUTH
from paydesk.api.errors import ApiError
from paydesk.api.schemas import ERRORS
from paydesk.api.staff.common import staff_caller
from paydesk.checkout.credentials import credential_lookup, method_mode
from paydesk.gateways.credentials import CATALOGUE

router = Router(tags=["staff"], auth=STAFF_AUTH)


class CredentialOut(Schema):
    setting: str
    mode: str
    source: str
    ending: str


class GatewaySettingsOut(Schema):
    gateway: str
    method: str
    mode: str
    webhook_path: str
    credentials: list[CredentialOut]


@router.get(
    "/gateway-settings",
    response={200: list[GatewaySettingsOut], **ERRORS},
    summary="Gateway credentials: where each comes from (Administrators; never a value)",
)
def gateway_settings(request: HttpRequest) -> list[dict[str, object]]:
    caller = staff_caller(request)
    if not caller.user.has_role(StaffRole.ADMIN):
        raise ApiError(403, "permission_denied", "Only an Administrator reads gateway settings.")
    out: list[dict[str, object]] = []
    for entry in CATALOGUE:
        rows = []
        for mode in ("test", "live"):
            for field in entry.fields:
                found = credential_lookup(field.setting, mode)
                rows.append(
                    {
                        "setting": field.setting,
                        "mode": mode,
                        "source": found.source or "none",
                        "ending": field.shown(found.value),
                    }
                )
        out.append(
            {
                "gateway": entry.gateway,
                "method": entry.method,
                "mode": method_mode(entry.method),
                "webhook_path": entry.webhook_path,
                "credentials": rows,
            }
        )
    return out
