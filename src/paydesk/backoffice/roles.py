"""Who may see and do what in the back office, by staff role (not Django's permission tables).

Support reads; Finance reads and moves money; an Administrator does everything. Never grants
anything to a user who is not active staff.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from paydesk.accounts.models import StaffRole


def is_staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_staff", False))


def is_admin(request: HttpRequest) -> bool:
    user = request.user
    return user.is_authenticated and user.is_staff and user.has_role(StaffRole.ADMIN)


def can_move_money(request: HttpRequest) -> bool:
    user = request.user
    return user.is_authenticated and user.is_staff and bool(user.can_move_money)


class ReadOnlyForStaff:
    """A ModelAdmin mixin: every staff role may view; nobody adds, changes or deletes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdministratorOnly:
    """A ModelAdmin mixin: only Administrators see it; they add and change, nobody deletes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FinanceActs:
    """A ModelAdmin mixin: every staff role views; Finance (and Administrators) add and move
    money through the admin's own views; nobody changes or deletes through its forms."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_move_money(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_move_money_permission(self, request: HttpRequest) -> bool:
        return can_move_money(request)
