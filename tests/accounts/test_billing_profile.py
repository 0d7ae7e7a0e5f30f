"""The billing profile service and the portal's Billing page."""

from __future__ import annotations

import pytest
from django.test import Client

from paydesk.accounts.billing import billing_profile_get, billing_profile_update
from paydesk.accounts.models import BillingProfile, Contact
from paydesk.audit.models import AuditEntry
from paydesk.errors import InvalidTaxId, PermissionDenied
from tests.factories import CustomerFactory, PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db

FORM = {
    "legal_name": "Acme Telecom GmbH",
    "address_line1": "Hauptstraße 1",
    "address_line2": "",
    "city": "Berlin",
    "postal_code": "10115",
    "region": "",
    "country": "DE",
    "tax_id": "DE 136 695 976",
    "contacts": "billing@acme.example\nNOC@acme.example",
}


@pytest.fixture
def manager():
    return PortalUserFactory(customer=CustomerFactory(name="Acme"), can_manage_billing=True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_saves_the_profile_and_it_is_audited(manager):
    customer = manager.customer
    billing_profile_update(
        customer=customer,
        actor=manager,
        legal_name="Acme Ltd",
        country="gb",
        tax_id="980 7806 84",
        contacts=["Billing@Acme.example", "noc@acme.example"],
    )
    shown = billing_profile_get(customer=customer)
    assert (shown.profile.legal_name, shown.profile.country) == ("Acme Ltd", "GB")
    assert shown.profile.tax_id == "GB980780684" and shown.tax_id_checked
    assert shown.contacts == ["billing@acme.example", "noc@acme.example"]
    assert not shown.changed_by_staff
    entry = AuditEntry.objects.get(action="billing_profile.update")
    assert entry.customer_id == customer.pk and entry.actor == manager
    assert entry.before["tax_id"] == "" and entry.after["tax_id"] == "GB980780684"
    assert entry.after["contacts"] == ["billing@acme.example", "noc@acme.example"]


def test_a_tax_id_alone_is_checked_against_the_saved_country(manager):
    billing_profile_update(customer=manager.customer, actor=manager, country="IT")
    with pytest.raises(InvalidTaxId):
        billing_profile_update(customer=manager.customer, actor=manager, tax_id="DE136695976X")
    billing_profile_update(customer=manager.customer, actor=manager, tax_id="00743110157")
    assert BillingProfile.objects.get().tax_id == "IT00743110157"


def test_an_unchanged_save_records_nothing(manager):
    billing_profile_update(customer=manager.customer, actor=manager, legal_name="Acme")
    billing_profile_update(customer=manager.customer, actor=manager, legal_name=" Acme ")
    assert AuditEntry.objects.filter(action="billing_profile.update").count() == 1


def test_who_may_change_the_profile(manager):
    customer = manager.customer
    for actor in (
        PortalUserFactory(customer=customer, can_manage_billing=False),
        PortalUserFactory(can_manage_billing=True),  # another customer's manager
        StaffFactory(staff_role="finance"),
        StaffFactory(staff_role="support"),
        None,
    ):
        with pytest.raises(PermissionDenied):
            billing_profile_update(customer=customer, actor=actor, legal_name="Hijacked")
    assert not BillingProfile.objects.exists()
    admin = StaffFactory(staff_role="admin")
    billing_profile_update(customer=customer, actor=admin, legal_name="By staff")
    assert billing_profile_get(customer=customer).changed_by_staff


def test_contacts_are_the_payment_email_recipients(manager):
    Contact.objects.create(customer=manager.customer, email="old@acme.example")
    billing_profile_update(customer=manager.customer, actor=manager, contacts=["new@acme.example"])
    assert list(Contact.objects.values_list("email", flat=True)) == ["new@acme.example"]


# --- the portal page ---------------------------------------------------------------------------


def test_the_billing_page_saves_and_shows_the_profile(manager):
    client = _client(manager)
    page = client.get("/billing/")
    assert page.status_code == 200
    assert 'href="/billing/" aria-current="page"' in page.content.decode()
    response = client.post("/billing/", FORM)
    assert response.status_code == 302
    body = client.get("/billing/").content.decode()
    assert "Acme Telecom GmbH" in body and "DE136695976" in body and "Germany" in body
    assert "billing@acme.example" in body and "noc@acme.example" in body
    assert "not looked up online" in body


@pytest.mark.parametrize(
    ("country", "tax_id"),
    [
        ("DE", "DE136695978"),
        ("FR", "FR41303265045"),
        ("GB", "GB980780685"),
        ("IT", "IT00743110158"),
        ("NL", "NL004495446B01"),
        ("ES", "ESA58818502"),
        ("IN", "27AAPFU0939F1ZW"),
    ],
)
def test_an_invalid_tax_id_is_a_field_error_on_the_page(manager, country, tax_id):
    response = _client(manager).post("/billing/", {**FORM, "country": country, "tax_id": tax_id})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["tax_id"]
    assert "check digits do not match" in form.errors["tax_id"][0]
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "check digits do not match" in body
    assert not BillingProfile.objects.exists()


def test_other_field_errors_are_shown_next_to_their_field(manager):
    client = _client(manager)
    response = client.post("/billing/", {**FORM, "country": "XX"})
    assert response.status_code == 400 and "country" in response.context["form"].errors
    response = client.post("/billing/", {**FORM, "contacts": "not-an-email"})
    assert response.status_code == 400
    assert "not a valid email address" in response.context["form"].errors["contacts"][0]
    response = client.post("/billing/", {**FORM, "legal_name": "x" * 201})
    assert "legal_name" in response.context["form"].errors


def test_a_user_without_manage_billing_is_refused_and_sees_no_link(manager):
    bookkeeper = PortalUserFactory(customer=manager.customer, can_manage_billing=False)
    client = _client(bookkeeper)
    assert client.get("/billing/").status_code == 403
    assert client.post("/billing/", FORM).status_code == 403
    assert not BillingProfile.objects.exists()
    assert 'href="/billing/"' not in client.get("/").content.decode()


def test_a_staff_change_is_shown_to_the_customer(manager):
    admin = StaffFactory(staff_role="admin")
    billing_profile_update(customer=manager.customer, actor=admin, legal_name="Fixed by staff")
    body = _client(manager).get("/billing/").content.decode()
    assert "Fixed by staff" in body and "Last changed by our staff" in body


def test_the_last_change_line_reads_as_one_sentence(manager):
    """Django's "p.m." followed by a full stop read "7:05 p.m.." (issue 14 polish): the line
    ends with the time zone, as the Payments page writes a time."""
    billing_profile_update(customer=manager.customer, actor=manager, legal_name="Acme GmbH")
    body = _client(manager).get("/billing/").content.decode()
    line = body.split("data-billing-changed>", 1)[1].split("</p>", 1)[0]
    assert line.startswith("Last changed: ") and ".." not in line
    assert not line.rstrip().endswith(".")  # the zone's name ends it, never "p.m." + "."
