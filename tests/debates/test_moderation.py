"""Moderation of debates: residents report a comment or a point once each; at the threshold it is
hidden (once, however many report at the same moment) and waits in the officers' queue; an
officer restores or removes it with a reason its author is e-mailed, hides or removes an
unreported one, and blocks an account from the council's debates for a while. Officers of
another department or council are refused and change nothing; everything is audited."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from civic.form_guard import Refused
from civic.models import AuditEntry
from debates.gdpr import export_contributions
from debates.models import Block, Comment, Point, Report, Review
from debates.moderation import (
    account_block,
    block_lift,
    item_hide,
    item_review,
    report_add,
    review_remove,
    review_restore,
)
from debates.services import comment_post, comment_token, comment_vote, point_add, point_token
from mailing.models import Delivery
from tests.concurrency import at_once
from tests.debates.conftest import make_debate
from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page
from tests.worker import wait_for

pytestmark = pytest.mark.django_db
Status = Review.Status
Reason = Report.Reason
Decision = Review.Decision


@pytest.fixture(autouse=True)
def _moderation_settings(settings):
    settings.CIVIC_DEBATE_REPORT_THRESHOLD = 3
    settings.CIVIC_DEBATE_COMMENT_MIN_SECONDS = 0
    settings.CIVIC_DEBATE_POINT_MIN_SECONDS = 0


def comment_by(debate, author, text="Cars are the problem, not the buses.") -> Comment:
    comment = Comment.objects.create(
        debate=debate, stance=Comment.Stance.FOR, text=text, author=author
    )
    Comment.objects.filter(pk=comment.pk).update(thread_id=comment.pk)
    return comment


def point_by(debate, author, text="Cleaner air for the school run.") -> Point:
    return Point.objects.create(debate=debate, side=Point.Side.FOR, text=text, author=author)


def reporters(count: int) -> list:
    return [UserFactory() for _ in range(count)]


def moderation_entries() -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(action=AuditEntry.Action.MODERATE)
        .order_by("pk")
        .values_list("actor_label", "summary")
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hidden_review(cast, *, kind="comment", email="author@example.org") -> Review:
    """A comment (or point) of the cast's department's debate, hidden by three reports."""
    debate = make_debate(cast)
    author = UserFactory(email=email)
    item = comment_by(debate, author) if kind == "comment" else point_by(debate, author)
    for reporter in reporters(3):
        report_add(user=reporter, reason=Reason.ABUSE, **{kind: item})
    return Review.objects.get(**{kind: item})


# Reporting ---------------------------------------------------------------------------------------


def test_a_resident_reports_once_and_not_their_own(cast):
    debate = make_debate(cast)
    comment = comment_by(debate, UserFactory())
    report = report_add(user=cast.resident, comment=comment, reason=Reason.SPAM)
    assert (report.reason, report.review.status, report.review.comment) == (
        Reason.SPAM,
        Status.REPORTED,
        comment,
    )
    with pytest.raises(Refused) as again:
        report_add(user=cast.resident, comment=comment, reason=Reason.ABUSE)
    assert again.value.code == "already"
    own = comment_by(debate, cast.resident)
    with pytest.raises(Refused) as mine:
        report_add(user=cast.resident, comment=own, reason=Reason.ABUSE)
    assert mine.value.code == "own"
    assert Report.objects.count() == 1


def test_the_database_keeps_one_report_per_person_per_item(cast):
    review = hidden_review(cast)
    reporter = review.reports.first().reporter
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(review=review, reporter=reporter, reason=Reason.SPAM)


@pytest.mark.parametrize(
    ("reason", "detail", "field", "message"),
    [
        ("", "", "reason", "Choose why you are reporting it"),
        ("other", "", "detail", "Say what is wrong with it, since you chose “Something else”"),
        ("abuse", "x" * 501, "detail", "The detail must be 500 characters or fewer"),
    ],
)
def test_a_report_names_what_to_fix_and_saves_nothing(cast, reason, detail, field, message):
    comment = comment_by(make_debate(cast), UserFactory())
    with pytest.raises(ValidationError) as refused:
        report_add(user=cast.resident, comment=comment, reason=reason, detail=detail)
    assert refused.value.message_dict == {field: [message]}
    assert (Report.objects.count(), Review.objects.count()) == (0, 0)


def test_at_the_threshold_the_item_is_hidden_once_and_audited_as_the_platforms(cast, settings):
    settings.CIVIC_DEBATE_REPORT_THRESHOLD = 2
    debate = make_debate(cast)
    comment = comment_by(debate, UserFactory())
    first, second, third = reporters(3)
    report_add(user=first, comment=comment, reason=Reason.ABUSE)
    assert Review.objects.get().status == Status.REPORTED
    report_add(user=second, comment=comment, reason=Reason.PERSONAL)
    review = Review.objects.get()
    assert review.status == Status.HIDDEN and review.hidden_at is not None
    report_add(user=third, comment=comment, reason=Reason.SPAM)
    assert moderation_entries() == [("system", "Hidden for review after 2 reports")]


@pytest.mark.django_db(transaction=True)
def test_reports_sent_at_the_same_moment_hide_the_item_once(cast, postgresql_only):
    debate = make_debate(cast)
    comment = comment_by(debate, UserFactory())
    people = reporters(6)

    def send(person):
        def report():
            report_add(user=person, comment=comment, reason=Reason.ABUSE)
            return "reported"

        return report

    assert at_once(*[send(person) for person in people]) == ["reported"] * 6
    review = Review.objects.get()
    assert (review.status, review.reports.count()) == (Status.HIDDEN, 6)
    assert moderation_entries() == [("system", "Hidden for review after 3 reports")]


def test_a_hidden_comment_keeps_its_place_and_a_hidden_point_leaves_its_column(client, cast):
    review = hidden_review(cast)
    debate = review.debate
    point = point_by(debate, UserFactory(), text="Hidden point about someone.")
    for reporter in reporters(3):
        report_add(user=reporter, point=point, reason=Reason.PERSONAL)
    point_by(debate, UserFactory(), text="Quieter streets on Saturdays.")
    html = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert f'id="comment-{review.comment_id}"' in html
    assert "This comment is hidden while a moderator reviews it" in html
    assert "Quieter streets on Saturdays." in html
    assert "Cars are the problem" not in html
    assert "Hidden point about someone." not in html


def test_the_report_page_works_without_javascript(cast):
    debate = make_debate(cast)
    comment = comment_by(debate, UserFactory())
    resident = signed_in(cast.resident)
    page = f"/debates/{debate.slug}/comments/{comment.pk}/report/"
    html = assert_page(resident.get(page), heading="Report this comment")
    assert "Cars are the problem, not the buses." in html
    refused = assert_page(resident.post(page, {"reason": "other"}), heading="Report this comment")
    assert "Say what is wrong with it, since you chose “Something else”" in refused
    assert Report.objects.count() == 0
    sent = resident.post(page, {"reason": "spam", "detail": "Selling cars."})
    assert sent.status_code == 302
    assert sent["Location"] == f"/debates/{debate.slug}/#comment-{comment.pk}"
    assert Report.objects.get().detail == "Selling cars."
    again = assert_page(resident.post(page, {"reason": "spam"}), heading="Report this comment")
    assert "You have reported this already. A moderator will look at it." in again
    assert Report.objects.count() == 1


def test_nobody_votes_on_or_replies_to_a_hidden_comment(cast, quick_comments):
    review = hidden_review(cast)
    with pytest.raises(Refused) as voting:
        comment_vote(user=cast.resident, comment=review.comment, value=1)
    with pytest.raises(Refused) as replying:
        comment_post(user=cast.resident, debate=review.debate, stance="for", text="Agreed.",
                     parent=review.comment, token=comment_token())  # fmt: skip
    assert voting.value.code == replying.value.code == "hidden"
    assert not review.comment.votes.exists()
    assert Comment.objects.filter(parent=review.comment).count() == 0


def test_a_hidden_item_cannot_be_reported_again_from_its_page(cast):
    review = hidden_review(cast, kind="point")
    page = f"/debates/{review.debate.slug}/points/{review.point_id}/report/"
    assert signed_in(cast.resident).get(page).status_code == 404


# Deciding ----------------------------------------------------------------------------------------


def test_an_officer_restores_a_hidden_comment_and_its_author_is_told_why(client, cast):
    review = hidden_review(cast)
    review_restore(
        actor=cast.officer, review=review, decision=Decision.KEPT, detail="Strong but fair."
    )
    review.refresh_from_db()
    assert (review.status, review.decision, review.decided_by) == (
        Status.RESTORED,
        Decision.KEPT,
        cast.officer,
    )
    mail = Delivery.objects.get(to_email="author@example.org")
    question = review.debate.question
    assert mail.message["subject"] == f"Your comment is back on the debate: {question}"
    assert "It keeps to the house rules\nStrong but fair." in mail.message["text"]
    html = assert_page(
        client.get(f"/debates/{review.debate.slug}/"), heading=review.debate.question
    )
    assert "Cars are the problem, not the buses." in html
    # Restored is final for reports: more reports do not hide it again.
    for reporter in reporters(3):
        report_add(user=reporter, comment=review.comment, reason=Reason.ABUSE)
    review.refresh_from_db()
    assert review.status == Status.RESTORED
    assert moderation_entries()[-1] == (cast.officer.email, "Restored the item (kept)")


def test_an_officer_removes_a_hidden_point_with_a_written_reason(client, cast):
    review = hidden_review(cast, kind="point")
    with pytest.raises(ValidationError) as refused:
        review_remove(actor=cast.officer, review=review, decision=Decision.OTHER)
    assert refused.value.message_dict == {
        "detail": ["Write the reason, since you chose “Another reason”"]
    }
    review_remove(
        actor=cast.officer, review=review, decision=Decision.OTHER, detail="It names a neighbour."
    )
    mail = Delivery.objects.get(to_email="author@example.org")
    question = review.debate.question
    assert mail.message["subject"] == f"Your point has been removed from the debate: {question}"
    assert "Another reason (write it below)\nIt names a neighbour." in mail.message["text"]
    with pytest.raises(ValidationError):
        review_restore(actor=cast.officer, review=review, decision=Decision.KEPT)
    assert Delivery.objects.count() == 1
    html = assert_page(
        client.get(f"/debates/{review.debate.slug}/"), heading=review.debate.question
    )
    assert "Cleaner air for the school run." not in html


def test_an_officer_hides_or_removes_an_item_nobody_reported(cast):
    debate = make_debate(cast)
    comment = comment_by(debate, UserFactory(email="author@example.org"))
    review = item_review(actor=cast.officer, comment=comment)
    item_hide(actor=cast.officer, review=review)
    assert Review.objects.get().status == Status.HIDDEN
    assert Delivery.objects.count() == 0  # told once it is decided
    point = point_by(debate, UserFactory(email="pointer@example.org"))
    review = item_review(actor=cast.officer, point=point)
    review_remove(actor=cast.officer, review=review, decision=Decision.SPAM)
    assert Review.objects.get(point=point).status == Status.REMOVED
    assert list(Delivery.objects.values_list("to_email", flat=True)) == ["pointer@example.org"]
    assert [summary for _actor, summary in moderation_entries()] == [
        "Hid the item for review",
        "Removed the item (spam)",
    ]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_authors_mail_leaves_through_the_mailing_engine(cast, celery_workers, smtp_sink):
    celery_workers.start(**smtp_sink.env())
    review = hidden_review(cast)
    review_remove(
        actor=cast.officer, review=review, decision=Decision.ABUSE, detail="Please keep it civil."
    )
    wait_for(
        lambda: smtp_sink.recipients() == ["author@example.org"],
        timeout=60,
        message=f"not delivered: {smtp_sink.recipients()}",
    )
    message = smtp_sink.received[0].message
    assert message["subject"] == (
        f"Your comment has been removed from the debate: {review.debate.question}"
    )
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "It was abusive, threatening or hateful\nPlease keep it civil." in body


# Who may moderate --------------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "resident",
    "officer",
    "officer of another department",
    "facilitator",
    "organisation admin",
    "site admin",
    "other council's officer",
    "other council's admin",
]
QUEUE_QUERIES = 7
MODERATES = {"officer", "organisation admin", "site admin"}
BLOCKS = {"officer", "officer of another department", "organisation admin", "site admin"}


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_matrix(cast, role):
    debate = make_debate(cast)
    user = AnonymousUser() if role == "anonymous" else cast.people[role]
    assert user.has_perm("debates.moderate_debate", debate) is (role in MODERATES)
    assert user.has_perm("debates.block_account", cast.council) is (role in BLOCKS)


@pytest.mark.parametrize(
    "role", ["resident", "officer of another department", "facilitator", "other council's admin"]
)
def test_those_who_do_not_moderate_the_debate_change_nothing_and_send_nothing(cast, role):
    review = hidden_review(cast)
    actor = cast.people[role]
    before = moderation_entries()
    for decide in (review_restore, review_remove):
        with pytest.raises(PermissionDenied):
            decide(actor=actor, review=review, decision=Decision.KEPT)
    with pytest.raises(PermissionDenied):
        item_hide(actor=actor, review=review)
    if role not in BLOCKS:
        with pytest.raises(PermissionDenied):
            block(cast, actor=actor, user=review.comment.author)
    review.refresh_from_db()
    assert (review.status, review.decided_by, review.decision) == (Status.HIDDEN, None, "")
    assert Delivery.objects.count() == 0
    assert Block.objects.count() == 0 or role in BLOCKS
    assert moderation_entries() == before


def test_the_queue_is_scoped_to_the_officers_department_oldest_first(cast, clock):
    first = hidden_review(cast)
    clock.advance(minutes=5)
    second = hidden_review(cast, kind="point", email="pointer@example.org")
    Review.objects.filter(pk=first.pk).update(hidden_at=clock.now - timedelta(days=1))
    officer = signed_in(cast.officer)
    html = assert_page(officer.get("/admin/debates/review/"), heading=ANY_HEADING)
    assert html.index("Cars are the problem") < html.index("Cleaner air for the school run.")
    assert "It is abusive, threatening or hateful" in html
    assert f"/debates/{first.debate.slug}/#comment-{first.comment_id}" in html
    page = assert_page(
        officer.get(f"/admin/debates/review/{second.pk}/moderate/"), heading=ANY_HEADING
    )
    assert "3 reports" in page
    other = signed_in(cast.other_officer)
    listed = assert_page(other.get("/admin/debates/review/"), heading=ANY_HEADING)
    assert "Cars are the problem" not in listed
    assert other.get(f"/admin/debates/review/{second.pk}/moderate/").status_code == 404
    refused = other.post(
        f"/admin/debates/review/{second.pk}/moderate/",
        {"action": "decide", "outcome": "remove", "decide-decision": "spam"},
    )
    assert refused.status_code == 404
    assert Review.objects.get(pk=second.pk).status == Status.HIDDEN
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_keeps_a_fixed_number_of_queries(cast, django_assert_num_queries, count):
    debate = make_debate(cast)
    people = reporters(2)
    for number in range(count):
        item = comment_by(debate, people[0], text=f"Comment {number}")
        review = Review.objects.create(
            debate=debate, comment=item, status=Status.HIDDEN, hidden_at=item.created_at
        )
        Report.objects.create(review=review, reporter=people[1], reason=Reason.SPAM)
    officer = signed_in(cast.officer)
    officer.get("/admin/debates/review/")  # the session and the roles, read once
    # The same whatever the queue holds: the session, the user, their roles and departments,
    # and the page of the queue with its reasons and counts in one query.
    with django_assert_num_queries(QUEUE_QUERIES):
        html = officer.get("/admin/debates/review/").content.decode()
    assert html.count("It is spam or advertising") == count


def test_an_officer_decides_from_the_queue_page_without_javascript(cast):
    review = hidden_review(cast)
    officer = signed_in(cast.officer)
    page = f"/admin/debates/review/{review.pk}/moderate/"
    missing = assert_page(
        officer.post(page, {"action": "decide", "outcome": "remove"}), heading=ANY_HEADING
    )
    assert "Choose the reason the author will be told" in missing
    assert Review.objects.get().status == Status.HIDDEN
    done = officer.post(page, {"action": "decide", "outcome": "remove", "decide-decision": "abuse"})
    assert done.status_code == 302
    assert Review.objects.get().status == Status.REMOVED
    assert Delivery.objects.filter(to_email="author@example.org").count() == 1


# Blocking ----------------------------------------------------------------------------------------


def argue(user, debate, now, text="Let me in.") -> Point:
    token = point_token(now=time.time() - 60)
    return point_add(user=user, debate=debate, side="for", text=text, token=token, now=now)


def comment(user, debate, now, text="Let me in.") -> Comment:
    token = comment_token(now=time.time() - 60)
    return comment_post(user=user, debate=debate, stance="for", text=text, token=token, now=now)


def block(cast, days=7, reason=Decision.ABUSE, **given) -> Block:
    values = {"actor": cast.officer, "user": cast.resident, "organisation": cast.council}
    return account_block(**{**values, "days": days, "reason": reason, **given})


def test_a_blocked_resident_is_told_why_and_nothing_is_saved(cast, clock):
    debate = make_debate(cast, now=clock.now)
    blocked = block(cast, now=clock.now)
    with pytest.raises(Refused) as refused:
        argue(cast.resident, debate, clock.now)
    assert refused.value.code == "blocked"
    assert "A moderator has stopped your account from adding points and comments" in str(
        refused.value.messages[0]
    )
    with pytest.raises(Refused):
        comment(cast.resident, debate, clock.now)
    assert (Point.objects.count(), Comment.objects.count()) == (0, 0)
    # Another council's debates are not theirs to block.
    other = make_debate(cast, department=cast.other_council_department, now=clock.now)
    argue(cast.resident, other, clock.now, text="Elsewhere.")
    # Lifted early: they take part again, and both are audited.
    block_lift(actor=cast.officer, block=blocked, now=clock.now)
    comment(cast.resident, debate, clock.now, text="Back again.")
    assert [summary for _actor, summary in moderation_entries()] == [
        f"Blocked account #{cast.resident.pk} from debates for 7 days (abuse)",
        f"Lifted the block on account #{cast.resident.pk} early",
    ]
    with pytest.raises(ValidationError):
        block_lift(actor=cast.officer, block=blocked, now=clock.now)


def test_a_blocked_resident_sees_why_on_the_add_a_point_page(cast):
    debate = make_debate(cast)
    block(cast)
    resident = signed_in(cast.resident)
    html = assert_page(
        resident.post(
            f"/debates/{debate.slug}/points/add/",
            {"side": "for", "text": "Let me in.", "started": point_token(now=time.time() - 60)},
        ),
        heading="Add a point",
    )
    assert "A moderator has stopped your account from adding points and comments" in html
    assert Point.objects.count() == 0


def test_a_block_ends_by_itself(cast, clock):
    debate = make_debate(cast, now=clock.now)
    block(cast, days=1, reason=Decision.SPAM, now=clock.now)
    with pytest.raises(Refused):
        argue(cast.resident, debate, clock.advance(hours=23))
    argue(cast.resident, debate, clock.advance(hours=1, minutes=1), text="A day later.")
    assert list(Point.objects.values_list("text", flat=True)) == ["A day later."]


@pytest.mark.parametrize(
    ("days", "reason", "errors"),
    [
        (3, "abuse", {"days": ["Choose how long to block the account for"]}),
        (7, "kept", {"reason": ["Choose why you are blocking the account"]}),
    ],
)
def test_a_block_is_picked_from_the_lists(cast, days, reason, errors):
    with pytest.raises(ValidationError) as refused:
        block(cast, days=days, reason=reason)
    assert refused.value.message_dict == errors
    assert Block.objects.count() == 0


def test_an_officer_blocks_the_author_from_the_review_page_and_lifts_it(cast):
    review = hidden_review(cast)
    officer = signed_in(cast.officer)
    page = f"/admin/debates/review/{review.pk}/moderate/"
    done = officer.post(page, {"action": "block", "block-days": "30", "block-reason": "abuse"})
    assert done.status_code == 302
    block = Block.objects.get()
    assert (block.user, block.organisation) == (review.comment.author, cast.council)
    listed = assert_page(officer.get("/admin/debates/block/"), heading=ANY_HEADING)
    assert f"Account #{block.user_id}" in listed
    assert officer.post(f"/admin/debates/block/{block.pk}/lift/").status_code == 302
    block.refresh_from_db()
    assert block.lifted_by == cast.officer
    # Another council's officer sees none of it.
    stranger = signed_in(cast.other_council_officer)
    assert stranger.post(f"/admin/debates/block/{block.pk}/lift/").status_code == 404


# Personal data -----------------------------------------------------------------------------------


def test_a_persons_reports_are_in_their_copy(cast):
    from contacts.services import contact_for_email

    comment = comment_by(make_debate(cast), UserFactory())
    report_add(user=cast.resident, comment=comment, reason=Reason.SPAM, detail="Adverts.")
    contact = contact_for_email(
        organisation=cast.council, email=cast.resident.email, source="debate"
    )
    rows = [row for row in export_contributions(contact) if row["what"].startswith("reported")]
    assert rows == [
        {
            "debate": comment.debate.question,
            "what": "reported a comment (it is spam or advertising)",
            "when": Report.objects.get().created_at.isoformat(),
            "point": "Adverts.",
        }
    ]
