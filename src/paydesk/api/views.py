"""The API key pages: list, create (the key is shown once, in the answer to the POST), revoke.

For portal users (keys act for their own customer) and staff (keys carry the staff member's
role; creating one needs a session that passed a second factor). Thin: the work is in
paydesk.api.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from paydesk.api.forms import ApiKeyForm
from paydesk.api.models import ApiKey
from paydesk.api.services import api_key_create, api_key_revoke
from paydesk.errors import PaydeskError
from paydesk.twofactor.selectors import second_factor_satisfied, session_verified


def _may_have_keys(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_staff or getattr(user, "customer_id", None))


def _may_create_keys(request: HttpRequest) -> bool:
    """A key must not be a way around two-factor sign-in: a staff key needs a session that passed
    a second factor (the middleware already holds back a session that owes one)."""
    if request.user.is_staff:
        return session_verified(request)
    return second_factor_satisfied(request)


@login_required
@require_http_methods(["GET", "POST"])
def key_list(request: HttpRequest) -> HttpResponse:
    if not _may_have_keys(request):
        return render(
            request,
            "portal/refused.html",
            {"message": _("Your sign-in is not linked to a customer account.")},
            status=403,
        )
    assert request.user.is_authenticated  # @login_required
    form = ApiKeyForm(request.POST or None, user=request.user)
    created = None
    needs_second_factor = not _may_create_keys(request)
    if request.method == "POST" and needs_second_factor:
        form.add_error(None, _("Set up two-factor sign-in before creating a staff API key."))
    elif request.method == "POST" and form.is_valid():
        try:
            key, plain = api_key_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except PaydeskError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            created = {"key": key, "plain": plain}
            form = ApiKeyForm(user=request.user)
    keys = ApiKey.objects.filter(user=request.user).order_by("-created_at", "-id")
    status = 201 if created else 200
    if request.method == "POST" and needs_second_factor:
        status = 403
    response = render(
        request,
        "api/keys.html",
        {
            "form": form,
            "keys": keys,
            "created": created,
            "nav": "api_keys",
            "needs_second_factor": needs_second_factor,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assert request.user.is_authenticated  # @login_required
    key = ApiKey.objects.filter(pk=pk, user=request.user).first()
    if key is None:
        raise Http404
    api_key_revoke(key=key, actor=request.user)
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": key.name})
    return redirect("apikeys:list")
