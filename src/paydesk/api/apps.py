from typing import Any

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "paydesk.api"
    label = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from paydesk.accounts.resets import credentials_reset

        # A reset password or second factor revokes the user's API keys (accounts/resets.py).
        credentials_reset.connect(_keys_revoke, dispatch_uid="api.keys_revoke")


def _keys_revoke(
    sender: Any, user: Any, actor: Any, reason: str, ip_address: str | None, **kwargs: Any
) -> None:
    from paydesk.api.services import api_keys_revoke_all

    api_keys_revoke_all(user=user, actor=actor, reason=reason, ip_address=ip_address)
