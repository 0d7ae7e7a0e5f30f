"""Every table header cell on the back office's pages is named in the HTML the server sends (no
script needed): text, visually hidden text, or a control with an aria-label (axe-core
`empty-table-header`). Each list page and the customer page with its billing contacts, as an
Administrator (who sees every column, the delete boxes too) and as Finance."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from paydesk.backoffice.services import customer_contacts_set
from paydesk.backoffice.site import backoffice_site
from tests.factories import CustomerFactory, StaffFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


class Headers(HTMLParser):
    """The <th> cells of a page, each as (its text, whether a control in it has aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[list] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "th":
            self.depth += 1
            self.cells.append(["", any(name == "aria-label" for name, _ in attrs)])
        elif self.depth and any(name == "aria-label" and value for name, value in attrs):
            self.cells[-1][1] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.cells[-1][0] += data


def unnamed_headers(html: str) -> list[int]:
    parser = Headers()
    parser.feed(html)
    return [
        i for i, (text, labelled) in enumerate(parser.cells) if not text.strip() and not labelled
    ]


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_no_table_header_is_empty(role):
    customer = CustomerFactory(currency="USD")
    admin = StaffFactory(staff_role="admin")
    customer_contacts_set(customer=customer, emails=["billing@acme.example"], actor=admin)
    client = sign_in(Client(), admin if role == "admin" else StaffFactory(staff_role=role))
    pages = [reverse("backoffice:accounts_customer_change", args=[customer.pk])]
    pages += [
        reverse(f"backoffice:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in backoffice_site._registry
    ]
    empty, seen = {}, 0
    for path in pages:
        answer = client.get(path)
        if answer.status_code != 200:
            continue  # not this role's page
        seen += 1
        if found := unnamed_headers(answer.content.decode()):
            empty[path] = found
    assert empty == {}
    assert client.get(pages[0]).status_code == 200 and seen >= 10


class HeaderTexts(Headers):
    """The text of each <th> inside the billing contacts' group."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.inside:
            self.inside += 1
        elif "backoffice-contacts" in (dict(attrs).get("class") or "").split():
            self.inside = 1
        if self.inside:
            super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.inside:
            self.inside -= 1
            super().handle_endtag(tag)


@pytest.mark.parametrize(
    ("role", "texts"),
    [("admin", ["Saved", "Email", "Delete?"]), ("finance", ["Saved", "Email", "Remove"])],
)
def test_the_contacts_table_names_its_columns_in_the_html_django_renders(role, texts):
    """The two header cells Django's own tabular inline leaves empty get their words from a
    filter over its output (backoffice_lists.header_cells_named): had Django's markup changed
    so that the filter no longer found them, they would be empty again."""
    customer = CustomerFactory(currency="USD")
    admin = StaffFactory(staff_role="admin")
    customer_contacts_set(customer=customer, emails=["billing@acme.example"], actor=admin)
    client = sign_in(Client(), admin if role == "admin" else StaffFactory(staff_role=role))
    html = client.get(reverse("backoffice:accounts_customer_change", args=[customer.pk]))
    parser = HeaderTexts()
    parser.feed(html.content.decode())
    assert [text.strip() for text, _labelled in parser.cells] == texts


def test_every_tabular_inline_is_rendered_with_its_header_cells_named():
    """A tabular inline added later gets the same named header cells, not Django's empty ones."""
    tabular = [
        inline
        for model_admin in backoffice_site._registry.values()
        for inline in model_admin.inlines
        if issubclass(inline, admin.TabularInline)
    ]
    assert tabular
    assert {inline.template for inline in tabular} == {"backoffice/tabular_inline.html"}
