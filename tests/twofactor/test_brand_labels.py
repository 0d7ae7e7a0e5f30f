"""The brand's name (the back office's Brand) labels the second factors: the authenticator app's
issuer in the otpauth:// URI and the passkey's relying-party name, falling back to
PAYDESK_PROVIDER_NAME; an app enrolled under the old name keeps working after a rename."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from paydesk.provider.brand import brand_update
from paydesk.twofactor.totp import totp_code
from tests.factories import StaffFactory
from tests.signin import authenticator_for, verified_login

pytestmark = pytest.mark.django_db

ADD = "/accounts/two-factor/authenticator/"
VERIFY = "/accounts/two-factor/verify/"
PASSKEY_BEGIN = "/accounts/two-factor/passkeys/registration/begin/"
URI = re.compile(r"otpauth://totp/([^?\"<]+)\?[^\"<]*?issuer=([^&\"<]+)")


def enrolment_uri(user) -> tuple[str, str]:
    """(label, issuer) of the otpauth:// URI on the user's set-up page (password only)."""
    client = Client()
    client.force_login(user)
    html = client.get(ADD).content.decode().replace("&amp;", "&")
    label, issuer = URI.search(html).groups()
    return label, issuer


def passkey_rp(user) -> dict:
    client = Client()
    verified_login(client, user)
    response = client.post(PASSKEY_BEGIN)
    assert response.status_code == 200, response.content
    return response.json()["rp"]


def test_the_authenticator_app_issuer_follows_the_brand(admin_user):
    default = settings.PAYDESK_PROVIDER_NAME.replace(" ", "%20")
    newcomer = StaffFactory(staff_role="finance", email="new@example.com")
    label, issuer = enrolment_uri(newcomer)
    assert (label, issuer) == (f"{default}%3Anew%40example.com", default)

    brand_update(actor=admin_user, name="Acme: Voice")  # the colon would split the label
    label, issuer = enrolment_uri(newcomer)
    assert (label, issuer) == ("Acme%20Voice%3Anew%40example.com", "Acme%20Voice")

    brand_update(actor=admin_user, name="")  # cleared: the configured default again
    assert enrolment_uri(newcomer)[1] == default


def test_an_app_enrolled_under_the_old_name_still_verifies(admin_user):
    finance = StaffFactory(staff_role="finance")
    device = authenticator_for(finance)
    brand_update(actor=admin_user, name="Renamed Carrier")
    client = Client()
    client.force_login(finance)
    response = client.post(VERIFY, {"code": totp_code(device.key)})
    assert response.status_code == 302
    assert client.get("/backoffice/").status_code == 200


def test_the_passkey_relying_party_name_follows_the_brand(admin_user):
    finance = StaffFactory(staff_role="finance")
    assert passkey_rp(finance)["name"] == settings.PAYDESK_PROVIDER_NAME
    brand_update(actor=admin_user, name="Acme Voice")
    rp = passkey_rp(finance)
    assert rp["name"] == "Acme Voice"
    assert rp["id"] == "testserver"  # the relying party's ID is the host, whatever the name
