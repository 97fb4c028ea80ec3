"""The unsubscribe page: its GET changes nothing (mail scanners follow links), its POST does."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailing.services import unsubscribe, unsubscribe_target


# The token in the address is the authority, and mail programs send the one-click POST without
# any cookie (RFC 8058), so this view cannot ask for a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    target = unsubscribe_target(token)
    if target is None:
        return render(request, "mailing/unsubscribe_invalid.html", status=404)
    contact, purpose = target
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        unsubscribe(contact=contact, purpose=purpose, method="One-click unsubscribe (RFC 8058)")
        return HttpResponse("Unsubscribed\n", content_type="text/plain; charset=utf-8")
    error = ""
    if request.method == "POST":
        choice = request.POST.get("scope")
        if choice in {"purpose", "everything"}:
            unsubscribe(
                contact=contact,
                purpose=purpose if choice == "purpose" else None,
                method="Unsubscribe page",
            )
            return render(
                request,
                "mailing/unsubscribe_done.html",
                {"purpose": purpose, "everything": choice == "everything", "contact": contact},
            )
        error = "missing"
    return render(
        request,
        "mailing/unsubscribe.html",
        {"purpose": purpose, "contact": contact, "error": error},
        status=200,
    )
