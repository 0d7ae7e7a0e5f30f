"""Security events (sign-in, sign-in failure, sign-out) go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from paydesk.audit.services import audit_record
from paydesk.web.client_ip import client_ip


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.sign_in", actor=user, obj=user, ip_address=client_ip(request))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.sign_out", actor=user, obj=user, ip_address=client_ip(request))


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The attempted username only: never the password (Django already masks it).
    audit_record(
        action="auth.sign_in_failed",
        actor_email=str(credentials.get("username", ""))[:254],
        ip_address=client_ip(request),
    )
