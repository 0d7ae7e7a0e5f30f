"""The brand's public files: the logo and a one-rule style sheet with the primary colour.

Both are cacheable under a version in their URL. An SVG logo is served with a policy that lets
nothing in it run or load (it was also refused at upload if it held a script: provider/brand.py).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from paydesk.provider.models import Brand

LOGO_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
CACHE = "public, max-age=31536000, immutable"


@require_GET
def logo(request: HttpRequest, version: int) -> HttpResponse:
    row = Brand.objects.filter(pk=1, logo_version=version).exclude(logo_type="").first()
    if row is None or not row.logo:
        raise Http404("No such logo (an older version, or none).")
    response = HttpResponse(bytes(row.logo), content_type=row.logo_type)
    response["Content-Security-Policy"] = LOGO_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE
    return response


@require_GET
def stylesheet(request: HttpRequest, version: str) -> HttpResponse:
    """`version` is the colour's six digits: any other is 404 (and caches never mix two)."""
    colour = Brand.objects.filter(pk=1).values_list("primary_colour", flat=True).first() or ""
    if not colour or colour != f"#{version}":
        raise Http404("Not the brand's colour.")
    response = HttpResponse(
        f":root {{ --brand: {colour}; }}\n", content_type="text/css; charset=utf-8"
    )
    response["Cache-Control"] = CACHE
    return response
