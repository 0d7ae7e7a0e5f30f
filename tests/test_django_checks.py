"""Django's own checks as tests, so that `make test` catches what only they catch: a system check
error (an admin with both `fields` and `fieldsets`, a bad URL pattern, a model field's mistake),
which stops `make run` and every server, and a model changed without its migration, which would
leave the database without the constraint the model says it has."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.sqlite_pass_only  # the code, not the database


def test_the_system_checks_find_no_error_and_no_warning():
    out = io.StringIO()
    # SystemCheckError (a CommandError) when anything at WARNING or above is found
    call_command("check", fail_level="WARNING", stdout=out, stderr=out)
    assert "System check identified no issues" in out.getvalue()


def test_every_model_change_has_its_migration(db):
    out = io.StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, stdout=out, stderr=out)
    except SystemExit as exit_:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check exited {exit_.code}:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
