"""Writing the audit log. Callers pass plain JSON-safe dicts; money goes in as strings."""

from __future__ import annotations

from typing import Any

from paydesk.audit.models import AuditEntry


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    customer_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
    actor_email: str = "",
) -> AuditEntry:
    """Append one entry; call it inside the transaction of the action it records."""
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        actor=actor_obj,
        actor_email=actor_email or (getattr(actor_obj, "email", "") if actor_obj else ""),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        customer_id=customer_id,
        before=before,
        after=after,
        ip_address=ip_address,
    )
