"""What an officer does to a petition from its page in the admin, apart from the model admin.

Opening a petition's page takes the moderation lock for the officer (services.moderation_lock):
while another moderator holds it the page is read only and offers nothing to do, and the services
refuse anyway. Each action is a form on the petition's page that posts to a page of its own,
/admin/petitions/petition/<id>/<action>/, which calls one service; a refusal is drawn again on
that page next to the field it is about, never a server error, and the page works without
JavaScript. Invalidation strikes out signatures in two steps (count, then confirm).

    ACTIONS                  each action: its form, its permission, the statuses it applies to,
                             the service it calls and the message when it is done
    PetitionActionsMixin     the lock and the pages of the actions, for PetitionAdmin
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic.admin_base import AdminPagesMixin
from civic.formatting import day
from civic.forms import service_errors_onto
from petitions import services
from petitions.admin_forms import (
    DebateDateForm,
    DebateOutcomeForm,
    HideForm,
    InvalidationForm,
    PublishForm,
    RejectForm,
    RemoveForm,
    ResponseForm,
)
from petitions.models import Petition

Status = Petition.Status
MODERATE = "petitions.moderate_petition"
RESPOND = "petitions.respond_petition"


@dataclass(frozen=True)
class Action:
    """One thing an officer does to a petition from its page: a form and the service it calls."""

    name: str
    form: type[forms.Form]
    heading: str
    button: str
    permission: str
    statuses: frozenset
    run: Callable  # (actor, petition, cleaned_data) -> Petition
    done: Callable  # (petition) -> the success message
    # After a decision the moderator goes back to the queue; after an answer, to the petition.
    back_to_queue: bool = False
    intro: str = ""
    # An answer's form starts with what is published already: the petition's values of the
    # form's fields, which are named as the petition's.
    prefilled: bool = False


ACTIONS = [
    Action(
        name="publish",
        form=PublishForm,
        heading=gettext_lazy("Publish"),
        button=gettext_lazy("Publish the petition"),
        permission=MODERATE,
        statuses=frozenset({Status.PENDING}),
        run=lambda actor, petition, data: services.petition_publish(actor=actor, petition=petition),
        done=lambda petition: (
            _("“%(title)s” is published and open until %(date)s. Its creator is told by e-mail.")
            % {"title": petition.title, "date": day(petition.closes_at)}
        ),
        back_to_queue=True,
        intro=gettext_lazy("Anyone can read and sign it at once. Its creator is told by e-mail."),
    ),
    Action(
        name="reject",
        form=RejectForm,
        heading=gettext_lazy("Reject"),
        button=gettext_lazy("Reject the petition"),
        permission=MODERATE,
        statuses=frozenset({Status.PENDING}),
        run=lambda actor, petition, data: services.petition_reject(
            actor=actor,
            petition=petition,
            reason=data["rejection_reason"],
            explanation=data["rejection_details"],
            hide=data["hide"],
        ),
        done=lambda petition: (
            (
                _("“%(title)s” is rejected and hidden. Its creator is told why by e-mail.")
                if petition.status == Status.HIDDEN
                else _("“%(title)s” is rejected. Its creator is told why by e-mail.")
            )
            % {"title": petition.title}
        ),
        back_to_queue=True,
    ),
    Action(
        name="hide",
        form=HideForm,
        heading=gettext_lazy("Hide for legal reasons"),
        button=gettext_lazy("Hide the petition"),
        permission=MODERATE,
        statuses=frozenset({Status.REJECTED}),
        run=lambda actor, petition, data: services.petition_hide(actor=actor, petition=petition),
        done=lambda petition: _("“%(title)s” is hidden.") % {"title": petition.title},
        back_to_queue=True,
        intro=gettext_lazy("The rejected petition and its reason are no longer shown on the site."),
    ),
    Action(
        name="respond",
        form=ResponseForm,
        heading=gettext_lazy("The council's response"),
        button=gettext_lazy("Publish the response"),
        permission=RESPOND,
        statuses=frozenset({Status.OPEN}),
        run=lambda actor, petition, data: services.response_publish(
            actor=actor, petition=petition, text=data["response"]
        ),
        done=lambda petition: (
            _("The council's response to “%(title)s” is published.") % {"title": petition.title}
        ),
        prefilled=True,
    ),
    Action(
        name="debate_date",
        form=DebateDateForm,
        heading=gettext_lazy("Schedule the debate"),
        button=gettext_lazy("Save the date of the debate"),
        permission=RESPOND,
        statuses=frozenset({Status.OPEN}),
        run=lambda actor, petition, data: services.debate_schedule(
            actor=actor, petition=petition, when=data["debate_date"]
        ),
        done=lambda petition: (
            _("“%(title)s” is to be debated on %(date)s.")
            % {"title": petition.title, "date": day(petition.debate_date)}
        ),
        prefilled=True,
    ),
    Action(
        name="debate_outcome",
        form=DebateOutcomeForm,
        heading=gettext_lazy("The outcome of the debate"),
        button=gettext_lazy("Publish the outcome"),
        permission=RESPOND,
        statuses=frozenset({Status.OPEN}),
        run=lambda actor, petition, data: services.debate_publish(
            actor=actor,
            petition=petition,
            summary=data["debate_summary"],
            minutes_url=data["debate_minutes_url"],
            video_url=data["debate_video_url"],
        ),
        done=lambda petition: (
            _("The outcome of the debate on “%(title)s” is published.") % {"title": petition.title}
        ),
        prefilled=True,
    ),
    Action(
        name="remove",
        form=RemoveForm,
        heading=gettext_lazy("Remove"),
        button=gettext_lazy("Remove the petition"),
        permission=MODERATE,
        statuses=Petition.lifecycle.sources(Petition.Status.REMOVED),
        run=lambda actor, petition, data: services.petition_remove(
            actor=actor, petition=petition, reason=data["removed_reason"]
        ),
        done=lambda petition: (
            _("“%(title)s” is removed; its page now says it is gone.") % {"title": petition.title}
        ),
        back_to_queue=True,
    ),
]
ACTIONS_BY_NAME = {action.name: action for action in ACTIONS}


def _initial(action: Action, petition: Petition) -> dict:
    if not action.prefilled:
        return {}
    return {name: getattr(petition, name) for name in action.form.base_fields}


def _auto_id(action: Action) -> str:
    """Ids unique on the petition's page, where every action's form is drawn."""
    return f"{action.name.replace('_', '-')}-%s"


@dataclass(frozen=True)
class LockState:
    petition_id: int
    holder: object  # another moderator holding the petition, or None
    until: object


class PetitionActionsMixin(AdminPagesMixin):
    """The moderation lock, and the pages of a petition's actions and of invalidation."""

    # The lock -----------------------------------------------------------------------------------

    def _lock(self, request, petition: Petition) -> LockState:
        """Hold the petition for this moderator, or learn who else holds it (kept on the request
        for has_change_permission)."""
        holder = None
        may_hold = petition.status != Status.REMOVED and request.user.has_perm(MODERATE, petition)
        if may_hold and not services.moderation_lock(actor=request.user, petition=petition):
            holder = services.lock_holder(petition, actor=request.user)
        state = LockState(petition.pk, holder, petition.locked_until)
        request.petition_lock = state
        return state

    def _held_by_another(self, request, petition: Petition) -> bool:
        state = getattr(request, "petition_lock", None)
        if state is not None and state.petition_id == petition.pk:
            return state.holder is not None
        return services.lock_holder(petition, actor=request.user) is not None

    # Pages --------------------------------------------------------------------------------------

    def admin_pages(self):
        return [
            *(
                self.page_path(
                    f"<int:object_id>/{action.name.replace('_', '-')}/",
                    self.action_view,
                    action.name,
                    {"name": action.name},
                )
                for action in ACTIONS
            ),
            self.page_path("<int:object_id>/release/", self.release_view, "release"),
            self.page_path("<int:object_id>/invalidate/", self.invalidate_view, "invalidate"),
        ]

    def _url(self, name: str, petition: Petition) -> str:
        return reverse(f"{self.admin_site.name}:petitions_petition_{name}", args=[petition.pk])

    def _petition(self, request, object_id, *, permission: str = "") -> Petition:
        return self.page_object(request, object_id, permission=permission)

    def _render(self, request, template: str, petition: Petition, context: dict):
        return self.page_response(
            request,
            f"admin/petitions/petition/{template}",
            {
                "original": petition,
                "petition": petition,
                "change_url": self._url("change", petition),
                "has_view_permission": True,
                **context,
            },
        )

    def _offered(self, request, petition: Petition) -> list[dict]:
        """The actions this officer may take on the petition as it stands, with blank forms."""
        return [
            {
                "action": action,
                "url": self._url(action.name, petition),
                "form": action.form(initial=_initial(action, petition), auto_id=_auto_id(action)),
            }
            for action in ACTIONS
            if petition.status in action.statuses
            and request.user.has_perm(action.permission, petition)
        ]

    def action_view(self, request, object_id, name: str):
        action = ACTIONS_BY_NAME[name]
        petition = self._petition(request, object_id, permission=action.permission)
        form = action.form(initial=_initial(action, petition), auto_id=_auto_id(action))
        if request.method == "POST":
            form = action.form(request.POST, auto_id=_auto_id(action))
            if form.is_valid():
                try:
                    done = action.run(request.user, petition, form.cleaned_data)
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    messages.success(request, action.done(done))
                    if action.back_to_queue:
                        return redirect(f"{self.admin_site.name}:petitions_petition_changelist")
                    return redirect(self._url("change", petition))
        return self._render(
            request,
            "action.html",
            petition,
            {
                "title": f"{action.heading}: {petition.title}",
                "item": {"action": action, "url": self._url(action.name, petition), "form": form},
                "form": form,
            },
        )

    def release_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        petition = self._petition(request, object_id, permission=MODERATE)
        services.moderation_unlock(actor=request.user, petition=petition)
        messages.success(
            request,
            _("You let go of “%(title)s”: another moderator can take it now.")
            % {"title": petition.title},
        )
        return redirect(f"{self.admin_site.name}:petitions_petition_changelist")

    def invalidate_view(self, request, object_id):
        """Strike out signatures by address, network, domain, postcode or time: the first POST
        says how many match and changes nothing; the second, which names that number, does it.
        If the number has changed meanwhile, the officer is asked again."""
        petition = self._petition(request, object_id, permission=MODERATE)
        form = InvalidationForm()
        matching = None
        if request.method == "POST":
            form = InvalidationForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    invalidation = services.invalidation_clean(
                        ip=data["ip"],
                        domain=data["domain"],
                        postcode=data["postcode"],
                        since=data["since"],
                        until=data["until"],
                    )
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    matching = services.signatures_matching(petition, invalidation).count()
                    confirmed = request.POST.get("step") == "invalidate"
                    if confirmed and request.POST.get("expected") != str(matching):
                        messages.warning(
                            request,
                            _(
                                "The number of matching signatures has changed: check it and "
                                "confirm again."
                            ),
                        )
                    elif confirmed:
                        response = self._invalidate(request, petition, form, invalidation)
                        if response is not None:
                            return response
        return self._render(
            request,
            "invalidate.html",
            petition,
            {
                "title": _("Invalidate signatures: %(title)s") % {"title": petition.title},
                "form": form,
                "matching": matching,
            },
        )

    def _invalidate(self, request, petition, form, invalidation):
        try:
            changed = services.signatures_invalidate(
                actor=request.user,
                petition=petition,
                invalidation=invalidation,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            service_errors_onto(form, error)
            return None
        messages.success(
            request,
            ngettext(
                "%(count)d signature is invalidated and the petition counted again.",
                "%(count)d signatures are invalidated and the petition counted again.",
                changed,
            )
            % {"count": changed},
        )
        return redirect(self._url("invalidate", petition))
