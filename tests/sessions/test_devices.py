""" "Your sessions" names each device in words, from real browsers' User-Agent strings (parsed by
ua-parser): the browser and its major version on the system or the Apple device; Safari without
a version (it is the system's); nothing at all for a string no rule reads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from paydesk.sessions.devices import device_name

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
CHROME_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "name"),
    [
        (FIREFOX_WINDOWS, "Firefox 133 on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (CHROME_ANDROID, "Chrome 131 on Android"),
        (SAFARI_MAC, "Safari on macOS"),
        (EDGE_WINDOWS, "Edge 131 on Windows"),
        (CHROME_IPAD, "Chrome 131 on iPad"),
        ("Mozilla/5.0 (Windows NT 10.0)", "A browser on Windows"),
        ("curl/8.4.0", "curl 8"),
    ],
)
def test_a_known_user_agent_reads_as_browser_on_device(user_agent, name):
    assert device_name(user_agent) == name


@pytest.mark.parametrize("user_agent", ["", "Mozilla/5.0", "Firefox on the laptop"])
def test_a_string_no_rule_reads_gives_no_name(user_agent):
    assert device_name(user_agent) == ""


def _ua_parser_ready_after(start: str) -> bool:
    """Whether ua-parser's global parser (built on first use) exists once `start` has run in a
    fresh Python process with this test run's settings (DJANGO_SETTINGS_MODULE, which
    pytest-django puts in the environment the process inherits)."""
    code = f"{start}\nimport ua_parser\nprint('parser' in vars(ua_parser))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip() == "True"


def test_a_web_server_process_builds_the_rules_before_its_first_request():
    """paydesk.wsgi (gunicorn's entry, and runserver's through WSGI_APPLICATION) builds
    ua-parser's rules as the process starts, so the first "Your sessions" page does not wait
    for them; Django set up for any other command (and this module imported) does not."""
    assert not _ua_parser_ready_after(
        "import django\ndjango.setup()\nimport paydesk.sessions.devices"
    )
    assert _ua_parser_ready_after("import paydesk.wsgi")
