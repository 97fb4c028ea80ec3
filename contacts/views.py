"""Residents' "my data" pages: what each organisation holds, and the consents they gave."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from contacts.forms import MyDataRequestForm
from contacts.models import DataRequest
from contacts.services.gdpr import data_request_create
from contacts.services.my_data import (
    consent_choices,
    contacts_for_user,
    my_data_consents_update,
    my_data_contacts_from_token,
    my_data_link_request,
)


def _page(request: HttpRequest, contacts, *, token: str = "") -> HttpResponse:
    contacts = list(contacts.select_related("organisation", "area").prefetch_related("tags"))
    if request.method == "POST":
        chosen_contact = next(
            (contact for contact in contacts if str(contact.pk) == request.POST.get("contact")),
            None,
        )
        if chosen_contact is None:
            raise Http404  # a contact the visitor may not manage: say nothing about it
        kind = request.POST.get("request")
        if kind in DataRequest.Kind.values:
            data_request_create(contact=chosen_contact, kind=kind)
            messages.success(
                request,
                _(
                    "%(organisation)s has your request and will answer it within one month, "
                    "by e-mail."
                )
                % {"organisation": chosen_contact.organisation.name},
            )
            return redirect(request.path)
        chosen = {int(value) for value in request.POST.getlist("purposes") if value.isdigit()}
        changes = my_data_consents_update(contact=chosen_contact, chosen=chosen)
        messages.success(
            request,
            _("Your choices for %(organisation)s are saved.")
            % {"organisation": chosen_contact.organisation.name}
            if changes
            else _("Nothing needed to change."),
        )
        return redirect(request.path)
    records = [
        {
            "contact": contact,
            "consents": consent_choices(contact),
            "activities": contact.activities.all()[:50],
        }
        for contact in contacts
    ]
    return render(request, "contacts/my_data.html", {"records": records, "token": token})


@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return _page(request, contacts_for_user(request.user))
    form = MyDataRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        my_data_link_request(email=form.cleaned_data["email"])
        return redirect("contacts:my_data_sent")
    return render(request, "contacts/my_data_request.html", {"form": form})


@require_safe
def my_data_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "contacts/my_data_sent.html")


@require_http_methods(["GET", "POST"])
def my_data_link(request: HttpRequest, token: str) -> HttpResponse:
    contacts = my_data_contacts_from_token(token)
    if contacts is None:
        return render(request, "contacts/my_data_link_expired.html", status=410)
    return _page(request, contacts, token=token)
