"""A readable name for the browser and device of a session ("Firefox 133 on Windows", "Safari on
iPhone") from its User-Agent string, for "Your sessions".

The parsing is ua-parser's (the uap-core rules, kept up to date by its community); this module
only words the result. It never raises and never guesses: a string it cannot read gives "", and
the page then says "Unknown device" (the raw string stays beside it for the curious).

ua-parser builds its rules on its first parse (~150 ms): `device_names_prepare` builds them when
a web server process starts (paydesk/wsgi.py), so no request pays for it.
"""

from __future__ import annotations

import ua_parser
from django.utils.translation import gettext as _
from ua_parser import parse

# ua-parser's names for a browser's mobile build: a person knows it by the browser's own name.
BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "HeadlessChrome": "Headless Chrome",
}
# Safari's version is the system's (Apple ships one with the other): the device already says it.
UNVERSIONED = {"Safari"}
SYSTEM_NAMES = {"Mac OS X": "macOS"}
# On these the device says more than the system ("iOS"): an iPhone, an iPad.
APPLE_DEVICES = {"iPhone", "iPad", "iPod"}


def device_names_prepare() -> None:
    """Build ua-parser's rules now (its global parser, built on first use) and read one string
    with them, so that the first "Your sessions" page after a start does not wait for them."""
    ua_parser.parser.parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Firefox/133.0")


def device_name(user_agent: str) -> str:
    """ "Firefox 133 on Windows", "Safari on iPhone", "Chrome 131 on Android"; "" if unreadable."""
    result = parse(user_agent or "")
    browser = ""
    if result.user_agent is not None:
        browser = BROWSER_NAMES.get(result.user_agent.family, result.user_agent.family)
        if result.user_agent.major and browser not in UNVERSIONED:
            browser = f"{browser} {result.user_agent.major}"
    system = ""
    if result.device is not None and result.device.family in APPLE_DEVICES:
        system = result.device.family
    elif result.os is not None:
        system = SYSTEM_NAMES.get(result.os.family, result.os.family)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if system:
        return _("A browser on %(system)s") % {"system": system}
    return browser
