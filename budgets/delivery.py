"""Building a participatory budget's winning projects: each winning idea becomes a project with a
status (planned, in progress, done, or cancelled with a public reason) and dated milestones with
how complete it is and an optional photo. Every officer action checks the permission to run the
process (the department's officers and the organisation's admins), is audited, and a change of
status is told, through the mailing engine's batched notice, only to people who consented:

    - those who asked to hear about the process's winning projects (budgets.services
      .winners_purpose, offered to voters), and
    - those who asked to hear about the idea itself (its proposer and supporters who ticked
      "Tell me about this idea's progress": budgets.services.idea_purpose),

each once, however many of the two they consented to. Nobody who did not consent, or withdrew
their consent before the worker runs, is told.

    delivery_start        the winners of a process become planned projects (idempotent)
    delivery_follow       after a count or a recount: the winners planned, and the planned projects
                          of ideas that no longer win removed (audited); one already under way is
                          kept, and `no_longer_winning` lists it for the officers
    delivery_status_set   an officer starts, finishes or cancels (with a reason) a project
    milestone_clean       the checks on a milestone's fields, shared with the admin's form
    milestone_add         an officer adds a dated milestone, with its percentage and photo
    milestone_change      ... changes one
    milestone_remove      ... or removes one
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets.models import Idea, Milestone, Process, Project
from budgets.services import (
    IMAGE_TYPES,
    _drawn,
    _existing_purpose,
    idea_url,
    process_url,
    winners_purpose,
)
from civic.files import delete_after_commit
from civic.models import AuditEntry, User
from civic.services import audit_record, require, state_move
from civic.validators import validate_upload
from mailing.services.notices import consenters_notify_after_commit

DELIVER = "budgets.deliver_project"
NOT_RUNNER = gettext_lazy("You do not run this budget process.")
TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 2000
ALT_LIMIT = 300
Status = Project.Status

# What the audit log says of each move.
SUMMARIES = {
    Status.IN_PROGRESS: "Started building the project",
    Status.DONE: "Marked the project done",
    Status.CANCELLED: "Cancelled the project",
}


# Telling the people who consented ---------------------------------------------------------------


def _tell_status(project: Project, template: str = "") -> None:
    """One notice, after the commit, to those who follow the project's idea or all the winners
    of its process, each once: of its status, or of `template`."""
    idea = project.idea
    process = idea.process
    subject, text = _drawn(
        template or f"project_{project.status}",
        project=project,
        idea=idea,
        process=process,
        url=idea_url(idea),
        reason=project.reason,
    )
    follows_idea = _existing_purpose(idea)
    consenters_notify_after_commit(
        purpose=winners_purpose(process),
        subject=subject,
        text=text,
        also=[follows_idea] if follows_idea is not None else [],
    )


def _tell_planned(process: Process, projects: list[Project]) -> None:
    """Those who follow all the winners hear of every newly planned project in one message;
    those who follow one of the ideas (and not all the winners) hear of theirs."""
    if not projects:
        return
    everyone = winners_purpose(process)
    subject, text = _drawn(
        "projects_planned",
        process=process,
        projects=[(project.idea, idea_url(project.idea)) for project in projects],
        url=process_url(process),
    )
    consenters_notify_after_commit(purpose=everyone, subject=subject, text=text)
    for project in projects:
        follows_idea = _existing_purpose(project.idea)
        if follows_idea is None:
            continue
        subject, text = _drawn(
            "project_planned",
            project=project,
            idea=project.idea,
            process=process,
            url=idea_url(project.idea),
        )
        consenters_notify_after_commit(
            purpose=follows_idea, subject=subject, text=text, leaving_out=[everyone]
        )


# Starting the building --------------------------------------------------------------------------


@transaction.atomic
def delivery_start(
    *,
    process: Process,
    ideas: Iterable[Idea],
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> list[Project]:
    """The winning `ideas` of `process` become planned projects, and the people who consented
    are told. Safe to call again with the same or more winners: an idea that is already a
    project is left as it is (one project per idea, kept by the database), and nobody hears of
    it twice. Called by the results worker (no actor), or by an officer (checked and named in
    the audit log). Returns the projects made by this call."""
    now = now or timezone.now()
    if actor is not None:
        require(actor, DELIVER, process, message=NOT_RUNNER)
    if not process.voting_closed(now):
        raise ValidationError(
            _("Winning projects are planned once voting has closed."), code="closed"
        )
    wanted = {idea.pk for idea in ideas}
    winners = list(
        Idea.objects.select_for_update(of=("self",))
        .filter(pk__in=wanted, process=process)
        .order_by("pk")
    )
    if len(winners) != len(wanted):
        raise ValidationError(_("Only ideas of this process can be its winning projects."))
    not_on_ballot = [idea.pk for idea in winners if idea.status != Idea.Status.ON_BALLOT]
    if not_on_ballot:
        raise ValidationError(
            _("Only ideas that were on the ballot can win: not idea %(numbers)s.")
            % {"numbers": ", ".join(f"#{number}" for number in not_on_ballot)}
        )
    # The ideas are locked, so no other call makes a project for them meanwhile; the unique
    # idea of a project is still the database's rule.
    existing = set(Project.objects.filter(idea__in=winners).values_list("idea_id", flat=True))
    made = Project.objects.bulk_create(
        [
            Project(idea=idea, status=Status.PLANNED, planned_at=now, status_changed_at=now)
            for idea in winners
            if idea.pk not in existing
        ]
    )
    for project in made:
        project.idea.process = process
        audit_record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=project,
            summary=f"Planned the winning project of idea #{project.idea_id}",
        )
    _tell_planned(process, made)
    return made


@dataclass(frozen=True)
class Followed:
    """What a count changed in the building: the projects planned, the ideas whose planned
    project was removed, and the projects kept though their idea no longer wins."""

    made: list[Project]
    removed: list[int]
    kept: list[Project]


@transaction.atomic
def delivery_follow(
    *, process: Process, ideas: Iterable[Idea], now: dt.datetime | None = None
) -> Followed:
    """The projects follow the latest count of `process` (its winning `ideas`), by the platform:
    each winner is planned (delivery_start), and a project whose idea no longer wins is removed
    while nothing has been done on it yet (planned, no milestone), audited, and those who were
    told it was planned are told it is not. One whose building has begun (in progress or done,
    or planned with a milestone) is kept as it is, for the officers to decide on (the process's
    results page in the admin lists it, from `no_longer_winning`); a cancelled one stays so."""
    ideas = list(ideas)
    made = delivery_start(process=process, ideas=ideas, now=now)
    # Locked, so no officer starts one or adds a milestone to it meanwhile.
    losing = list(
        _losing(process, {idea.pk for idea in ideas}).select_for_update(of=("self",)).order_by("pk")
    )
    begun = set(Milestone.objects.filter(project__in=losing).values_list("project_id", flat=True))
    removable = [
        project
        for project in losing
        if project.status == Status.PLANNED and project.pk not in begun
    ]
    for project in removable:
        # Those told it was planned hear that it is not, once each.
        _tell_status(project, "project_removed")
        audit_record(
            actor=None,
            action=AuditEntry.Action.DELETE,
            obj=project,
            summary=f"Removed the planned project of idea #{project.idea_id}: it no longer wins "
            "after the results were worked out again",
        )
    Project.objects.filter(pk__in=[project.pk for project in removable]).delete()
    kept = [
        project
        for project in losing
        if project not in removable and project.status != Status.CANCELLED
    ]
    return Followed(made=made, removed=[p.idea_id for p in removable], kept=kept)


def _losing(process: Process, winners: set[int]):
    """The process's projects whose idea is not among `winners`, in the budgets that have a
    result (a budget not counted yet has no say)."""
    return Project.objects.filter(
        idea__process=process, idea__budget__result__isnull=False
    ).exclude(idea_id__in=winners)


def no_longer_winning(process: Process, winners: Iterable[Idea]) -> list[Project]:
    """The process's projects kept after a count though their idea no longer wins: for the
    officers to decide on (cancel with a reason, or carry on)."""
    return list(
        _losing(process, {idea.pk for idea in winners})
        .exclude(status=Status.CANCELLED)
        .select_related("idea")
        .order_by("idea__title", "pk")
    )


# A project's status -----------------------------------------------------------------------------


def _locked_project(actor: User, idea: Idea) -> Project:
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("idea__process__department__organisation")
        .filter(idea_id=idea.pk)
        .first()
    )
    if project is None:
        # Only a winning idea is built; say so to whoever may run it, else what they may not do.
        require(actor, DELIVER, idea, message=NOT_RUNNER)
        raise ValidationError(_("This idea did not win, so it is not being built."))
    require(actor, DELIVER, project, message=NOT_RUNNER)
    return project


def _reason(reason: str, *, required: bool) -> str:
    reason = str(reason or "").strip()
    if required and not reason:
        raise ValidationError(
            {"reason": _("Enter why the project is cancelled, which is shown on its page")},
            code="required",
        )
    if len(reason) > DESCRIPTION_LIMIT:
        raise ValidationError(
            {
                "reason": _("The reason must be %(limit)s characters or fewer")
                % {"limit": DESCRIPTION_LIMIT}
            }
        )
    return reason


@transaction.atomic
def delivery_status_set(
    *, actor: User, idea: Idea, status: str, reason: str = "", now: dt.datetime | None = None
) -> Project:
    """Move the idea's project to `status` (in progress, done, or cancelled with a public
    reason) if its lifecycle allows, and tell the people who consented."""
    now = now or timezone.now()
    project = _locked_project(actor, idea)
    if status not in Status.values:
        raise ValidationError({"status": _("Choose one of the statuses")})
    cancelling = status == Status.CANCELLED
    reason = _reason(reason, required=cancelling)
    state_move(
        project,
        status,
        actor=actor,
        action=AuditEntry.Action.MODERATE,
        summary=SUMMARIES.get(status, f"Moved the project to {status}"),
        fields={"reason": reason if cancelling else project.reason, "status_changed_at": now},
    )
    _tell_status(project)
    return project


# Milestones -------------------------------------------------------------------------------------


def milestone_clean(
    *,
    date,
    title: str,
    description: str = "",
    percent_complete,
    photo=None,
    photo_alt: str = "",
    has_photo: bool = False,
) -> dict:
    """A milestone's fields, tidied, or a ValidationError naming each field to put right.
    `has_photo`: the milestone keeps a photo it already has (an alt text is still needed)."""
    errors: dict[str, ValidationError] = {}
    title = " ".join(str(title or "").split())
    description = str(description or "").strip()
    photo_alt = " ".join(str(photo_alt or "").split())
    if date is None:
        errors["date"] = ValidationError(_("Enter the date of the milestone"), code="required")
    if not title:
        errors["title"] = ValidationError(_("Enter a title for the milestone"), code="required")
    elif len(title) > TITLE_LIMIT:
        errors["title"] = ValidationError(
            _("The title must be %(limit)s characters or fewer") % {"limit": TITLE_LIMIT}
        )
    if len(description) > DESCRIPTION_LIMIT:
        errors["description"] = ValidationError(
            _("The description must be %(limit)s characters or fewer")
            % {"limit": DESCRIPTION_LIMIT}
        )
    if percent_complete in (None, ""):
        errors["percent_complete"] = ValidationError(
            _("Enter how complete the project is, from 0 to 100 per cent"), code="required"
        )
    else:
        try:
            percent_complete = int(percent_complete)
        except (TypeError, ValueError):
            percent_complete = -1
        if not 0 <= percent_complete <= 100:
            errors["percent_complete"] = ValidationError(
                _("Enter a whole number from 0 to 100"), code="invalid"
            )
    if photo:
        try:
            validate_upload(photo, allowed=IMAGE_TYPES)
        except ValidationError as error:
            errors["photo"] = error
    if (photo or has_photo) and not photo_alt:
        errors["photo_alt"] = ValidationError(
            _("Describe what the photo shows, for people who cannot see it"), code="required"
        )
    elif len(photo_alt) > ALT_LIMIT:
        errors["photo_alt"] = ValidationError(
            _("The description must be %(limit)s characters or fewer") % {"limit": ALT_LIMIT}
        )
    if errors:
        raise ValidationError(errors)
    return {
        "date": date,
        "title": title,
        "description": description,
        "percent_complete": percent_complete,
        "photo_alt": photo_alt if (photo or has_photo) else "",
    }


def _open_for_milestones(project: Project) -> None:
    if project.status == Status.CANCELLED:
        raise ValidationError(_("A cancelled project has no more milestones."), code="closed")


@transaction.atomic
def milestone_add(
    *,
    actor: User,
    idea: Idea,
    date: dt.date,
    title: str,
    percent_complete: int,
    description: str = "",
    photo=None,
    photo_alt: str = "",
) -> Milestone:
    project = _locked_project(actor, idea)
    _open_for_milestones(project)
    fields = milestone_clean(
        date=date,
        title=title,
        description=description,
        percent_complete=percent_complete,
        photo=photo,
        photo_alt=photo_alt,
    )
    milestone = Milestone.objects.create(project=project, **fields)
    if photo:
        milestone.photo.save(photo.name, photo, save=True)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=milestone,
        summary=f"Added a milestone to project #{project.pk} "
        f"({fields['percent_complete']}% complete)",
    )
    return milestone


@transaction.atomic
def milestone_change(
    *,
    actor: User,
    milestone: Milestone,
    date: dt.date,
    title: str,
    percent_complete: int,
    description: str = "",
    photo=None,
    photo_alt: str = "",
    photo_remove: bool = False,
) -> Milestone:
    """Change a milestone's fields; a new `photo` replaces the old one, `photo_remove` drops it."""
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    project = _locked_project(actor, locked.project.idea)
    _open_for_milestones(project)
    keeps_photo = bool(locked.photo) and not photo_remove and not photo
    fields = milestone_clean(
        date=date,
        title=title,
        description=description,
        percent_complete=percent_complete,
        photo=photo,
        photo_alt=photo_alt,
        has_photo=keeps_photo,
    )
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name, value in fields.items():
        setattr(locked, name, value)
    if (photo or photo_remove) and locked.photo:
        delete_after_commit(locked.photo)
        locked.photo = ""
        changed.append("photo")
    locked.save()
    if photo:
        locked.photo.save(photo.name, photo, save=True)
        changed.append("photo")
    if changed:
        audit_record(
            actor=actor,
            action=AuditEntry.Action.EDIT,
            obj=locked,
            summary=f"Changed the milestone's {', '.join(dict.fromkeys(changed))}",
        )
    return locked


@transaction.atomic
def milestone_remove(*, actor: User, milestone: Milestone) -> None:
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    project = _locked_project(actor, locked.project.idea)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        obj=locked,
        summary=f"Removed a milestone of project #{project.pk}",
    )
    if locked.photo:
        delete_after_commit(locked.photo)
    locked.delete()
