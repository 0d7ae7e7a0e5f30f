"""Issue 13, finding 13: the demo's console stays readable — one line per email (the message
saved to a file), and the logins printed last."""

from __future__ import annotations

import io

import pytest
from django.core.mail import EmailMessage

from paydesk.cli.management.commands.demo import Command as DemoCommand
from paydesk.notifications.demo_email import OneLineEmailBackend


def test_an_email_is_one_line_and_a_file(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    message = EmailMessage("Payment received", "Body\nwith lines", to=["ap@acme.example"])

    assert OneLineEmailBackend().send_messages([message]) == 1

    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1
    assert printed[0].startswith('Email to ap@acme.example: "Payment received"')
    saved = list((tmp_path / "demo-emails").glob("*.eml"))
    assert len(saved) == 1 and str(saved[0]) in printed[0]
    assert b"Body" in saved[0].read_bytes()


@pytest.mark.django_db
def test_the_logins_are_the_last_thing_printed():
    out = io.StringIO()
    DemoCommand(stdout=out).print_welcome("127.0.0.1", 8000)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert lines[-1] == "Press Ctrl-C to stop."
    assert "support@example.com" in lines[-2]
    assert lines.index("Sign in with (demo passwords, public on purpose):") == len(lines) - 8


def test_the_demo_runs_its_processes_at_warning_level(monkeypatch):
    monkeypatch.delenv("PAYDESK_LOG_LEVEL", raising=False)
    assert DemoCommand().child_environment("127.0.0.1")["PAYDESK_LOG_LEVEL"] == "WARNING"
