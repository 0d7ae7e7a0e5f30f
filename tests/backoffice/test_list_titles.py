"""Each back-office list is headed by what it lists ("Payments", "Disputes"), in its <h1> and the
browser tab's title, not by Django's "Select payment to view"."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from paydesk.backoffice.site import backoffice_site
from tests.factories import StaffFactory
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def test_every_list_is_headed_by_what_it_lists():
    client = sign_in(Client(), StaffFactory(staff_role="admin"))
    wrong, seen = {}, 0
    for model in backoffice_site._registry:
        opts = model._meta
        answer = client.get(reverse(f"backoffice:{opts.app_label}_{opts.model_name}_changelist"))
        if answer.status_code != 200:
            continue  # a settings page that redirects to its one row
        seen += 1
        html = answer.content.decode()
        heading = re.search(r"<h1>(.*?)</h1>", html, re.S)
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        expected = str(opts.verbose_name_plural)
        expected = expected[0].upper() + expected[1:]
        if heading is None or heading[1].strip() != expected or "Select " in title[1]:
            wrong[opts.label] = (heading and heading[1].strip(), title[1].strip())
        elif not title[1].strip().startswith(expected):
            wrong[opts.label] = (heading[1].strip(), title[1].strip())
    assert wrong == {}
    assert seen >= 20
