"""A readable name for the browser and device of a session ("Firefox 133 on Windows", "Safari on
iPhone") from its User-Agent string, for "Your sessions".

The parsing is ua-parser's (the uap-core rules, kept up to date by its community); this module
only words the result. It never raises and never guesses: a string it cannot read gives "", and
the page then says "Unknown device" (the raw string stays beside it for the curious).
"""

from __future__ import annotations

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
