"""Following a debate and what followers are sent: following needs consent ticked by the person,
once per person per debate; a follower hears of a reply to their comment and gets a daily digest
of what is new, each once however often the work runs; an unsubscribe stops it all. Then the
debate closes, an officer of its department publishes the conclusion after a check, it shows at
the top of the page, and everyone who asked to hear is told once."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from civic.form_guard import Refused
from civic.models import AuditEntry
from civic.queueing import queue
from contacts.models import ConsentEvent
from contacts.services import consent_give, contact_for_email
from debates.following import (
    FOLLOW_CONSENT,
    conclusion_publish,
    conclusion_tell,
    digests_send,
    follow_start,
    follow_stop,
    is_following,
    reply_notify,
)
from debates.models import Comment, Conclusion, Debate, Follow, FollowMail, Point
from debates.services import comment_post, comment_token, debate_purpose
from mailing.models import Delivery
from tests.debates.conftest import make_debate
from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page
from tests.worker import wait_for

pytestmark = pytest.mark.django_db
Stage = Debate.Stage
CONCLUSION = "We will close the high street to cars on Saturdays from **June**."


@pytest.fixture(autouse=True)
def _quick_comments(settings):
    settings.CIVIC_DEBATE_COMMENT_MIN_SECONDS = 0
    settings.CIVIC_DEBATE_COMMENT_BURST = "1000/m"
    settings.CIVIC_DEBATE_COMMENT_SUSTAINED = "1000/h"


def say(debate, user, text: str, parent=None) -> Comment:
    return comment_post(
        user=user,
        debate=debate,
        stance=Comment.Stance.FOR,
        text=text,
        parent=parent,
        token=comment_token(now=time.time() - 60),
        ip="198.51.100.7",
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Following and unfollowing ----------------------------------------------------------------------


def test_following_needs_the_box_ticked_and_changes_nothing_without_it(cast):
    debate = make_debate(cast)
    with pytest.raises(ValidationError) as caught:
        follow_start(user=cast.resident, debate=debate, consents=False)
    assert caught.value.message_dict == {
        "consents": ["Tick the box to agree to e-mails about this debate"]
    }
    assert (Follow.objects.count(), ConsentEvent.objects.count()) == (0, 0)
    assert not is_following(user=cast.resident, debate=debate)


def test_a_resident_follows_once_with_their_consent_recorded_and_unfollows(cast, clock):
    debate = make_debate(cast)
    follow = follow_start(user=cast.resident, debate=debate, consents=True, now=clock.now)
    again = follow_start(user=cast.resident, debate=debate, consents=True, now=clock.now)
    assert again.pk == follow.pk and Follow.objects.count() == 1
    event = ConsentEvent.objects.get()
    assert (event.action, event.wording, event.purpose) == (
        "given", str(FOLLOW_CONSENT), debate_purpose(debate))  # fmt: skip
    assert event.contact.email == cast.resident.email.lower()
    assert is_following(user=cast.resident, debate=debate)

    assert follow_stop(user=cast.resident, debate=debate, now=clock.now) is True
    assert Follow.objects.count() == 0
    assert list(ConsentEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "given", "withdrawn"]  # fmt: skip
    assert not is_following(user=cast.resident, debate=debate)
    assert follow_stop(user=cast.resident, debate=debate) is False


def test_the_database_keeps_one_follow_per_person_per_debate(cast):
    debate = make_debate(cast)
    follow = follow_start(user=cast.resident, debate=debate, consents=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(debate=debate, user=cast.resident, contact=follow.contact)


def test_only_a_signed_in_resident_follows_a_published_debate(cast):
    with pytest.raises(Refused) as caught:
        follow_start(user=AnonymousUser(), debate=make_debate(cast), consents=True)
    assert caught.value.code == "sign_in"
    with pytest.raises(Refused) as caught:
        follow_start(user=cast.resident, debate=make_debate(cast, Stage.DRAFT), consents=True)
    assert caught.value.code == "closed"
    assert Follow.objects.count() == 0


def test_the_follow_page_asks_for_the_consent_and_the_debate_page_offers_to_stop(cast):
    debate = make_debate(cast, question="Should the high street be car-free?")
    client = signed_in(cast.resident)
    page = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert f'href="/debates/{debate.slug}/follow/"' in page
    form = assert_page(client.get(f"/debates/{debate.slug}/follow/"), heading="Follow this debate")
    assert 'name="consents"' in form and "checked" not in form

    refused = assert_page(
        client.post(f"/debates/{debate.slug}/follow/", {}), heading="Follow this debate"
    )
    assert "There is a problem" in refused
    assert refused.count("Tick the box to agree to e-mails about this debate") == 2
    assert Follow.objects.count() == 0

    response = client.post(f"/debates/{debate.slug}/follow/", {"consents": "on"})
    assert response.status_code == 302 and response["Location"] == f"/debates/{debate.slug}/"
    page = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert "You follow this debate" in page and "Stop following this debate" in page

    stop = assert_page(
        client.get(f"/debates/{debate.slug}/unfollow/"), heading="Stop following this debate"
    )
    assert Follow.objects.count() == 1 and 'id="unfollow-confirm"' in stop
    assert client.post(f"/debates/{debate.slug}/unfollow/").status_code == 302
    assert Follow.objects.count() == 0


def test_someone_not_signed_in_is_asked_to_sign_in_to_follow(client, cast):
    debate = make_debate(cast)
    response = client.get(f"/debates/{debate.slug}/follow/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_debate_page_for_a_follower_keeps_a_fixed_number_of_queries(
    cast, django_assert_max_num_queries
):
    debate = make_debate(cast)
    follow_start(user=cast.resident, debate=debate, consents=True)
    client = signed_in(cast.resident)
    client.get(f"/debates/{debate.slug}/")
    for number in range(20):
        Point.objects.create(debate=debate, side="for", text=f"Point {number}")
    # Session, user, the debate with its conclusion, points, comment count, and following
    # (the follow with its contact, the purpose, the consent).
    with django_assert_max_num_queries(9):
        assert client.get(f"/debates/{debate.slug}/").status_code == 200


# What followers are sent ------------------------------------------------------------------------


def test_a_reply_tells_the_follower_once_and_not_those_who_do_not_follow(cast, clock):
    debate = make_debate(cast)
    follower, quiet, replier = (
        UserFactory(email="fay@example.org"), UserFactory(email="quentin@example.org"),
        UserFactory(email="rob@example.org"))  # fmt: skip
    follow_start(user=follower, debate=debate, consents=True)
    theirs = say(debate, follower, "Buses would be faster.")
    not_followed = say(debate, quiet, "I drive to the shops.")
    reply = say(debate, replier, "And cleaner air.", parent=theirs)
    own = say(debate, follower, "Replying to myself.", parent=theirs)
    say(debate, replier, "Park and ride?", parent=not_followed)

    assert reply_notify(comment_id=reply.pk) == 1
    assert reply_notify(comment_id=reply.pk) == 0  # run twice: still once
    assert reply_notify(comment_id=own.pk) == 0
    (mail,) = Delivery.objects.all()
    assert mail.to_email == "fay@example.org"
    assert mail.message["subject"] == f"Someone replied to your comment on “{debate.question}”"
    assert "And cleaner air." in mail.message["text"]
    assert f"/debates/{debate.slug}/#comment-{reply.pk}" in mail.message["text"]
    assert mail.message["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert FollowMail.objects.get().key == str(reply.pk)


def test_the_digest_lists_what_others_added_since_the_last_and_nothing_when_nothing_is_new(
    cast, clock
):
    debate = make_debate(cast, now=clock.now)
    follower, other = UserFactory(email="fay@example.org"), UserFactory()
    follow_start(user=follower, debate=debate, consents=True, now=clock.now)
    clock.advance(hours=1)
    Point.objects.create(
        debate=debate, side="for", text="Cleaner air.", author=other, created_at=clock.now
    )
    Point.objects.create(
        debate=debate, side="against", text="Her own point.", author=follower, created_at=clock.now
    )
    top = Comment.objects.create(
        debate=debate, stance="for", text="Buses faster.", author=other, created_at=clock.now
    )
    Comment.objects.create(
        debate=debate,
        parent=top,
        thread=top,
        depth=2,
        stance="against",
        text="Not for me.",
        author=other,
        created_at=clock.now,
    )
    clock.advance(hours=1)  # fmt: skip

    assert digests_send(now=clock.now) == 1
    assert digests_send(now=clock.now + timedelta(hours=3)) == 0  # the same day: never twice
    (mail,) = Delivery.objects.all()
    text = mail.message["text"]
    assert mail.message["subject"] == f"What is new in “{debate.question}”"
    assert "1 new point\n\n- For: Cleaner air." in text
    assert "1 new comment\n\n- Buses faster." in text
    assert "1 new reply\n\n- Not for me." in text
    assert "Her own point." not in text

    clock.advance(days=1)  # nothing new since: nothing sent, the day still recorded
    assert digests_send(now=clock.now) == 0
    assert Delivery.objects.count() == 1
    assert FollowMail.objects.filter(kind="digest").count() == 2
    clock.advance(days=8)  # the records of past days go
    assert digests_send(now=clock.now) == 0
    assert list(FollowMail.objects.values_list("key", flat=True)) == [
        timezone.localdate(clock.now).isoformat()
    ]


def test_a_digest_lost_with_its_worker_is_sent_by_the_next_run(cast, clock):
    debate = make_debate(cast, now=clock.now)
    follow_start(user=UserFactory(email="fay@example.org"), debate=debate, consents=True,
                 now=clock.now)  # fmt: skip
    clock.advance(hours=1)
    Point.objects.create(debate=debate, side="for", text="Cleaner air.", created_at=clock.now)
    clock.advance(hours=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert digests_send(now=clock.now) == 1
        raise RuntimeError("the worker died before its work was committed")
    assert (FollowMail.objects.count(), Delivery.objects.count()) == (0, 0)
    assert digests_send(now=clock.now) == 1
    assert Delivery.objects.count() == 1


def test_an_unsubscribe_stops_replies_and_digests(cast, clock):
    debate = make_debate(cast, now=clock.now)
    follower = UserFactory(email="fay@example.org")
    follow_start(user=follower, debate=debate, consents=True, now=clock.now - timedelta(hours=1))
    theirs = say(debate, follower, "Buses would be faster.")
    assert reply_notify(comment_id=say(debate, cast.officer, "Yes.", parent=theirs).pk) == 1
    link = Delivery.objects.get().message["headers"]["List-Unsubscribe"].split(",")[0].strip("<> ")
    answer = Client().post(urlsplit(link).path, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200

    assert not is_following(user=follower, debate=debate)
    assert reply_notify(comment_id=say(debate, cast.officer, "Again.", parent=theirs).pk) == 0
    assert digests_send(now=clock.now + timedelta(hours=1)) == 0
    assert Delivery.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_reply_notice_and_the_digest_once_over_smtp(
    cast, celery_workers, smtp_sink, settings
):
    worker = celery_workers.start(**smtp_sink.env())
    debate = make_debate(cast)
    follower = UserFactory(email="fay@example.org")
    follow_start(user=follower, debate=debate, consents=True, now=debate.opens_at)
    theirs = say(debate, follower, "Buses would be faster.")
    say(debate, cast.officer, "And cleaner air.", parent=theirs)  # queues the reply notice

    wait_for(lambda: smtp_sink.recipients() == ["fay@example.org"], timeout=60,
             message=f"no reply notice: {smtp_sink.recipients()}")  # fmt: skip
    notice = smtp_sink.received[0].message
    assert notice["subject"] == f"Someone replied to your comment on “{debate.question}”"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in notice["List-Unsubscribe"]

    # The day's digest, run twice (beat and a rerun): one message.
    queue("debates.tasks.digests_send_task")
    queue("debates.tasks.digests_send_task")
    wait_for(lambda: worker.log().count("digests_send_task") >= 4, timeout=60,
             message="the digests did not run twice")  # fmt: skip
    wait_for(lambda: len(smtp_sink.received) == 2, timeout=60, message="no digest")
    digest = smtp_sink.received[1].message
    assert digest["subject"] == f"What is new in “{debate.question}”"
    assert "1 new reply" in digest.get_content()
    assert FollowMail.objects.filter(kind="digest").count() == 1
    assert Delivery.objects.filter(to_email="fay@example.org").count() == 2


# The conclusion ---------------------------------------------------------------------------------


def test_a_conclusion_waits_for_the_debate_to_close_and_needs_words(cast):
    debate = make_debate(cast, Stage.OPEN)
    with pytest.raises(ValidationError) as caught:
        conclusion_publish(actor=cast.officer, debate=debate, text="  ")
    messages = caught.value.message_dict
    assert messages["text"] == ["Enter the conclusion: what the council concludes and will do"]
    assert messages["__all__"][0].startswith("The debate closes on ")
    assert Conclusion.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_conclusion_shows_on_the_page_and_those_who_asked_are_told_once(
    cast, celery_workers, smtp_sink, client
):
    celery_workers.start(**smtp_sink.env())
    debate = make_debate(cast, Stage.CLOSED, question="Should the high street be car-free?")
    for email in ("fay@example.org", "gil@example.org"):
        follow_start(user=UserFactory(email=email), debate=debate, consents=True)
    # Someone who ticked "Tell me how this debate goes" on a point hears too; others do not.
    ticked = contact_for_email(organisation=cast.council, email="tia@example.org", source="debate")
    consent_give(contact=ticked, purpose=debate_purpose(debate), method="point", wording="Tell me")
    contact_for_email(organisation=cast.council, email="quentin@example.org", source="debate")

    conclusion_publish(actor=cast.officer, debate=debate, text=CONCLUSION)

    told = ["fay@example.org", "gil@example.org", "tia@example.org"]
    wait_for(lambda: sorted(smtp_sink.recipients()) == told, timeout=60,
             message=f"not told: {smtp_sink.recipients()}")  # fmt: skip
    message = smtp_sink.received[0].message
    apostrophe = "\N{RIGHT SINGLE QUOTATION MARK}"
    assert message["subject"] == (
        f"The council{apostrophe}s conclusion on “Should the high street be car-free?”"
    )
    assert CONCLUSION in message.get_content()
    assert conclusion_tell(conclusion_id=Conclusion.objects.get().pk) == 0  # told once
    assert Delivery.objects.count() == 3
    with pytest.raises(ValidationError):
        conclusion_publish(actor=cast.officer, debate=debate, text="Another thought.")
    assert Conclusion.objects.get().text == CONCLUSION
    assert AuditEntry.objects.filter(summary="Published the conclusion of the debate").count() == 1

    page = assert_page(client.get(f"/debates/{debate.slug}/"), heading=debate.question)
    assert page.index("What the council concluded") < page.index("Background")
    assert "close the high street to cars on Saturdays from <strong>June</strong>" in page


ROLES = ["anonymous", "resident", "officer", "officer of another department", "facilitator",
         "organisation admin", "site admin", "other council's officer",
         "other council's admin"]  # fmt: skip
PUBLISHES = {"officer", "organisation admin", "site admin"}


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_matrix_for_publishing_a_conclusion(cast, role):
    debate = make_debate(cast, Stage.CLOSED)
    follow_start(user=UserFactory(email="fay@example.org"), debate=debate, consents=True)
    actor = AnonymousUser() if role == "anonymous" else cast.people[role]
    if role in PUBLISHES:
        conclusion_publish(actor=actor, debate=debate, text=CONCLUSION)
        assert Conclusion.objects.get(debate=debate).published_at is not None
        return
    with pytest.raises(PermissionDenied):
        conclusion_publish(actor=actor, debate=debate, text=CONCLUSION)
    assert Conclusion.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert not AuditEntry.objects.filter(summary__contains="conclusion").exists()


def test_the_admin_checks_and_previews_before_publishing_the_conclusion(cast):
    debate = make_debate(cast, Stage.CLOSED, question="Should the high street be car-free?")
    follow_start(user=UserFactory(email="fay@example.org"), debate=debate, consents=True)
    client = signed_in(cast.officer)
    address = f"/admin/debates/debate/{debate.pk}/conclusion/"
    change = assert_page(
        client.get(f"/admin/debates/debate/{debate.pk}/change/"), heading=ANY_HEADING
    )
    assert address in change

    empty = client.post(address, {"step": "check", "text": ""})
    assert empty.status_code == 200
    assert "Enter the conclusion: what the council concludes and will do" in empty.content.decode()
    preview = client.post(address, {"step": "check", "text": CONCLUSION}).content.decode()
    assert "Preview: what residents will see" in preview
    assert "<strong>June</strong>" in preview
    assert "1 person asked to hear about this debate and will be told by e-mail." in preview
    assert Conclusion.objects.count() == 0  # a check publishes nothing

    done = client.post(address, {"step": "publish", "text": CONCLUSION})
    assert done.status_code == 302
    assert Conclusion.objects.get().text == CONCLUSION
    shown = client.get(address).content.decode()
    assert "The conclusion was published on" in shown


def test_an_officer_of_another_department_cannot_reach_the_conclusion_page(cast):
    debate = make_debate(cast, Stage.CLOSED)
    follow_start(user=UserFactory(email="fay@example.org"), debate=debate, consents=True)
    client = signed_in(cast.other_officer)
    address = f"/admin/debates/debate/{debate.pk}/conclusion/"
    assert client.get(address).status_code == 404
    assert client.post(address, {"step": "publish", "text": CONCLUSION}).status_code == 404
    assert (Conclusion.objects.count(), Delivery.objects.count()) == (0, 0)
