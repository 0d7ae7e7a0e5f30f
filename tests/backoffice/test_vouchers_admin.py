"""Vouchers in the back office: Finance issues a batch and gets its codes once, as the CSV answer
to the form; nobody finds them in the database, the audit log or the session afterwards. Support
reads but cannot issue or disable; disabled codes cannot be redeemed; every form needs CSRF."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils.html import strip_tags

from paydesk.audit.models import AuditEntry
from paydesk.errors import VoucherRejected
from paydesk.vouchers.batches import voucher_batch_issue
from paydesk.vouchers.codes import voucher_code_hash, voucher_code_is_well_formed
from paydesk.vouchers.models import Voucher, VoucherBatch, VoucherStatus
from paydesk.vouchers.services import voucher_redeem
from tests.backoffice.conftest import signed_in
from tests.signin import sign_in
from tests.vouchers.conftest import issue_redeemable

pytestmark = pytest.mark.django_db

BATCHES = "/backoffice/vouchers/voucherbatch/"
ISSUE = "/backoffice/vouchers/voucherbatch/add/"
VOUCHERS = "/backoffice/vouchers/voucher/"
LOOKUP = "/backoffice/vouchers/voucher/lookup/"
CODE_ALPHABET = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ-")


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()  # the redemption rate-limit counters
    yield
    cache.clear()


def issue_form(**overrides: str) -> dict[str, str]:
    data = {
        "count": "5",
        "currency": "USD",
        "minimum_activation": "0",
        "multiplier": "1",
        "addition": "25",
        "expires_at": "",
        "note": "Spring campaign",
        "form_token": "t" * 32,
    }
    data.update(overrides)
    return data


def csv_codes(response) -> list[str]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    assert rows[0] == [
        "Code",
        "Currency",
        "Minimum activation",
        "Multiplier",
        "Addition",
        "Expires",
    ]
    return [row[0] for row in rows[1:]]


def everything_stored() -> str:
    """Every row of every table (sessions decoded), as one text to search."""
    parts = []
    for model in apps.get_models():
        for row in model.objects.all().values():
            parts.append(repr(row))
    for session in Session.objects.all():
        parts.append(repr(session.get_decoded()))
    return "\n".join(parts)


def redeem(code: str, user):
    return voucher_redeem(
        code=code, customer=user.customer, currency="USD", user=user, ip_address="198.51.100.9"
    )


# --- issuing -----------------------------------------------------------------------------------


def test_finance_issues_a_batch_and_the_answer_is_the_csv_of_exactly_its_codes(finance):
    assert finance.get(ISSUE).status_code == 200
    response = finance.post(ISSUE, issue_form(count="5"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    batch = VoucherBatch.objects.get()
    assert response["Content-Disposition"] == (
        f'attachment; filename="vouchers-batch-{batch.pk}-{batch.created_at:%Y-%m-%d}.csv"'
    )
    codes = csv_codes(response)
    assert len(codes) == 5 == len(set(codes)) == batch.count
    for code in codes:
        assert set(code) <= CODE_ALPHABET
        assert len(code.replace("-", "")) == 17  # 16 random characters and a check character
        assert voucher_code_is_well_formed(code)
    stored_hashes = set(Voucher.objects.filter(batch=batch).values_list("code_hash", flat=True))
    assert stored_hashes == {voucher_code_hash(code) for code in codes}
    assert (batch.currency, batch.minimum_activation, batch.addition) == ("USD", 0, Decimal(25))
    assert batch.note == "Spring campaign"
    # Audited: the issue (by the service) and the one download of the codes (by the view).
    issued = AuditEntry.objects.get(action="voucher_batch.issue")
    downloaded = AuditEntry.objects.get(action="voucher_batch.codes_download")
    assert issued.actor_id == downloaded.actor_id == response.wsgi_request.user.pk
    assert downloaded.object_id == str(batch.pk) and downloaded.after["count"] == 5


def test_the_codes_are_nowhere_in_the_database_the_audit_log_or_the_session(finance):
    response = finance.post(ISSUE, issue_form(count="20"))
    codes = csv_codes(response)
    assert len(codes) == 20
    stored = everything_stored()
    audit = repr(list(AuditEntry.objects.values()))
    cookies = " ".join(morsel.value for morsel in response.cookies.values())
    for code in codes:
        for form in (code, code.replace("-", ""), code.replace("-", "").lower()):
            assert form not in stored
            assert form not in audit
            assert form not in cookies
    # The batch page and the voucher list show only the last four characters.
    batch = VoucherBatch.objects.get()
    pages = finance.get(f"{BATCHES}{batch.pk}/change/").content.decode()
    pages += finance.get(f"{VOUCHERS}?batch={batch.pk}").content.decode()
    for code in codes:
        assert code not in pages and code.replace("-", "")[:13] not in pages
    assert "20 available" in pages


def test_a_bonus_batch_with_an_expiry(finance):
    response = finance.post(
        ISSUE,
        issue_form(count="2", minimum_activation="50", multiplier="2", addition="5",
                   expires_at="2099-12-31"),
    )  # fmt: skip
    assert response.status_code == 200
    batch = VoucherBatch.objects.get()
    assert batch.is_bonus and batch.multiplier == 2 and batch.addition == 5
    assert batch.expires_at is not None and batch.expires_at.year in (2099, 2100)
    assert len(csv_codes(response)) == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"count": "0"}, "count", "greater than or equal to 1"),
        ({"count": "10001"}, "count", "between 1 and 10,000"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217"),
        ({"addition": "0"}, "addition", "needs a free credit above zero"),
        ({"addition": "2.555"}, "addition", "more decimals than USD"),
        ({"addition": "1e3"}, "addition", ""),
        ({"minimum_activation": "-5"}, "minimum_activation", "cannot be negative"),
        ({"minimum_activation": "50", "multiplier": "1", "addition": "0"}, "multiplier",
         "would add nothing"),
        ({"multiplier": "101"}, "multiplier", "between 0 and 100"),
        ({"expires_at": "2001-01-01"}, "expires_at", "in the future"),
        ({"expires_at": "31/12/2099"}, "expires_at", "valid date"),
        ({"expires_at": "9999-12-31"}, "expires_at", "on or before 9000-12-31"),
    ],
)  # fmt: skip
def test_refused_terms_are_shown_next_to_their_field_and_nothing_is_issued(
    finance, overrides, field, message
):
    response = finance.post(ISSUE, issue_form(**overrides))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not VoucherBatch.objects.exists()
    assert not Voucher.objects.exists()


def test_a_resubmitted_form_issues_no_second_batch(finance):
    first = finance.post(ISSUE, issue_form(form_token="r" * 32))
    assert first["Content-Type"].startswith("text/csv")
    again = finance.post(ISSUE, issue_form(form_token="r" * 32))
    assert again.status_code == 200 and again["Content-Type"].startswith("text/html")
    batch = VoucherBatch.objects.get()
    assert f"batch {batch.pk} was issued" in again.content.decode()
    # A new form (a new token) issues a new batch.
    assert finance.post(ISSUE, issue_form(form_token="s" * 32))["Content-Type"].startswith(
        "text/csv"
    )
    assert VoucherBatch.objects.count() == 2


def test_an_administrator_may_issue_too(administrator):
    response = administrator.post(ISSUE, issue_form(count="1"))
    assert len(csv_codes(response)) == 1


# --- Support reads only ------------------------------------------------------------------------


def test_support_reads_batches_and_vouchers_but_cannot_issue_or_disable(
    support, finance_user, portal_user
):
    batch, codes = voucher_batch_issue(count=3, currency="USD", addition="10", actor=finance_user)
    voucher = Voucher.objects.filter(batch=batch).first()
    entries = AuditEntry.objects.count()
    assert support.get(BATCHES).status_code == 200
    assert support.get(f"{BATCHES}{batch.pk}/change/").status_code == 200
    assert support.get(VOUCHERS).status_code == 200
    assert support.get(f"{VOUCHERS}{voucher.pk}/change/").status_code == 200
    listing = support.get(BATCHES).content.decode()
    assert ISSUE not in listing
    assert support.get(ISSUE).status_code == 403
    assert support.post(ISSUE, issue_form()).status_code == 403
    assert support.get(f"{VOUCHERS}{voucher.pk}/disable/").status_code == 403
    assert support.post(f"{VOUCHERS}{voucher.pk}/disable/").status_code == 403
    assert support.post(f"{BATCHES}{batch.pk}/disable/").status_code == 403
    assert support.post(f"{BATCHES}{batch.pk}/change/", {"note": "x"}).status_code == 403
    assert support.post(f"{BATCHES}{batch.pk}/delete/", {"post": "yes"}).status_code == 403
    assert VoucherBatch.objects.count() == 1
    assert set(Voucher.objects.values_list("status", flat=True)) == {VoucherStatus.AVAILABLE}
    assert AuditEntry.objects.count() == entries
    assert "/disable/" not in support.get(f"{VOUCHERS}{voucher.pk}/change/").content.decode()
    # The codes still work: nothing was disabled.
    assert redeem(codes[0], portal_user).payment.total == 10


def test_portal_users_are_sent_to_the_sign_in_page(portal_user):
    client = signed_in(portal_user)
    for url in (BATCHES, ISSUE, VOUCHERS, LOOKUP):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/backoffice/login/")
    client.post(ISSUE, issue_form())
    assert not VoucherBatch.objects.exists()


# --- disabling ---------------------------------------------------------------------------------


def test_finance_disables_one_voucher_and_its_code_can_no_longer_be_redeemed(
    finance, finance_user, portal_user
):
    batch, codes = voucher_batch_issue(count=2, currency="USD", addition="10", actor=finance_user)
    target = Voucher.objects.get(code_hash=voucher_code_hash(codes[0]))
    page = finance.get(f"{VOUCHERS}{target.pk}/change/").content.decode()
    assert f"{VOUCHERS}{target.pk}/disable/" in page
    assert finance.get(f"{VOUCHERS}{target.pk}/disable/").status_code == 200  # the confirmation
    assert Voucher.objects.get(pk=target.pk).status == VoucherStatus.AVAILABLE
    response = finance.post(f"{VOUCHERS}{target.pk}/disable/")
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == VoucherStatus.DISABLED and target.disabled_by is not None
    entry = AuditEntry.objects.get(action="voucher.disable")
    assert entry.object_id == str(target.pk) and entry.actor_email == target.disabled_by.email
    with pytest.raises(VoucherRejected):
        redeem(codes[0], portal_user)
    assert redeem(codes[1], portal_user).payment.total == 10  # the other one still works
    # Disabling again is refused with a message, not a 500.
    again = finance.post(f"{VOUCHERS}{target.pk}/disable/", follow=True)
    assert again.status_code == 200
    assert "only an available voucher can be disabled" in again.content.decode()


def test_finance_disables_a_whole_batch_and_used_vouchers_stay_used(
    finance, finance_user, portal_user
):
    batch, codes = voucher_batch_issue(count=4, currency="USD", addition="10", actor=finance_user)
    redeem(codes[0], portal_user)
    assert finance.get(f"{BATCHES}{batch.pk}/disable/").status_code == 200
    response = finance.post(f"{BATCHES}{batch.pk}/disable/", follow=True)
    assert response.status_code == 200
    assert "3 vouchers disabled" in response.content.decode()
    statuses = sorted(Voucher.objects.filter(batch=batch).values_list("status", flat=True))
    assert statuses == ["disabled", "disabled", "disabled", "used"]
    assert AuditEntry.objects.get(action="voucher_batch.disable").after == {"disabled": 3}
    for code in codes[1:]:
        with pytest.raises(VoucherRejected):
            redeem(code, portal_user)
    listing = finance.get(BATCHES).content.decode()
    assert f'?batch={batch.pk}&amp;status__exact=disabled">3</a>' in listing


# --- look-up by code ---------------------------------------------------------------------------


def test_staff_find_a_voucher_by_its_code_and_the_code_is_not_kept(support, finance_user):
    batch, codes = voucher_batch_issue(count=3, currency="USD", addition="10", actor=finance_user)
    target = Voucher.objects.get(code_hash=voucher_code_hash(codes[1]))
    typed = codes[1].lower().replace("-", " ")
    response = support.post(LOOKUP, {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"{VOUCHERS}{target.pk}/change/"
    missing = support.post(LOOKUP, {"code": "7KQ2-M9XA-4ZP3-B6TR-0"})
    assert missing.status_code == 200
    assert "No voucher has that code" in " ".join(missing.context["form"].errors["code"])
    lookups = AuditEntry.objects.filter(action="voucher.lookup").order_by("id")
    assert [entry.after["found"] for entry in lookups] == [True, False]
    stored = everything_stored()
    assert codes[1] not in stored and codes[1].replace("-", "") not in stored


# --- CSRF --------------------------------------------------------------------------------------


def test_every_voucher_form_needs_its_csrf_token(finance_user):
    batch, _codes = voucher_batch_issue(count=1, currency="USD", addition="5", actor=finance_user)
    voucher = Voucher.objects.get()
    client = Client(enforce_csrf_checks=True)
    sign_in(client, finance_user)
    entries = AuditEntry.objects.count()
    for url, data in (
        (ISSUE, issue_form()),
        (f"{VOUCHERS}{voucher.pk}/disable/", {}),
        (f"{BATCHES}{batch.pk}/disable/", {}),
        (LOOKUP, {"code": "7KQ2-M9XA-4ZP3-B6TR-0"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert VoucherBatch.objects.count() == 1
    assert Voucher.objects.get().status == VoucherStatus.AVAILABLE
    assert AuditEntry.objects.count() == entries


def test_a_voucher_page_shows_who_used_it_and_an_armed_bonus(support, finance_user, portal_user):
    _batch, codes = issue_redeemable(
        count=2, currency="USD", minimum_activation="50", multiplier="2", addition="5",
        actor=finance_user,
    )  # fmt: skip
    redeem(codes[0], portal_user)
    used = Voucher.objects.get(code_hash=voucher_code_hash(codes[0]))
    page = support.get(f"{VOUCHERS}{used.pk}/change/").content.decode()
    assert portal_user.customer.name in page
    assert "Armed since" in page and "waiting for a qualifying top-up" in page
    assert (
        "Top-ups of at least $50.00 USD earn a bonus of 100% of the top-up plus $5.00 USD" in page
    )
    listing = support.get(VOUCHERS, {"status__exact": "used"}).content.decode()
    assert used.masked_code in listing
    assert Voucher.objects.exclude(pk=used.pk).get().masked_code not in listing


FORMULA_LETTERS = re.compile(r"\((?:M|X|A)\)|\b(?:M|X|A) (?:\d|\$)|\b(?:M|X|A):")


def test_batch_pages_say_the_terms_in_words_not_formula_letters(finance, finance_user):
    """The issue form labelled its fields "Minimum activation (M)", "Multiplier (X)" and
    "Addition (A)", and a batch's page said "Bonus on a top-up of at least $50.00 USD: X 2,
    A $5.00 USD": a finance person reads words."""
    batch, _codes = issue_redeemable(
        count=2, currency="USD", minimum_activation="50", multiplier="2", addition="5",
        actor=finance_user,
    )  # fmt: skip
    pages = {
        "issue": finance.get(f"{BATCHES}add/").content.decode(),
        "batch": finance.get(f"{BATCHES}{batch.pk}/change/").content.decode(),
        "list": finance.get(BATCHES).content.decode(),
    }
    for name, html in pages.items():
        text = strip_tags(html.split('id="content"')[-1])
        assert not FORMULA_LETTERS.search(text), (name, FORMULA_LETTERS.search(text))
    issue = pages["issue"]
    for label in (
        "Minimum top-up the customer pays",
        "Top-up multiplier",
        "Free credit or fixed bonus per code",
    ):
        assert re.search(rf">{re.escape(label)}:?</label>", issue), label
    batch_text = strip_tags(pages["batch"])
    for label in (
        "Minimum top-up the customer pays",
        "Top-up multiplier",
        "Free credit or fixed bonus per code",
    ):
        assert label in batch_text
    assert "Top-ups of at least $50.00 USD earn a bonus of 100% of the top-up plus $5.00 USD" in (
        batch_text
    )
