"""Building the winning projects (budgets.delivery): the winners become planned projects, once;
an officer starts, finishes or cancels one (with a public reason) along the allowed moves, and
adds dated milestones with a percentage and a described photo; each action is audited, refused
to officers who do not run the process, and a change of status reaches only people who
consented, once each, through the mailing engine's batched notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from budgets.delivery import (
    delivery_follow,
    delivery_start,
    delivery_status_set,
    milestone_add,
    milestone_change,
    milestone_remove,
)
from budgets.models import BudgetResult, Idea, Milestone, Process, Project
from budgets.services import idea_purpose, winners_purpose
from civic.models import AuditEntry
from contacts.services import consent_give, consent_withdraw, contact_for_email
from mailing.models import Delivery
from mailing.services import notices
from tests.budgets.conftest import make_idea, make_process
from tests.concurrency import at_once
from tests.worker import wait_for

Status = Project.Status
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def png(name: str = "site.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def winners(council, *titles, stage=Process.Stage.IMPLEMENTATION):
    """A process in `stage` with ideas on the ballot, as the results would leave them."""
    process = make_process(council, stage)
    ideas = [
        make_idea(
            process,
            proposer=council.resident,
            title=title,
            status=Idea.Status.ON_BALLOT,
            final_cost=10_000,
        )
        for title in titles
    ]
    return process, ideas


def audit(obj) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_repr=obj.audit_label())
        .order_by("pk")
        .values_list("summary", flat=True)
    )


def follower(council, email: str, purpose):
    contact = contact_for_email(organisation=council.organisation, email=email, source="budget")
    consent_give(contact=contact, purpose=purpose, method="test", wording="Tell me")
    return contact


# Starting -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_winners_become_planned_projects_once(council, clock):
    process, (swings, benches) = winners(council, "Swings", "Benches")
    made = delivery_start(process=process, ideas=[swings], now=clock.now)
    assert [(p.idea_id, p.status, p.planned_at) for p in made] == [
        (swings.pk, Status.PLANNED, clock.now)
    ]
    # Again with more winners: only the new one is made, the first is left as it is.
    again = delivery_start(process=process, ideas=[swings, benches], now=clock.now)
    assert [project.idea_id for project in again] == [benches.pk]
    assert delivery_start(process=process, ideas=[swings, benches]) == []
    assert sorted(Project.objects.values_list("idea_id", flat=True)) == [swings.pk, benches.pk]
    assert audit(made[0]) == [f"Planned the winning project of idea #{swings.pk}"]


@pytest.mark.django_db
def test_the_database_allows_one_project_per_idea(council):
    _process, (swings,) = winners(council, "Swings")
    Project.objects.create(idea=swings)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(idea=swings)


@pytest.mark.django_db
def test_only_ideas_on_the_ballot_of_the_process_after_voting_can_win(council):
    process, (swings,) = winners(council, "Swings")
    feasible = make_idea(process, proposer=council.resident, status=Idea.Status.FEASIBLE)
    with pytest.raises(ValidationError) as caught:
        delivery_start(process=process, ideas=[swings, feasible])
    assert caught.value.messages == [
        f"Only ideas that were on the ballot can win: not idea #{feasible.pk}."
    ]
    _other, (elsewhere,) = winners(council, "Elsewhere")
    with pytest.raises(ValidationError) as caught:
        delivery_start(process=process, ideas=[elsewhere])
    assert caught.value.messages == ["Only ideas of this process can be its winning projects."]
    voting, (early,) = winners(council, "Early", stage=Process.Stage.VOTING)
    with pytest.raises(ValidationError) as caught:
        delivery_start(process=voting, ideas=[early])
    assert caught.value.messages == ["Winning projects are planned once voting has closed."]
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_an_officer_who_does_not_run_the_process_cannot_start_it(council):
    process, (swings,) = winners(council, "Swings")
    for outsider in (council.other_officer, council.other_council_officer,
                     council.other_council_admin, council.resident):  # fmt: skip
        with pytest.raises(PermissionDenied):
            delivery_start(process=process, ideas=[swings], actor=outsider)
    assert not Project.objects.exists()
    (project,) = delivery_start(process=process, ideas=[swings], actor=council.officer)
    assert AuditEntry.objects.get(object_repr=project.audit_label()).actor == council.officer


# The lifecycle ----------------------------------------------------------------------------------


@pytest.fixture
def project(council):
    process, (swings,) = winners(council, "Swings in Ancoats Park")
    (made,) = delivery_start(process=process, ideas=[swings])
    return made


@pytest.mark.django_db
def test_a_project_is_started_then_done_and_each_move_is_audited(council, project, clock):
    idea = project.idea
    delivery_status_set(actor=council.officer, idea=idea, status=Status.IN_PROGRESS, now=clock.now)
    project.refresh_from_db()
    assert (project.status, project.status_changed_at) == (Status.IN_PROGRESS, clock.now)
    delivery_status_set(actor=council.admin, idea=idea, status=Status.DONE)
    project.refresh_from_db()
    assert project.status == Status.DONE
    assert audit(project)[-2:] == ["Started building the project", "Marked the project done"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        ([], Status.DONE, "Only a project in progress can be marked done."),
        ([Status.IN_PROGRESS], Status.PLANNED, None),
        ([Status.IN_PROGRESS], Status.IN_PROGRESS, "Only a planned project can be started."),
        (
            [Status.IN_PROGRESS, Status.DONE],
            Status.CANCELLED,
            "A project that is done or cancelled cannot be cancelled.",
        ),
        ([Status.CANCELLED], Status.IN_PROGRESS, "Only a planned project can be started."),
    ],
)
def test_moves_the_lifecycle_does_not_allow_are_refused_and_change_nothing(
    council, project, path, target, message
):
    for step in path:
        delivery_status_set(actor=council.officer, idea=project.idea, status=step, reason="Why")
    project.refresh_from_db()
    before, entries = project.status, len(audit(project))
    with pytest.raises(ValidationError) as caught:
        delivery_status_set(actor=council.officer, idea=project.idea, status=target, reason="Why")
    if message:
        assert caught.value.messages == [message]
    else:
        assert caught.value.messages == ["A winning project that is “In progress” cannot "
                                         "become “Planned”."]  # fmt: skip
    project.refresh_from_db()
    assert project.status == before and len(audit(project)) == entries


@pytest.mark.django_db
def test_cancelling_needs_a_public_reason(council, project):
    with pytest.raises(ValidationError) as caught:
        delivery_status_set(actor=council.officer, idea=project.idea, status=Status.CANCELLED)
    assert caught.value.message_dict == {
        "reason": ["Enter why the project is cancelled, which is shown on its page"]
    }
    delivery_status_set(actor=council.officer, idea=project.idea, status=Status.CANCELLED,
                        reason="The land was sold.")  # fmt: skip
    project.refresh_from_db()
    assert (project.status, project.reason) == (Status.CANCELLED, "The land was sold.")
    # The database keeps the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(reason="")


@pytest.mark.django_db
def test_an_idea_that_did_not_win_has_no_status_to_set(council, project):
    loser = make_idea(project.idea.process, proposer=council.resident,
                      status=Idea.Status.ON_BALLOT)  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        delivery_status_set(actor=council.officer, idea=loser, status=Status.IN_PROGRESS)
    assert caught.value.messages == ["This idea did not win, so it is not being built."]
    with pytest.raises(PermissionDenied):
        delivery_status_set(actor=council.other_officer, idea=loser, status=Status.IN_PROGRESS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["other_officer", "other_council_officer", "other_council_admin", "resident"]
)
def test_people_who_do_not_run_the_process_change_nothing(council, project, role):
    outsider = getattr(council, role)
    entries = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        delivery_status_set(actor=outsider, idea=project.idea, status=Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        milestone_add(actor=outsider, idea=project.idea, date=dt.date(2027, 5, 1),
                      title="Ground cleared", percent_complete=10)  # fmt: skip
    milestone = milestone_add(actor=council.officer, idea=project.idea, date=dt.date(2027, 5, 1),
                              title="Ground cleared", percent_complete=10)  # fmt: skip
    entries += 1
    with pytest.raises(PermissionDenied):
        milestone_change(actor=outsider, milestone=milestone, date=dt.date(2027, 5, 2),
                         title="Changed", percent_complete=90)  # fmt: skip
    with pytest.raises(PermissionDenied):
        milestone_remove(actor=outsider, milestone=milestone)
    project.refresh_from_db()
    milestone.refresh_from_db()
    assert project.status == Status.PLANNED
    assert (milestone.title, milestone.percent_complete) == ("Ground cleared", 10)
    assert AuditEntry.objects.count() == entries
    assert not Delivery.objects.exists()


# Milestones -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_milestone_with_a_described_photo(council, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    milestone = milestone_add(
        actor=council.officer, idea=project.idea, date=dt.date(2027, 5, 1),
        title="  Ground   cleared ", description="The old fence is gone.", percent_complete=25,
        photo=png(), photo_alt="A cleared patch of grass by the canal.",
    )  # fmt: skip
    milestone.refresh_from_db()
    assert (milestone.title, milestone.percent_complete, milestone.photo_alt) == (
        "Ground cleared", 25, "A cleared patch of grass by the canal.")  # fmt: skip
    assert milestone.photo.name.startswith(f"budgets/milestones/{project.pk}/")
    assert milestone.photo.read() == PNG
    assert audit(milestone) == [f"Added a milestone to project #{project.pk} (25% complete)"]

    milestone_change(actor=council.officer, milestone=milestone, date=dt.date(2027, 5, 2),
                     title="Ground cleared", percent_complete=30,
                     description="The old fence is gone.",
                     photo_alt="A cleared patch of grass.")  # fmt: skip
    milestone.refresh_from_db()
    assert (milestone.percent_complete, milestone.photo_alt) == (30, "A cleared patch of grass.")
    assert milestone.photo  # kept
    milestone_change(actor=council.officer, milestone=milestone, date=dt.date(2027, 5, 2),
                     title="Ground cleared", percent_complete=30, photo_remove=True)  # fmt: skip
    milestone.refresh_from_db()
    assert (milestone.photo.name, milestone.photo_alt) == ("", "")
    assert audit(milestone)[1:] == [
        "Changed the milestone's date, percent_complete, photo_alt",
        "Changed the milestone's description, photo_alt, photo",
    ]
    milestone_remove(actor=council.officer, milestone=milestone)
    assert not Milestone.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": " ", "percent_complete": None},
         {"title": ["Enter a title for the milestone"],
          "percent_complete": ["Enter how complete the project is, from 0 to 100 per cent"]}),
        ({"percent_complete": 101}, {"percent_complete": ["Enter a whole number from 0 to 100"]}),
        ({"percent_complete": -1}, {"percent_complete": ["Enter a whole number from 0 to 100"]}),
        ({"date": None}, {"date": ["Enter the date of the milestone"]}),
        ({"photo": "png"},
         {"photo_alt": ["Describe what the photo shows, for people who cannot see it"]}),
        ({"photo": "exe", "photo_alt": "A photo"},
         {"photo": ["The file must be a JPEG, JPG, PNG"]}),
    ],
)  # fmt: skip
def test_a_bad_milestone_names_its_field_and_adds_nothing(council, project, fields, errors):
    if fields.get("photo") == "png":
        fields["photo"] = png()
    elif fields.get("photo") == "exe":
        fields["photo"] = SimpleUploadedFile("run.exe", b"MZ", content_type="image/png")
    arguments = {"date": dt.date(2027, 5, 1), "title": "Ground cleared", "percent_complete": 10}
    with pytest.raises(ValidationError) as caught:
        milestone_add(actor=council.officer, idea=project.idea, **{**arguments, **fields})
    assert caught.value.message_dict == errors
    assert not Milestone.objects.exists()


@pytest.mark.django_db
def test_the_database_keeps_the_percentage_and_the_photo_description(council, project):
    base = {"project": project, "date": dt.date(2027, 5, 1), "title": "T"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(**base, percent_complete=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(**base, percent_complete=5, photo="a.png", photo_alt="")


@pytest.mark.django_db
def test_a_cancelled_project_takes_no_more_milestones(council, project):
    delivery_status_set(actor=council.officer, idea=project.idea, status=Status.CANCELLED,
                        reason="Sold.")  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        milestone_add(actor=council.officer, idea=project.idea, date=dt.date(2027, 5, 1),
                      title="T", percent_complete=5)  # fmt: skip
    assert caught.value.messages == ["A cancelled project has no more milestones."]


# Who hears ---------------------------------------------------------------------------------------


def _subjects(email: str) -> list[str]:
    return [
        delivery.message["subject"]
        for delivery in Delivery.objects.filter(to_email=email).order_by("pk")
    ]


def test_a_change_of_status_reaches_only_people_who_consented_once_each(council, celery_worker):
    process, (swings, benches) = winners(council, "Swings in Ancoats Park", "Benches")
    everyone, swings_news = winners_purpose(process), idea_purpose(swings)
    follower(council, "vera@example.org", everyone)  # a voter who asked to hear of the winners
    follower(council, "fay@example.org", swings_news)  # a supporter who follows the idea
    follower(council, "bo@example.org", everyone)  # follows both: hears once
    follower(council, "bo@example.org", swings_news)
    gone = follower(council, "wes@example.org", everyone)  # withdrew
    consent_withdraw(contact=gone, purpose=everyone, method="test")
    # A voter who did not consent, and the proposer (cara), who did not ask to hear.
    contact_for_email(organisation=council.organisation, email="nora@example.org", source="budget")
    follower(council, "olga@example.org", idea_purpose(benches))  # follows the other idea only

    delivery_start(process=process, ideas=[swings, benches])
    wait_for(lambda: Delivery.objects.count() == 4, timeout=60,
             message=f"{list(Delivery.objects.values_list('to_email', flat=True))}")  # fmt: skip
    assert _subjects("vera@example.org") == [f"The winning projects of {process.title} are planned"]
    assert _subjects("bo@example.org") == _subjects("vera@example.org")
    assert _subjects("fay@example.org") == ["An idea you follow won: Swings in Ancoats Park"]
    assert _subjects("olga@example.org") == ["An idea you follow won: Benches"]
    text = Delivery.objects.get(to_email="vera@example.org").message["text"]
    assert "Swings in Ancoats Park" in text and "Benches" in text

    delivery_status_set(actor=council.officer, idea=swings, status=Status.CANCELLED,
                        reason="The land was sold.")  # fmt: skip
    wait_for(lambda: Delivery.objects.count() == 7, timeout=60,
             message=f"{list(Delivery.objects.values_list('to_email', flat=True))}")  # fmt: skip
    cancelled = "Project cancelled: Swings in Ancoats Park"
    for email in ("vera@example.org", "fay@example.org", "bo@example.org"):
        assert _subjects(email)[-1] == cancelled, email
    assert (
        "The land was sold."
        in (Delivery.objects.filter(to_email="fay@example.org").last().message["text"])
    )
    for nobody in ("wes@example.org", "nora@example.org", "cara@example.org"):
        assert _subjects(nobody) == [], nobody
    assert _subjects("olga@example.org") == ["An idea you follow won: Benches"]


def test_those_told_a_project_was_planned_hear_when_a_recount_removes_it(council, celery_worker):
    process, (swings, benches) = winners(council, "Swings in Ancoats Park", "Benches")
    for idea in (swings, benches):  # counted: a budget without a result has no say
        BudgetResult.objects.get_or_create(
            budget=idea.budget, defaults={"voters": 0, "figures": {}}
        )
    follower(council, "vera@example.org", winners_purpose(process))
    follower(council, "fay@example.org", idea_purpose(swings))
    follower(council, "olga@example.org", idea_purpose(benches))
    delivery_follow(process=process, ideas=[swings, benches])
    wait_for(lambda: Delivery.objects.count() == 3, timeout=60,
             message=f"{list(Delivery.objects.values_list('to_email', flat=True))}")  # fmt: skip

    followed = delivery_follow(process=process, ideas=[benches])
    assert (followed.made, followed.removed, followed.kept) == ([], [swings.pk], [])
    assert list(Project.objects.values_list("idea", flat=True)) == [benches.pk]
    wait_for(lambda: Delivery.objects.count() == 5, timeout=60,
             message=f"{list(Delivery.objects.values_list('to_email', flat=True))}")  # fmt: skip
    removed = "No longer a winning project: Swings in Ancoats Park"
    assert _subjects("vera@example.org")[-1] == removed
    assert _subjects("fay@example.org")[-1] == removed
    assert _subjects("olga@example.org") == ["An idea you follow won: Benches"]
    text = Delivery.objects.filter(to_email="fay@example.org").last().message["text"]
    assert "is no longer one of the winning projects" in text


@pytest.mark.django_db
def test_the_notice_is_put_in_the_outbox_in_batches(council, monkeypatch):
    """Consenters of either purpose, each once, one INSERT per batch of the real engine."""
    process, (swings,) = winners(council, "Swings")
    everyone, news = winners_purpose(process), idea_purpose(swings)
    for number in range(3):
        follower(council, f"voter{number}@example.org", everyone)
    for number in range(2):
        follower(council, f"fan{number}@example.org", news)
    follower(council, "voter0@example.org", news)
    monkeypatch.setattr(notices, "NOTICE_BATCH", 2)
    with CaptureQueriesContext(connection) as queries:
        sent = notices.consenters_notify(
            purpose_id=everyone.pk, subject="S", text="T", also=[news.pk]
        )
    assert sent == 5
    inserts = [
        q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "mailing_delivery"')
    ]
    assert len(inserts) == 3
    assert sorted(Delivery.objects.values_list("to_email", flat=True)) == [
        "fan0@example.org", "fan1@example.org", "voter0@example.org", "voter1@example.org",
        "voter2@example.org",
    ]  # fmt: skip
    assert notices.consenters(news, leaving_out=[everyone.pk]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_planning_the_same_winners_at_once_make_each_project_once(council):
    process, ideas = winners(council, "Swings", "Benches", "Crossing")

    def plan():
        return len(delivery_start(process=process, ideas=ideas))

    assert sorted(at_once(plan, plan)) == [0, 3]
    assert Project.objects.filter(idea__process=process).count() == 3
    assert AuditEntry.objects.filter(summary__startswith="Planned the winning project").count() == 3


@pytest.mark.django_db
def test_erasure_takes_a_residents_name_out_of_the_councils_words_about_a_project(council):
    from budgets.gdpr import erase_ideas
    from contacts.models import Contact

    process, (swings,) = winners(council, "Swings")
    delivery_start(process=process, ideas=[swings])
    milestone = milestone_add(actor=council.officer, idea=swings, date=dt.date(2027, 5, 1),
                              title="Opened by Cara Creator", percent_complete=100,
                              description="Cara Creator cut the ribbon.")  # fmt: skip
    delivery_status_set(actor=council.officer, idea=swings, status=Status.CANCELLED,
                        reason="Cara Creator asked us to stop.")  # fmt: skip
    contact = Contact.objects.create(organisation=council.organisation, email="cara@example.org",
                                     name="Cara Creator", user=council.resident)  # fmt: skip
    erase_ideas(contact)
    milestone.refresh_from_db()
    project = Project.objects.get(idea=swings)
    assert (milestone.title, milestone.description, project.reason) == (
        "Opened by [erased]", "[erased] cut the ribbon.", "[erased] asked us to stop.")  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("replaced", [True, False], ids=["replaced", "removed"])
def test_a_photo_s_old_file_is_deleted_only_once_the_change_commits(
    council, project, settings, tmp_path, django_capture_on_commit_callbacks, replaced
):
    settings.MEDIA_ROOT = tmp_path
    milestone = milestone_add(
        actor=council.officer, idea=project.idea, date=dt.date(2027, 5, 1), title="Cleared",
        percent_complete=25, photo=png(), photo_alt="A cleared patch of grass.",
    )  # fmt: skip
    old = tmp_path / milestone.photo.name
    change = {"actor": council.officer, "milestone": milestone, "date": dt.date(2027, 5, 2),
              "title": "Cleared", "percent_complete": 30}  # fmt: skip
    if replaced:
        change.update(photo=png("new.png"), photo_alt="The new fence.")
    else:
        change.update(photo_remove=True)

    # A change that rolls back (whatever fails after it in the same transaction) keeps the file
    # the milestone still points at.
    with pytest.raises(RuntimeError), transaction.atomic():
        milestone_change(**change)
        raise RuntimeError("something after the change failed")
    milestone.refresh_from_db()
    assert tmp_path / milestone.photo.name == old
    assert old.read_bytes() == PNG and milestone.photo.read() == PNG

    with django_capture_on_commit_callbacks(execute=True):
        milestone_change(**change)
    milestone.refresh_from_db()
    assert not old.exists()
    if replaced:
        assert (tmp_path / milestone.photo.name).read_bytes() == PNG
    else:
        assert milestone.photo.name == ""
