"""Staff accounts, portal users and portal defaults: Administrators only, audited, no hashes."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import PortalDefaults, User
from paydesk.audit.models import AuditEntry
from tests.factories import PASSWORD, PortalUserFactory

pytestmark = pytest.mark.django_db
STAFF = "/backoffice/users/staffuser/"
PORTAL_USERS = "/backoffice/users/portaluser/"
DEFAULTS = "/backoffice/accounts/portaldefaults/"
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def test_an_administrator_creates_a_finance_user_with_a_hashed_password(administrator, admin_user):
    response = administrator.post(
        STAFF + "add/",
        {
            "email": "Fin@Example.com",
            "full_name": "Fin",
            "staff_role": "finance",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="fin@example.com")
    assert user.staff_role == "finance" and user.customer is None
    assert user.password != NEW_PASSWORD and user.check_password(NEW_PASSWORD)
    page = administrator.get(f"{STAFF}{user.pk}/change/").content.decode()
    assert user.password not in page
    assert AuditEntry.objects.get(action="staff.create").actor == admin_user


def test_a_weak_or_mismatched_password_is_refused_next_to_the_field(administrator):
    response = administrator.post(
        STAFF + "add/",
        {
            "email": "x@example.com",
            "staff_role": "support",
            "password1": "123",
            "password2": "123",
        },
    )
    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    response = administrator.post(
        STAFF + "add/",
        {
            "email": "x@example.com",
            "staff_role": "support",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD + "x",
        },
    )
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="x@example.com").exists()


def test_an_administrator_creates_a_bookkeeper_who_may_only_view(administrator, customer):
    response = administrator.post(
        PORTAL_USERS + "add/",
        {
            "customer": customer.pk,
            "email": "books@acme.example",
            "full_name": "Books",
            "can_view_payments": "on",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="books@acme.example")
    assert user.customer == customer
    assert (user.can_view_payments, user.can_make_payments) == (True, False)
    assert not user.can_manage_billing
    assert not user.is_staff
    assert AuditEntry.objects.filter(action="user.create", customer_id=customer.pk).exists()


def test_an_administrator_grants_manage_billing_and_it_is_audited(administrator, customer):
    user = PortalUserFactory(customer=customer, full_name="Payer")
    assert not user.can_manage_billing  # off until staff grant it
    response = administrator.post(
        f"{PORTAL_USERS}{user.pk}/change/",
        {
            "full_name": "Payer",
            "can_view_payments": "on",
            "can_make_payments": "on",
            "can_manage_billing": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.can_manage_billing
    entry = AuditEntry.objects.get(action="user.update", customer_id=customer.pk)
    assert (entry.before["can_manage_billing"], entry.after["can_manage_billing"]) == (False, True)
    listing = administrator.get(PORTAL_USERS).content.decode()
    assert "can_manage_billing" in listing or "manage billing" in listing.lower()


def test_role_change_and_password_reset_are_audited_without_the_password(
    administrator, finance_user
):
    response = administrator.post(
        f"{STAFF}{finance_user.pk}/change/",
        {
            "full_name": "Now support",
            "staff_role": "support",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    finance_user.refresh_from_db()
    assert finance_user.staff_role == "support"
    entry = AuditEntry.objects.get(action="staff.update")
    assert (entry.before["staff_role"], entry.after["staff_role"]) == ("finance", "support")
    response = administrator.post(
        f"{STAFF}{finance_user.pk}/password/",
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    finance_user.refresh_from_db()
    assert finance_user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="user.password_set")
    assert NEW_PASSWORD not in str(entry.after) and PASSWORD not in str(entry.after)


def test_an_administrator_cannot_demote_themselves(administrator, admin_user):
    response = administrator.post(
        f"{STAFF}{admin_user.pk}/change/",
        {
            "full_name": "",
            "staff_role": "support",
            "is_active": "on",
        },
    )
    assert response.status_code == 302  # saved, but role and active flag are read-only here
    admin_user.refresh_from_db()
    assert admin_user.staff_role == "admin"
    assert not AuditEntry.objects.filter(action="staff.update").exists()
    # The service refuses too, whatever the form.
    from paydesk.backoffice.services import staff_user_update
    from paydesk.errors import CustomerError

    with pytest.raises(CustomerError):
        staff_user_update(user=admin_user, actor=admin_user, staff_role="support")
    with pytest.raises(CustomerError):
        staff_user_update(user=admin_user, actor=admin_user, is_active=False)


def test_staff_and_portal_users_are_listed_apart(administrator, admin_user, portal_user):
    staff_page = administrator.get(STAFF).content.decode()
    portal_page = administrator.get(PORTAL_USERS).content.decode()
    assert f"{STAFF}{admin_user.pk}/change/" in staff_page
    assert f"{STAFF}{portal_user.pk}/change/" not in staff_page
    assert f"{PORTAL_USERS}{portal_user.pk}/change/" in portal_page
    assert f"{PORTAL_USERS}{admin_user.pk}/change/" not in portal_page
    assert administrator.get(f"{STAFF}{portal_user.pk}/change/").status_code == 302  # not found


@pytest.mark.parametrize("who", ["support", "finance"])
def test_only_administrators_manage_users_and_defaults(request, who, portal_user):
    client = request.getfixturevalue(who)
    for url in (STAFF, PORTAL_USERS, DEFAULTS, STAFF + "add/", PORTAL_USERS + "add/"):
        assert client.get(url).status_code == 403
    assert (
        client.post(
            f"{PORTAL_USERS}{portal_user.pk}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        ).status_code
        == 403
    )
    portal_user.refresh_from_db()
    assert not portal_user.check_password(NEW_PASSWORD)


def test_portal_defaults_are_one_row_edited_by_an_administrator(administrator, admin_user):
    response = administrator.get(DEFAULTS)
    assert response.status_code == 302 and response["Location"].endswith("/add/")
    response = administrator.post(
        DEFAULTS + "add/",
        {
            "show_balance": "on",
            "show_payments": "on",
            "blocked_methods": ["card", "paypal"],
        },
    )
    assert response.status_code == 302
    defaults = PortalDefaults.objects.get()
    assert defaults.blocked_methods == ["card", "paypal"]
    assert (defaults.show_pending_bank_payments, defaults.allow_vouchers) == (False, False)
    assert administrator.get(DEFAULTS)["Location"].endswith(f"/{defaults.pk}/change/")
    assert administrator.get(DEFAULTS + "add/").status_code == 403  # only one row
    response = administrator.post(f"{DEFAULTS}{defaults.pk}/change/", {"allow_vouchers": "on"})
    assert response.status_code == 302
    defaults.refresh_from_db()
    assert defaults.allow_vouchers and not defaults.show_balance and defaults.blocked_methods == []
    entries = AuditEntry.objects.filter(action="portal_defaults.update", actor=admin_user)
    assert entries.count() == 2


def test_changing_ones_own_password_is_audited(finance, finance_user):
    response = finance.post(
        "/backoffice/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    finance_user.refresh_from_db()
    assert finance_user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.get(action="user.password_change")
    assert entry.actor == finance_user and entry.after is None


@pytest.mark.parametrize("where", [STAFF, PORTAL_USERS])
@pytest.mark.parametrize("lookup", ["password__startswith", "password__regex", "password__gt"])
def test_no_list_filters_users_by_their_password_hash(administrator, admin_user, where, lookup):
    """A lookup on the password hash in the list's address (?password__startswith=…) answered
    whether a user's hash starts so: whoever reads the list could recover every hash one
    character at a time. Refused (400) as Django's own UserAdmin refuses it, whatever the value."""
    user = admin_user if where == STAFF else PortalUserFactory()
    for value in (user.password[:12], "no-such-hash"):
        response = administrator.get(where, {lookup: value})
        assert response.status_code == 400, (lookup, value, response.status_code)
        assert user.email not in response.content.decode()
