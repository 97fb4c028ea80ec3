"""An event's pages for the day and after, in the admin: checking people in from a phone (the
list by name, the code from the confirmation e-mail, walk-ins) and the outcome, with its check
before it is published. Plain forms that work without JavaScript; a mixin of EventAdmin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic.admin_base import refusal_text
from civic.forms import service_errors_onto
from civic.validators import validate_upload
from events.models import Event, Outcome, Registration
from events.services import checkin, outcomes

CHECK_IN = "events.check_in_event"
PUBLISH_OUTCOME = "events.publish_outcome"
DOCUMENT_TYPES = (".pdf", ".docx", ".odt", ".xlsx", ".ods", ".csv", ".txt", ".png", ".jpg")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Check-in code"),
        max_length=20,
        help_text=gettext_lazy("The 6 letters and numbers in the confirmation e-mail."),
        error_messages={
            "required": gettext_lazy("Enter the check-in code from the confirmation e-mail")
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search by name"), max_length=100, required=False)


class WalkInForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        error_messages={"required": gettext_lazy("Enter their name")},
    )
    email = forms.CharField(
        label=gettext_lazy("E-mail address (optional)"),
        max_length=300,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    postcode = forms.CharField(
        label=gettext_lazy("Postcode (optional)"), max_length=10, required=False
    )
    hears_about_events = forms.BooleanField(
        label=gettext_lazy("They would like to hear about the council's future events"),
        required=False,
        help_text=gettext_lazy("Only tick this if they have said yes. It needs their e-mail."),
    )


class OutcomeForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=gettext_lazy("What was said and what happens next, in a few sentences."),
        error_messages={"required": gettext_lazy("Enter a summary of what came of the event")},
    )
    minutes = forms.CharField(
        label=gettext_lazy("Minutes (optional)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50000,
        required=False,
    )
    document = forms.FileField(
        label=gettext_lazy("Add a document (optional)"),
        required=False,
        help_text=gettext_lazy("For example the minutes as a PDF or the slides shown."),
    )
    document_title = forms.CharField(
        label=gettext_lazy("Document title"), max_length=200, required=False
    )

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            validate_upload(document, allowed=DOCUMENT_TYPES)
        return document

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("document") and not (cleaned.get("document_title") or "").strip():
            self.add_error("document_title", _("Enter a title for the document"))
        return cleaned


class EventDayMixin:
    """Check-in and outcome pages of EventAdmin (which lists `day_pages()` in admin_pages)."""

    def day_pages(self):
        return [
            self.page_path("<int:object_id>/check-in/", self.check_in_view, "check_in"),
            self.page_path("<int:object_id>/check-in/walk-in/", self.walk_in_view, "walk_in"),
            self.page_path("<int:object_id>/outcome/", self.outcome_view, "outcome"),
            self.page_path(
                "<int:object_id>/outcome/publish/", self.outcome_publish_view, "outcome_publish"
            ),
        ]

    def day_links(self, request, event: Event) -> dict[str, str]:
        links = {}
        if event.status == Event.Status.PUBLISHED and request.user.has_perm(CHECK_IN, event):
            links["check_in_url"] = self._url("check_in", event)
        if event.status == Event.Status.PUBLISHED and request.user.has_perm(PUBLISH_OUTCOME, event):
            links["outcome_url"] = self._url("outcome", event)
        return links

    # Check-in ------------------------------------------------------------------------------------

    def _checkin_event(self, request, object_id) -> Event:
        event = self.page_object(request, object_id, permission=CHECK_IN)
        if event.status != Event.Status.PUBLISHED:
            raise Http404(_("Only a published event has people to check in."))
        return event

    def check_in_view(self, request, object_id):
        event = self._checkin_event(request, object_id)
        here = self._url("check_in", event)
        search = SearchForm(request.GET or None)
        query = search.cleaned_data["q"].strip() if search.is_valid() else ""
        back = here + (("?" + urlencode({"q": query})) if query else "")
        code_form = CodeForm()
        if request.method == "POST":
            action = request.POST.get("action")
            if action == "code":
                code_form = CodeForm(request.POST)
                if code_form.is_valid():
                    try:
                        found = checkin.code_find(
                            actor=request.user, event=event, code=code_form.cleaned_data["code"]
                        )
                        self._mark(request, found, attended=True)
                    except ValidationError as error:
                        service_errors_onto(code_form, error)
                    else:
                        return redirect(back)
            elif action in ("attend", "undo"):
                registration = (
                    Registration.objects.filter(
                        event=event, pk=request.POST.get("registration")
                    ).first()
                    if str(request.POST.get("registration", "")).isdigit()
                    else None
                )
                if registration is None:
                    messages.error(request, _("That booking is not on this event's list."))
                else:
                    registration.event = event
                    try:
                        self._mark(request, registration, attended=action == "attend")
                    except ValidationError as error:
                        messages.error(request, refusal_text(error))
                return redirect(back)
        people = Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
        if query:
            people = people.filter(name__icontains=query)
        counts = checkin.attendance_counts(event)
        return self.page_response(
            request,
            "admin/events/event/check_in.html",
            {
                "title": _("Check in: %(title)s") % {"title": event.title},
                "event": event,
                "original": event,
                "form": code_form,
                "search": search,
                "query": query,
                "people": people.order_by("name", "pk"),
                "counts": counts,
                "back_url": self._url("change", event),
                "walk_in_url": self._url("walk_in", event),
            },
        )

    def _mark(self, request, registration: Registration, *, attended: bool) -> None:
        checkin.attendance_mark(
            actor=request.user, registration=registration, attended=attended, now=timezone.now()
        )
        words = _("%(name)s is checked in.") if attended else _("%(name)s is no longer checked in.")
        messages.success(request, words % {"name": registration.name})

    def walk_in_view(self, request, object_id):
        event = self._checkin_event(request, object_id)
        form = WalkInForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                added = checkin.walk_in_add(actor=request.user, event=event, **form.cleaned_data)
            except ValidationError as error:
                service_errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is added as a walk-in and checked in.")
                    % {"name": added.registration.name},
                )
                if added.over_capacity:
                    messages.warning(
                        request,
                        _(
                            "The event is now over its capacity: %(used)s places in person are "
                            "taken of %(capacity)s."
                        )
                        % {"used": added.places_in_use, "capacity": event.in_person_capacity},
                    )
                return redirect(self._url("check_in", event))
        return self.page_response(
            request,
            "admin/events/event/walk_in.html",
            {
                "title": _("Add a walk-in"),
                "event": event,
                "original": event,
                "form": form,
                "back_url": self._url("check_in", event),
                "event_url": self._url("change", event),
            },
        )

    # The outcome ---------------------------------------------------------------------------------

    def outcome_view(self, request, object_id):
        event = self.page_object(request, object_id, permission=PUBLISH_OUTCOME)
        outcome = Outcome.objects.filter(event=event).first()
        initial = {"summary": outcome.summary, "minutes": outcome.minutes} if outcome else {}
        form = OutcomeForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                outcomes.outcome_save(
                    actor=request.user,
                    event=event,
                    summary=form.cleaned_data["summary"],
                    minutes=form.cleaned_data["minutes"],
                    document=form.cleaned_data.get("document"),
                    document_title=form.cleaned_data.get("document_title", ""),
                )
            except ValidationError as error:
                service_errors_onto(form, error)
            else:
                messages.success(request, _("The outcome is saved."))
                return redirect(self._url("outcome", event))
        return self.page_response(
            request,
            "admin/events/event/outcome.html",
            {
                "title": _("Outcome: %(title)s") % {"title": event.title},
                "event": event,
                "original": event,
                "outcome": outcome,
                "documents": list(outcome.documents.all()) if outcome else [],
                "form": form,
                "back_url": self._url("change", event),
                "publish_url": self._url("outcome_publish", event),
            },
        )

    def outcome_publish_view(self, request, object_id):
        event = self.page_object(request, object_id, permission=PUBLISH_OUTCOME)
        outcome = Outcome.objects.filter(event=event).first()
        outcome_url = self._url("outcome", event)
        published = outcome is not None and outcome.published_at is not None
        problems = self._outcome_problems(event, outcome, outcome_url)
        if request.method == "POST" and not problems and not published:
            try:
                outcome = outcomes.outcome_publish(
                    actor=request.user, event=event, now=timezone.now()
                )
            except ValidationError as error:
                problems = [{"message": message, "url": outcome_url} for message in error.messages]
            else:
                messages.success(
                    request,
                    _(
                        "The outcome is published on the event's page. %(count)s people who "
                        "came and asked to hear from the council will be thanked by e-mail."
                    )
                    % {"count": outcome.thanked},
                )
                return redirect(outcome_url)
        thanked = outcomes.thanked_contacts(event).count() if not problems else 0
        return self.page_response(
            request,
            "admin/events/event/outcome_publish.html",
            {
                "title": _("Publish the outcome: %(title)s") % {"title": event.title},
                "event": event,
                "original": event,
                "status_words": _("Published") if published else _("Not published"),
                "problems": problems,
                "refused": [_("The outcome is already published.")] if published else [],
                "ready": not problems and not published,
                "back_url": outcome_url,
                "back_label": _("Back to the outcome"),
                "problems_title": _("The outcome cannot be published yet"),
                "summary_heading": _("What happens when you publish"),
                "residents_see": [
                    _(
                        "Residents can read the summary, the minutes and the documents on the "
                        "event's page and in the list of past events at once."
                    ),
                    ngettext(
                        "%(count)s person who came and asked to hear about the council's "
                        "events will be sent a thank-you with the summary, once.",
                        "%(count)s people who came and asked to hear about the council's "
                        "events will be sent a thank-you with the summary, once.",
                        thanked,
                    )
                    % {"count": thanked},
                ],
                "preview_url": reverse("events:event", args=[event.pk]),
                "preview_label": _("See the event's page"),
                "confirm_question": _(
                    "Are you sure you want to publish it? You can correct its words later, "
                    "but the thank-you is sent only once."
                ),
                "confirm_label": _("Publish the outcome"),
            },
        )

    def _outcome_problems(self, event, outcome, outcome_url) -> list[dict[str, str]]:
        found = outcomes.outcome_problems(event, outcome, now=timezone.now())
        where = {"summary": f"{outcome_url}#id_summary", "event": self._url("change", event)}
        return [{"message": message, "url": where[key]} for key, message in found.items()]
