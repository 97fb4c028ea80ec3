"""What participatory budgets hold about a contact, for their copy of their data and for
erasure (registered with contacts.gdpr_registry in BudgetsConfig.ready).

Ideas and supports belong to a contact through their account: the one the contact is linked to,
or one with the contact's address, in the contact's organisation.

Erasure keeps every support and ballot (the counts stay true) and removes whose it was; a copy
of their data says that they voted in a budget, never how. An idea the person
proposed stays, since others supported it and it may be on the ballot, but no longer names them:
the link to its proposer goes, a description that names them is replaced whole (what is around a
name tells who they are as well), and the title and the image description keep their words with
the mention replaced.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from budgets.models import Ballot, Elector, Idea, Milestone, Project, Support
from budgets.pabulib_io import election_files_forget
from budgets.services import idea_purpose_name
from civic.files import delete_after_commit
from contacts.gdpr_registry import identifying_terms, mentions, names_them, redact, theirs
from contacts.models import ConsentPurpose, Contact

# Shown on the idea's page in place of a description that named the person who proposed it.
ERASED_TEXT = _(
    "This description was removed because the person who proposed the idea asked for their "
    "personal data to be erased."
)


def _ideas(contact: Contact):
    return Idea.objects.filter(
        theirs("proposer", contact),
        process__department__organisation_id=contact.organisation_id,
    )


def _supports(contact: Contact):
    return Support.objects.filter(
        theirs("user", contact),
        idea__process__department__organisation_id=contact.organisation_id,
    )


def _ballots(contact: Contact):
    return Ballot.objects.filter(
        theirs("voter", contact),
        budget__process__department__organisation_id=contact.organisation_id,
    )


def _electors(contact: Contact):
    return Elector.objects.filter(
        theirs("user", contact),
        process__department__organisation_id=contact.organisation_id,
    )


def export_ideas(contact: Contact) -> list[dict]:
    rows = [
        {
            "process": idea.process.title,
            "idea": idea.title,
            "what": "proposed it",
            "when": idea.created_at.isoformat(),
            "description": idea.description,
            "estimated cost (pounds)": idea.estimated_cost,
            "status": idea.get_status_display(),
        }
        for idea in _ideas(contact).select_related("process").order_by("pk")
    ]
    rows += [
        {
            "process": support.idea.process.title,
            "idea": support.idea.title,
            "what": "supported it",
            "when": support.created_at.isoformat(),
        }
        for support in _supports(contact).select_related("idea__process").order_by("pk")
    ]
    # That they voted, never how.
    rows += [
        {
            "process": ballot.budget.process.title,
            "idea": "",
            "what": f"voted in the budget {ballot.budget.name}",
            "when": ballot.submitted_at.isoformat(),
        }
        for ballot in _ballots(contact).select_related("budget__process", "budget__area")
    ]
    # The area they vote as in each process (their postcode is not kept).
    rows += [
        {
            "process": elector.process.title,
            "idea": "",
            "what": f"votes as a resident of {elector.area.name}",
            "when": elector.created_at.isoformat(),
        }
        for elector in _electors(contact).select_related("process", "area").order_by("pk")
    ]
    return rows


def _withdraw_open_votes(contact: Contact) -> int:
    """Ballots in a vote still open are withdrawn with their voter's area: kept without who cast
    them, they would count once more if the same person voted again before it closes, and
    nothing could tell the two apart."""
    now = timezone.now()
    open_processes = {
        ballot.budget.process_id
        for ballot in _ballots(contact).select_related("budget__process")
        if not ballot.budget.process.voting_closed(now)
    }
    open_processes |= {
        elector.process_id
        for elector in _electors(contact).select_related("process")
        if not elector.process.voting_closed(now)
    }
    if not open_processes:
        return 0
    ballots = _ballots(contact).filter(budget__process_id__in=open_processes)
    electors = _electors(contact).filter(process_id__in=open_processes)
    withdrawn = ballots.count() + electors.count()
    ballots.delete()
    electors.delete()
    return withdrawn


def erase_ideas(contact: Contact) -> int:
    terms = identifying_terms(contact)
    erased = _withdraw_open_votes(contact)
    # Once voting has closed, the area they voted as stays with their ballots' count, no longer
    # theirs.
    erased += (
        _supports(contact).update(user=None)
        + _ballots(contact).update(voter=None)
        + _electors(contact).update(user=None)
    )
    redacted: set[int] = set()
    for idea in _ideas(contact):
        if names_them(idea.description, terms):
            idea.description = str(ERASED_TEXT)
        idea.title = redact(idea.title, terms)[:100]
        # The council's public reason may name them too. Their picture goes with them (it can
        # show them, and a photo's file can carry where and by whom it was taken).
        idea.reason = redact(idea.reason, terms)
        if idea.image:
            delete_after_commit(idea.image)
        idea.image = ""
        idea.image_alt = ""
        idea.proposer = None
        idea.save(
            update_fields=["description", "title", "reason", "image", "image_alt", "proposer"]
        )
        # The consent purpose "news about the idea" quotes its title: it loses the mention too.
        ConsentPurpose.objects.filter(
            organisation_id=contact.organisation_id,
            content_type=ContentType.objects.get_for_model(Idea),
            object_id=str(idea.pk),
        ).update(name=redact(idea_purpose_name(idea), terms)[:200])
        erased += 1
        redacted.add(idea.process_id)
    # Their ideas' titles are in the processes' kept Pabulib files: drawn again from now on.
    transaction.on_commit(lambda: election_files_forget(redacted))
    return erased + _erase_project_mentions(contact, terms)


# Building the winning projects: the council's words about a project (a cancellation's reason, a
# milestone) are not the person's, but may name them; only the mention is replaced. --------------


def _erase_project_mentions(contact: Contact, terms: list[str]) -> int:
    in_organisation = contact.organisation_id
    projects = Project.objects.filter(
        mentions("reason", contact), idea__process__department__organisation_id=in_organisation
    )
    changed = 0
    for project in projects:
        project.reason = redact(project.reason, terms)
        project.save(update_fields=["reason"])
        changed += 1
    milestones = Milestone.objects.filter(
        mentions("title", contact)
        | mentions("description", contact)
        | mentions("photo_alt", contact),
        project__idea__process__department__organisation_id=in_organisation,
    )
    for milestone in milestones:
        milestone.title = redact(milestone.title, terms)[:200]
        milestone.description = redact(milestone.description, terms)
        milestone.photo_alt = redact(milestone.photo_alt, terms)[:300]
        milestone.save(update_fields=["title", "description", "photo_alt"])
        changed += 1
    return changed
