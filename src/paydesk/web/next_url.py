"""The page to go back to after a form (`next`), when it is a path on this site.

A `next` that is not a path — another host, a bare word, control characters — must never reach
`redirect()`: a bare word is taken for a URL name there (a 500), control characters end up in a
Location header. Such a value is dropped, and the caller's own page is used instead.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_url_local(request: HttpRequest, candidate: str) -> str:
    """`candidate` when it is a path on this site without control characters, else ""."""
    if not candidate.startswith("/") or any(ord(c) < 32 or ord(c) == 127 for c in candidate):
        return ""
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return candidate
