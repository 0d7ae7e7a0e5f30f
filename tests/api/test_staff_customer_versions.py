"""The staff API's PATCH of a customer with If-Match: the ETag of a GET (the customer's edit
version, paydesk.accounts.edits); 412 `changed_since_read` when the customer changed since that
read, nothing saved; without If-Match a change saves as before (docs/api.md)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from paydesk.audit.models import AuditEntry
from tests.api.conftest import ApiClient, key_for
from tests.factories import StaffFactory


def patch(api: ApiClient, customer, body: dict, **headers: str):
    return api.client.patch(
        f"/api/v1/staff/customers/{customer.pk}",
        json.dumps(body),
        content_type="application/json",
        headers={**api.headers, **headers},
    )


@pytest.mark.django_db
def test_a_patch_based_on_an_older_read_is_refused(admin_user, customer):
    ann = ApiClient(key_for(admin_user))
    bob = ApiClient(key_for(StaffFactory(staff_role="admin")))
    read = bob.get(f"/api/v1/staff/customers/{customer.pk}")
    etag = read["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    first = patch(ann, customer, {"debit_limit": "250"})
    assert first.status_code == 200 and first["ETag"] != etag
    stale = patch(bob, customer, {"name": "Bob's rename"}, **{"If-Match": etag})
    assert stale.status_code == 412, stale.content
    error = stale.json()["error"]
    assert error["code"] == "changed_since_read"
    assert error["message"].startswith(f"This customer was changed by {admin_user.email} at ")
    assert error["message"].endswith("since you opened it; review and save again.")
    customer.refresh_from_db()
    assert customer.name != "Bob's rename" and customer.debit_limit == Decimal("250")

    fresh = patch(bob, customer, {"name": "Bob's rename"}, **{"If-Match": first["ETag"]})
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["name"] == "Bob's rename"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ['W/"1"', "1", "garbage", '""'])
def test_an_if_match_that_names_no_version_is_refused(administrator_api, customer, header):
    refused = patch(administrator_api, customer, {"name": "X"}, **{"If-Match": header})
    assert refused.status_code == 412 and refused.json()["error"]["code"] == "changed_since_read"
    customer.refresh_from_db()
    assert customer.name != "X"


@pytest.mark.django_db
def test_without_if_match_or_with_a_star_a_patch_saves_as_before(administrator_api, customer):
    assert patch(administrator_api, customer, {"debit_limit": "1"}).status_code == 200
    star = patch(administrator_api, customer, {"debit_limit": "2"}, **{"If-Match": "*"})
    assert star.status_code == 200
    customer.refresh_from_db()
    assert customer.debit_limit == Decimal("2")


@pytest.fixture
def administrator_api(admin_user) -> ApiClient:
    return ApiClient(key_for(admin_user))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_patches_based_on_one_read_save_once(admin_user, customer):
    """Eight Administrators' changes based on the same read arrive at once on eight connections:
    the customer's row lock serialises them, one is saved, seven are refused."""
    clients = [ApiClient(key_for(StaffFactory(staff_role="admin"))) for _ in range(8)]
    etag = clients[0].get(f"/api/v1/staff/customers/{customer.pk}")["ETag"]

    def send(n: int) -> int:
        try:
            return patch(clients[n], customer, {"name": f"Name {n}"}, **{"If-Match": etag})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(response.status_code for response in pool.map(send, range(8)))
    assert codes == [200] + [412] * 7
    [entry] = AuditEntry.objects.filter(action="customer.update")
    customer.refresh_from_db()
    assert entry.after["name"] == customer.name
