"""Proxy models that split users into two back-office lists: staff and portal users.

No tables of their own; never adds fields. The admins filter each list (admin_users.py).
"""

from __future__ import annotations

from paydesk.accounts.models import User


class StaffUser(User):
    class Meta:
        proxy = True
        verbose_name = "staff user"
        verbose_name_plural = "staff users"


class PortalUser(User):
    class Meta:
        proxy = True
        verbose_name = "portal user"
        verbose_name_plural = "portal users"
