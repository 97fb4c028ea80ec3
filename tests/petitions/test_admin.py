"""The petitions team's admin: the moderation queue with its overdue marker, publishing and each
reason for rejecting with the e-mail it sends, removing, the moderation lock, the council's
response and debate, bulk invalidation of signatures, the scheme, the read-only signatures, and
who may do any of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from civic.models import AuditEntry, Role
from mailing.models import Delivery
from petitions.models import Petition, Signature
from petitions.services.counting import petition_count
from petitions.services.moderation import LOCK_MINUTES
from tests.factories import DepartmentFactory, OrganisationFactory, RoleFactory, UserFactory
from tests.pages import assert_page
from tests.petitions.conftest import add_signatures, make_petition

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/petitions/petition/"


def change_url(petition) -> str:
    return reverse("admin:petitions_petition_change", args=[petition.pk])


def action_url(petition, name: str) -> str:
    return reverse(f"admin:petitions_petition_{name}", args=[petition.pk])


def pending(council, **fields) -> Petition:
    return make_petition(council, status=Petition.Status.PENDING, **fields)


def mail_to(address: str) -> list[Delivery]:
    return list(Delivery.objects.filter(to_email=address).order_by("pk"))


def row_of(html: str, title: str) -> str:
    """The changelist's table row that names the petition."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
    matching = [row for row in rows if title in row]
    assert len(matching) == 1, f"expected one row for {title!r}, found {len(matching)}"
    return matching[0]


def titles_listed(html: str, titles: list[str]) -> list[str]:
    """The given titles in the order the changelist's rows show them."""
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)
    return [title for row in rows for title in titles if f">{title}<" in row]


def another_moderator(council):
    return RoleFactory(
        organisation=council.organisation,
        kind=Role.Kind.OFFICER,
        departments=[council.team],
        user__name="Bea Second",
    ).user


def lock_time(petition) -> str:
    petition.refresh_from_db()
    return timezone.localtime(petition.locked_until).strftime("%H:%M")


# Publishing and rejecting -----------------------------------------------------------------------


def test_a_moderator_publishes_a_pending_petition_which_opens_and_emails_its_creator(
    client, council
):
    petition = pending(council)
    client.force_login(council.moderator)

    page = client.get(change_url(petition))
    response = client.post(action_url(petition, "publish"))

    assert page.status_code == 200
    assert "Publish the petition" in page.text
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN
    assert timezone.now() - petition.opened_at < timedelta(minutes=1)
    assert petition.closes_at == petition.opened_at + timedelta(days=182)
    assert petition.moderated_by == council.moderator
    assert petition.locked_by is None
    [mail] = mail_to("creator@example.org")
    assert "“Plant more trees on Oxford Road” has been published" in mail.message["text"]
    closes = timezone.localtime(petition.closes_at).strftime("%-d %B %Y")
    assert f"It is open until {closes}." in mail.message["text"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PUBLISH).count() == 1


@pytest.mark.parametrize("reason", Petition.Reason.values)
def test_a_moderator_rejects_for_each_reason_and_the_creator_is_told_it_and_why(
    client, council, reason
):
    petition = pending(council)
    client.force_login(council.moderator)
    explanation = f"We looked at this carefully ({reason}); please see our guidance."

    response = client.post(
        action_url(petition, "reject"),
        {"rejection_reason": reason, "rejection_details": explanation},
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.REJECTED
    assert petition.rejection_reason == reason
    assert petition.rejection_details == explanation
    [mail] = mail_to("creator@example.org")
    assert f"Reason: {Petition.Reason(reason).label}" in mail.message["text"]
    assert explanation in mail.message["text"]
    assert "The petition stays on the site with this reason" in mail.message["text"]
    assert mail.message["subject"] == (
        "Your petition was not accepted: Plant more trees on Oxford Road"
    )


def test_a_petition_rejected_for_legal_reasons_is_hidden_and_the_email_says_so(client, council):
    petition = pending(council)
    client.force_login(council.moderator)

    client.post(
        action_url(petition, "reject"),
        {"rejection_reason": "legal", "rejection_details": "It names a court case.", "hide": "on"},
    )

    petition.refresh_from_db()
    assert petition.status == Petition.Status.HIDDEN
    [mail] = mail_to("creator@example.org")
    assert "For legal reasons the petition is not shown on the site." in mail.message["text"]


def test_a_rejection_without_a_reason_or_explanation_is_refused_next_to_the_fields(client, council):
    petition = pending(council)
    client.force_login(council.moderator)

    response = client.post(
        action_url(petition, "reject"), {"rejection_reason": "", "rejection_details": "  "}
    )

    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert '<a href="#reject-rejection_reason">Reason: Choose a reason</a>' in response.text
    assert (
        "Explanation: Explain the decision to the person who started the petition" in response.text
    )
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING
    assert not Delivery.objects.exists()


def test_a_petition_that_is_open_cannot_be_published_again_and_the_page_says_why(client, council):
    petition = make_petition(council)
    client.force_login(council.moderator)

    response = client.post(action_url(petition, "publish"))

    assert response.status_code == 200
    assert "A petition that is “Published” cannot become “Published”." in response.text
    assert not Delivery.objects.exists()


def test_removing_needs_a_reason_and_then_takes_the_petition_down(client, council):
    petition = make_petition(council)
    client.force_login(council.moderator)

    refused = client.post(action_url(petition, "remove"), {"removed_reason": ""})
    petition.refresh_from_db()
    status_after_refusal = petition.status
    removed = client.post(
        action_url(petition, "remove"), {"removed_reason": "It turned out to be a hoax."}
    )

    assert refused.status_code == 200
    assert "Why it is removed: Say why the petition is removed" in refused.text
    assert status_after_refusal == Petition.Status.OPEN
    assert removed.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.REMOVED
    assert petition.removed_reason == "It turned out to be a hoax."
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETE).count() == 1
    client.logout()
    assert client.get(reverse("petitions:detail", args=[petition.pk])).status_code == 410


def test_a_removed_petition_offers_nothing_more_to_do(client, council):
    petition = make_petition(council, status=Petition.Status.REMOVED)
    client.force_login(council.moderator)

    page = client.get(change_url(petition))

    assert_page(page, heading="View petition")
    assert 'class="module petition-action"' not in page.text
    petition.refresh_from_db()
    assert petition.locked_by is None


# The lock ---------------------------------------------------------------------------------------


def test_while_one_moderator_holds_a_petition_another_reads_it_but_cannot_act(client, council):
    petition = pending(council)
    first, second = council.moderator, another_moderator(council)
    client.force_login(first)
    client.get(change_url(petition))
    until = lock_time(petition)

    client.force_login(second)
    page = client.get(change_url(petition))
    publish = client.post(action_url(petition, "publish"))
    edit = client.post(
        change_url(petition),
        {"title": "Changed", "background": "Changed", "details": "", "_save": "Save"},
    )

    holder = escape(first.name)  # a name such as O'Neill is escaped in the page
    assert_page(page, heading="View petition")
    assert f"{holder} is moderating this petition until {until}." in page.text
    assert "Publish the petition" not in page.text
    assert 'name="title"' not in page.text
    assert 'class="module petition-action"' not in page.text
    assert publish.status_code == 200
    assert f"{holder} is moderating this petition; try again after {until}." in publish.text
    assert edit.status_code == 403
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING
    assert petition.title == "Plant more trees on Oxford Road"
    assert petition.locked_by == first
    assert not Delivery.objects.exists()


def test_once_the_lock_lapses_another_moderator_takes_the_petition_and_publishes_it(
    client, council
):
    petition = pending(council)
    first, second = council.moderator, another_moderator(council)
    client.force_login(first)
    client.get(change_url(petition))
    Petition.objects.filter(pk=petition.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )

    client.force_login(second)
    page = client.get(change_url(petition))
    response = client.post(action_url(petition, "publish"))

    assert_page(page, heading="Change petition")
    assert "is moderating this petition" not in page.text
    assert "Publish the petition" in page.text
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN
    assert petition.moderated_by == second


def test_opening_the_page_holds_the_petition_for_the_lock_period(client, council):
    petition = pending(council)
    client.force_login(council.moderator)

    client.get(change_url(petition))

    petition.refresh_from_db()
    assert petition.locked_by == council.moderator
    left = petition.locked_until - timezone.now()
    assert timedelta(minutes=LOCK_MINUTES - 1) < left <= timedelta(minutes=LOCK_MINUTES)


def test_a_moderator_who_lets_go_leaves_the_petition_to_others(client, council):
    petition = pending(council)
    client.force_login(council.moderator)
    client.get(change_url(petition))

    response = client.post(action_url(petition, "release"))

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.locked_by is None
    assert petition.locked_until is None


def test_the_lock_holder_corrects_what_the_creator_wrote_and_the_edit_is_audited(client, council):
    petition = pending(council)
    client.force_login(council.moderator)
    client.get(change_url(petition))

    response = client.post(
        change_url(petition),
        {
            "title": "Plant more trees on Oxford Road, Manchester",
            "background": "The road has too few trees.",
            "details": "",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.title == "Plant more trees on Oxford Road, Manchester"
    assert petition.background == "The road has too few trees."
    assert petition.signature_count == 0
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EDIT)
    assert entry.summary == "Changed title, background"
    assert entry.actor == council.moderator


def test_a_published_petition_and_its_counts_are_read_only(client, council):
    petition = make_petition(council, signature_count=7)
    client.force_login(council.moderator)

    page = client.get(change_url(petition))
    edit = client.post(
        change_url(petition),
        {"title": "Changed", "background": "Changed", "details": "", "_save": "Save"},
    )

    assert_page(page, heading="View petition")
    assert 'name="title"' not in page.text
    assert 'name="signature_count"' not in page.text
    assert edit.status_code == 403
    petition.refresh_from_db()
    assert petition.title == "Plant more trees on Oxford Road"


# The queue --------------------------------------------------------------------------------------


def test_the_queue_comes_first_oldest_first_and_marks_the_overdue_in_words(client, council):
    now = timezone.now()
    make_petition(council, title="Already open")
    overdue = pending(council, title="Waiting six days", submitted_at=now - timedelta(days=6))
    pending(council, title="Waiting one day", submitted_at=now - timedelta(days=1))
    pending(council, title="Waiting three days", submitted_at=now - timedelta(days=3))
    client.force_login(council.moderator)

    page = client.get(CHANGELIST)
    overdue_only = client.get(CHANGELIST, {"overdue": "yes"})

    titles = ["Already open", "Waiting six days", "Waiting one day", "Waiting three days"]
    assert titles_listed(page.text, titles) == [
        "Waiting six days",
        "Waiting three days",
        "Waiting one day",
        "Already open",
    ]
    since = timezone.localtime(overdue.submitted_at + timedelta(days=5)).strftime("%-d %B %Y")
    assert_page(page, heading="Select petition to change")
    assert (
        f'<mark class="petition-overdue"><strong>Overdue</strong> since {since}</mark>'
        in row_of(page.text, "Waiting six days")
    )
    assert "petition-overdue" not in row_of(page.text, "Waiting one day")
    assert "Overdue" not in row_of(page.text, "Waiting one day")
    assert titles_listed(overdue_only.text, titles) == ["Waiting six days"]


def test_the_overdue_period_is_the_councils_own(client, council):
    council.policy.overdue_days = 10
    council.policy.save()
    pending(council, title="Waiting six days", submitted_at=timezone.now() - timedelta(days=6))
    client.force_login(council.moderator)

    page = client.get(CHANGELIST)

    assert_page(page, heading="Select petition to change")
    assert "petition-overdue" not in row_of(page.text, "Waiting six days")
    overdue_only = assert_page(
        client.get(CHANGELIST, {"overdue": "yes"}), heading="Select petition to change"
    )
    assert "Waiting six days" not in overdue_only


def test_the_list_shows_each_petitions_stage_and_count_and_filters_by_status(client, council):
    make_petition(council, title="Open one", signature_count=12)
    pending(council, title="Pending one")
    client.force_login(council.moderator)

    page = client.get(CHANGELIST)
    pending_only = client.get(CHANGELIST, {"status__exact": "pending"})

    assert "Open" in row_of(page.text, "Open one")
    assert ">12<" in row_of(page.text, "Open one")
    assert "Being checked" in row_of(page.text, "Pending one")
    assert titles_listed(pending_only.text, ["Open one", "Pending one"]) == ["Pending one"]


def test_the_list_holds_only_the_petitions_each_person_runs(client, council):
    make_petition(council, title="A team petition")
    make_petition(council, title="A library petition", department=council.other_department)
    elsewhere = OrganisationFactory()
    make_petition(
        council,
        title="Another council petition",
        organisation=elsewhere,
        department=DepartmentFactory(organisation=elsewhere),
    )
    titles = ["A team petition", "A library petition", "Another council petition"]
    superuser = UserFactory(is_staff=True, is_superuser=True)

    seen = {}
    for name, user in [
        ("moderator", council.moderator),
        ("other_officer", council.other_officer),
        ("admin", council.admin),
        ("superuser", superuser),
    ]:
        client.force_login(user)
        seen[name] = sorted(titles_listed(client.get(CHANGELIST).text, titles))

    assert seen == {
        "moderator": ["A team petition"],
        "other_officer": ["A library petition"],
        "admin": ["A library petition", "A team petition"],
        "superuser": sorted(titles),
    }


def _changelist_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_petition_list_takes_as_many_queries_for_many_petitions_as_for_few(client, council):
    client.force_login(council.moderator)
    for number in range(2):
        pending(council, title=f"Few {number}")
    few = _changelist_queries(client, CHANGELIST)
    for number in range(10):
        pending(council, title=f"Many {number}")
        make_petition(council, title=f"Open {number}")

    many = _changelist_queries(client, CHANGELIST)

    assert many == few


# Who may do what --------------------------------------------------------------------------------


ACTION_POSTS = {
    "publish": {},
    "reject": {"rejection_reason": "duplicate", "rejection_details": "See the other one."},
    "remove": {"removed_reason": "A hoax."},
    "release": {},
}


def test_an_officer_of_another_department_can_neither_see_nor_act_on_a_petition(client, council):
    petition = pending(council)
    client.force_login(council.other_officer)

    answers = {"change": client.get(change_url(petition)).status_code}
    answers["edit"] = client.post(
        change_url(petition), {"title": "Mine now", "background": "x", "_save": "Save"}
    ).status_code
    for name, data in ACTION_POSTS.items():
        answers[name] = client.post(action_url(petition, name), data).status_code
    answers["reject page"] = client.get(action_url(petition, "reject")).status_code
    answers["invalidate page"] = client.get(action_url(petition, "invalidate")).status_code
    answers["invalidate"] = client.post(
        action_url(petition, "invalidate"),
        {"domain": "example.org", "reason": "x", "step": "invalidate", "expected": "0"},
    ).status_code

    assert set(answers.values()) == {404}, answers
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING
    assert petition.title == "Plant more trees on Oxford Road"
    assert petition.locked_by is None
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.exists()


def test_an_officer_of_another_department_cannot_answer_or_invalidate(client, council):
    petition = make_petition(council)
    add_signatures(petition, 3)
    client.force_login(council.other_officer)

    answers = [
        client.post(action_url(petition, "respond"), {"response": "Yes."}).status_code,
        client.post(action_url(petition, "debate_date"), {"debate_date": "2030-01-01"}).status_code,
        client.post(
            action_url(petition, "debate_outcome"), {"debate_summary": "Agreed."}
        ).status_code,
    ]

    assert answers == [404, 404, 404]
    petition.refresh_from_db()
    assert (petition.response, petition.debate_date, petition.debated_at) == ("", None, None)
    assert Signature.objects.filter(status=Signature.Status.CONFIRMED).count() == 3


def test_a_resident_is_sent_to_sign_in(client, council):
    petition = pending(council)
    client.force_login(council.resident)

    response = client.post(action_url(petition, "publish"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    petition.refresh_from_db()
    assert petition.status == Petition.Status.PENDING


def test_the_organisations_admin_moderates_the_councils_petitions(client, council):
    petition = pending(council)
    client.force_login(council.admin)

    page = client.get(change_url(petition))
    response = client.post(
        action_url(petition, "reject"),
        {"rejection_reason": "duplicate", "rejection_details": "See the other one."},
    )

    assert page.status_code == 200
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Petition.Status.REJECTED
    assert petition.moderated_by == council.admin
    assert len(mail_to("creator@example.org")) == 1


# The council's answer ---------------------------------------------------------------------------


def test_the_council_publishes_its_response_to_an_open_petition(client, council):
    petition = make_petition(council)
    client.force_login(council.moderator)

    page = client.get(change_url(petition))
    refused = client.post(action_url(petition, "respond"), {"response": " "})
    response = client.post(
        action_url(petition, "respond"), {"response": "We will plant 40 trees by March."}
    )

    assert_page(page, heading="View petition")
    assert "Publish the response" in page.text
    assert "Publish the petition" not in page.text
    assert "The council&#x27;s response: Enter the council&#x27;s response" in refused.text
    assert response.status_code == 302
    assert response["Location"] == change_url(petition)
    petition.refresh_from_db()
    assert petition.response == "We will plant 40 trees by March."
    assert timezone.now() - petition.responded_at < timedelta(minutes=1)
    assert petition.stage == Petition.Stage.RESPONDED


def test_the_council_schedules_the_debate_and_publishes_its_outcome(client, council):
    petition = make_petition(council)
    client.force_login(council.moderator)
    yesterday = timezone.localdate() - timedelta(days=1)

    too_soon = client.post(
        action_url(petition, "debate_outcome"), {"debate_summary": "Agreed to plant trees."}
    )
    scheduled = client.post(
        action_url(petition, "debate_date"), {"debate_date": yesterday.isoformat()}
    )
    bad_link = client.post(
        action_url(petition, "debate_outcome"),
        {"debate_summary": "Agreed.", "debate_minutes_url": "not a link"},
    )
    published = client.post(
        action_url(petition, "debate_outcome"),
        {
            "debate_summary": "Full council agreed to plant trees.",
            "debate_minutes_url": "https://example.org/minutes",
            "debate_video_url": "https://example.org/video",
        },
    )

    assert "Record the debate&#x27;s date, on or before today, first" in too_soon.text
    assert scheduled.status_code == 302
    assert "Link to the minutes: Enter a valid URL." in bad_link.text
    assert published.status_code == 302
    petition.refresh_from_db()
    assert petition.debate_date == yesterday
    assert petition.debate_summary == "Full council agreed to plant trees."
    assert petition.debate_minutes_url == "https://example.org/minutes"
    assert petition.debate_video_url == "https://example.org/video"
    assert petition.stage == Petition.Stage.DEBATED


def test_answer_forms_are_offered_only_for_published_petitions(client, council):
    petition = pending(council)
    client.force_login(council.moderator)

    page = client.get(change_url(petition))
    response = client.post(action_url(petition, "respond"), {"response": "Early answer."})

    assert_page(page, heading="Change petition")
    assert "Publish the response" not in page.text
    assert "Only a published petition can be answered." in response.text
    petition.refresh_from_db()
    assert petition.response == ""


# Bulk invalidation ------------------------------------------------------------------------------


@pytest.fixture
def signed(council):
    """An open petition with 8 confirmed signatures: 3 from 203.0.113.5 and 2 more from its
    /24, 2 from a throwaway domain, 2 from Hulme's postcode, 3 signed three hours ago."""
    petition = make_petition(council)
    rows = add_signatures(petition, 8)
    pks = [row.pk for row in rows]
    Signature.objects.filter(pk__in=pks[0:3]).update(ip="203.0.113.5")
    Signature.objects.filter(pk__in=pks[3:5]).update(ip="203.0.113.77")
    Signature.objects.filter(pk__in=pks[5:8]).update(
        ip="198.51.100.1", created_at=timezone.now() - timedelta(hours=3)
    )
    for row in rows[6:8]:
        Signature.objects.filter(pk=row.pk).update(
            email=f"{row.pk}@spam.example", email_normalised=f"{row.pk}@spam.example"
        )
    Signature.objects.filter(pk__in=pks[0:2]).update(postcode="M15 5AA")
    petition_count(petition_id=petition.pk)
    petition.refresh_from_db()
    assert petition.signature_count == 8
    return petition


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _criteria(case: str) -> dict:
    now = timezone.now()
    return {
        "address": {"ip": "203.0.113.5"},
        "network": {"ip": "203.0.113.0/24"},
        "domain": {"domain": "spam.example"},
        "postcode": {"postcode": "m15 5aa"},
        "time range": {
            "since": _local(now - timedelta(hours=4)),
            "until": _local(now - timedelta(hours=2)),
        },
    }[case]


@pytest.mark.parametrize(
    ("case", "matching"),
    [("address", 3), ("network", 5), ("domain", 2), ("postcode", 2), ("time range", 3)],
)
def test_an_officer_previews_then_invalidates_signatures_and_the_count_follows(
    client, council, signed, django_capture_on_commit_callbacks, case, matching
):
    client.force_login(council.moderator)
    data = {**_criteria(case), "reason": "Signed by a script"}
    url = action_url(signed, "invalidate")

    preview = client.post(url, {**data, "step": "preview"})
    unchanged = Signature.objects.filter(status=Signature.Status.CONFIRMED).count()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**data, "step": "invalidate", "expected": str(matching)})
    after = client.get(url)

    assert f"{matching} signatures match." in preview.text
    assert f"Invalidate {matching} signatures" in preview.text
    assert unchanged == 8
    assert done.status_code == 302
    signed.refresh_from_db()
    assert signed.signature_count == 8 - matching
    invalidated = Signature.objects.filter(status=Signature.Status.INVALIDATED)
    assert invalidated.count() == matching
    assert set(invalidated.values_list("invalidation_reason", flat=True)) == {"Signed by a script"}
    assert f"{matching} signatures are invalidated" in after.text
    assert f"The petition has {8 - matching} confirmed signatures." in after.text
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MODERATE)
    assert entry.summary.startswith(f"Invalidated {matching} signatures")


def test_invalidation_is_asked_again_if_the_number_matching_has_changed(client, council, signed):
    client.force_login(council.moderator)

    response = client.post(
        action_url(signed, "invalidate"),
        {"ip": "203.0.113.0/24", "reason": "Script", "step": "invalidate", "expected": "3"},
    )

    assert response.status_code == 200
    assert "The number of matching signatures has changed" in response.text
    assert "Invalidate 5 signatures" in response.text
    assert not Signature.objects.filter(status=Signature.Status.INVALIDATED).exists()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"ip": "not-an-address"}, "IP address or network: Enter an IP address or a network"),
        ({}, "Give at least one of an address, a domain, a postcode or a time range"),
        ({"domain": "spam"}, "E-mail domain: Enter a domain like example.com"),
        ({"ip": "203.0.113.5", "step": "invalidate", "expected": "3"}, "Say why these"),
    ],
)
def test_invalidation_problems_are_shown_next_to_the_fields_and_change_nothing(
    client, council, signed, data, problem
):
    client.force_login(council.moderator)

    response = client.post(action_url(signed, "invalidate"), {"step": "preview", **data})

    assert response.status_code == 200
    assert problem in response.text
    assert not Signature.objects.filter(status=Signature.Status.INVALIDATED).exists()
    assert not AuditEntry.objects.exists()


# The scheme and the signatures ------------------------------------------------------------------


def test_only_the_organisations_admin_sees_and_sets_the_petition_scheme(client, council):
    url = reverse("admin:petitions_petitionpolicy_change", args=[council.policy.pk])

    client.force_login(council.moderator)
    as_officer = client.get(url).status_code
    client.force_login(council.admin)
    page = client.get(url)

    assert as_officer == 404  # the scheme is not among what they can see
    assert page.status_code == 200
    assert 'name="thresholds-0-signatures"' in page.text
    assert 'name="overdue_days"' in page.text


def test_a_scheme_whose_team_is_another_councils_department_is_refused(client, council):
    elsewhere = DepartmentFactory(organisation=OrganisationFactory())
    client.force_login(council.admin)
    thresholds = council.policy.thresholds.order_by("signatures")
    data = {
        "department": elsewhere.pk,
        "supporters_required": 5,
        "open_days": 182,
        "overdue_days": 5,
        "anonymise_days": 182,
        "thresholds-TOTAL_FORMS": 2,
        "thresholds-INITIAL_FORMS": 2,
        "thresholds-MIN_NUM_FORMS": 0,
        "thresholds-MAX_NUM_FORMS": 2,
    }
    for index, threshold in enumerate(thresholds):
        data |= {
            f"thresholds-{index}-id": threshold.pk,
            f"thresholds-{index}-policy": council.policy.pk,
            f"thresholds-{index}-kind": threshold.kind,
            f"thresholds-{index}-signatures": threshold.signatures,
        }
    url = reverse("admin:petitions_petitionpolicy_change", args=[council.policy.pk])

    refused = client.post(url, data)
    saved = client.post(url, {**data, "department": council.team.pk, "thresholds-1-signatures": 25})

    assert refused.status_code == 200
    council.policy.refresh_from_db()
    assert saved.status_code == 302
    assert council.policy.department == council.team
    assert sorted(council.policy.thresholds.values_list("signatures", flat=True)) == [10, 25]
    summaries = set(AuditEntry.objects.values_list("summary", flat=True))
    assert "Changed thresholds: 0 added, 1 changed, 0 removed" in summaries


def test_signatures_are_listed_read_only_by_petition_for_the_team(client, council):
    petition = make_petition(council)
    other = make_petition(council, title="Another")
    add_signatures(petition, 2, prefix="mine")
    add_signatures(other, 1, prefix="theirs")
    signature = petition.signatures.first()
    changelist = reverse("admin:petitions_signature_changelist")

    client.force_login(council.moderator)
    listed = client.get(changelist, {"petition": petition.pk})
    detail = client.get(reverse("admin:petitions_signature_change", args=[signature.pk]))
    add = client.get(reverse("admin:petitions_signature_add"))
    client.force_login(council.other_officer)
    outside = client.get(changelist)

    assert_page(listed, heading="Select signature to view")
    assert "mine0@example.org" in listed.text
    assert "mine1@example.org" in listed.text
    assert "theirs0@example.org" not in listed.text
    assert_page(detail, heading="View signature")
    assert 'name="email"' not in detail.text
    assert add.status_code == 403
    assert_page(outside, heading="Select signature to view")
    assert "example.org" not in outside.text


def test_the_signature_list_takes_as_many_queries_for_many_signatures_as_for_few(client, council):
    petition = make_petition(council)
    client.force_login(council.moderator)
    add_signatures(petition, 2, prefix="few", area=council.ancoats)
    few = _changelist_queries(client, reverse("admin:petitions_signature_changelist"))
    add_signatures(petition, 20, prefix="many", area=council.hulme)

    many = _changelist_queries(client, reverse("admin:petitions_signature_changelist"))

    assert many == few
