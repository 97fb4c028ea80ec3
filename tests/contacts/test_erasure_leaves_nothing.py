"""Erasure leaves nothing behind (UK GDPR, article 17).

One person does everything a resident can: makes an account, answers a survey in their own words,
starts a petition that names them, signs another, proposes a budget idea that names them and
supports another, makes a point in a debate that names them and endorses another, proposes two
debates that name them (one published), votes in a conversation and adds a statement that names
them, votes in another with her e-mail address and no account, registers for an event with an
answer that names them, is imported from a file named after them and
receives a campaign; an officer searches the contact list for their address. Then they are erased,
through their own "my data" page or by an officer's "Erase now", and every text-like column of
every table (found from PostgreSQL's own catalogue, so a new app's tables are searched too), every
session, every cached value and every stored file is searched for their address, its part before
the @, their name and their surname. Nothing may be found, and every count stays as it was.
"""

from __future__ import annotations

import json
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from budgets.models import Budget, Idea, Process
from budgets.services import idea_not_feasible, idea_propose, idea_support, propose_token
from civic.models import AuditEntry, Role, User
from consultations.models import Answer, Response
from consultations.services import responding
from contacts.models import Activity, ConsentEvent, ConsentPurpose, Contact, DataRequest, Segment
from contacts.services import consent_give, imports
from contacts.services.gdpr import data_request_create, data_request_process
from debates.conversation_email import (
    email_participation_ask,
    email_participation_confirm,
    email_token,
)
from debates.conversations import participant_for, statement_add, statement_token, statement_vote
from debates.following import follow_start
from debates.models import Conversation, Debate, DebateSpace, Follow, Point, Report, Statement
from debates.moderation import report_add
from debates.proposals import debate_propose, proposal_token
from debates.services import debate_publish, point_add, point_endorse, point_token
from events.models import Event, EventQuestion, Registration
from events.services import register_token, registration_make
from events.services.registering import field_name
from mailing.engine import campaign_send_chunks
from mailing.models import Campaign, Delivery, SendingIdentity
from mailing.services import campaign_send_now
from petitions.models import Petition, PetitionPolicy, Signature
from petitions.services import petition_create, petition_publish, signatures_record
from petitions.services.counting import petition_count
from petitions.services.signing import signature_confirm, signature_sign
from tests.consultations.conftest import make_consultation
from tests.factories import (
    AreaFactory,
    DepartmentFactory,
    OrganisationFactory,
    RoleFactory,
    UserFactory,
)
from tests.petitions.conftest import add_signatures, drawn_token

NAME = "Philippa Quennell-Ashworth"
EMAIL = "philippa.qa1987@example.net"
LOCAL_PART = "philippa.qa1987"
SURNAME = "Quennell-Ashworth"  # a file named after her keeps it whole (spaces become "_")
NEEDLES = [EMAIL, NAME, LOCAL_PART, SURNAME]
PASSWORD = "a long and unguessable passphrase 42"

# Column types whose values can hold text; everything else (numbers, dates, booleans) cannot.
TEXT_TYPES = (
    "text",
    "character varying",
    "character",
    "json",
    "jsonb",
    "bytea",
    "xml",
    "tsvector",
    "ARRAY",
    "USER-DEFINED",
)


def columns_holding(needles: list[str]) -> dict[str, set[str]]:
    """Every `table.column` of the public schema that holds one of the needles, case ignored."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type = ANY(%s)
            ORDER BY c.table_name, c.ordinal_position
            """,
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        patterns = [
            "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for needle in needles
        ]
        found: dict[str, set[str]] = {}
        for table, column, data_type in columns:
            value = (
                f"encode({connection.ops.quote_name(column)}, 'escape')"
                if data_type == "bytea"
                else f"{connection.ops.quote_name(column)}::text"
            )
            for needle, pattern in zip(needles, patterns, strict=True):
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE {value} ILIKE %s)",
                    [pattern],
                )
                if cursor.fetchone()[0]:
                    found.setdefault(f"{table}.{column}", set()).add(needle)
        assert len(columns) > 100, "the catalogue lists every text-like column"
    return found


def sessions_holding(needles: list[str]) -> list[str]:
    """Sessions are stored signed and base64-encoded, which a search of the column cannot see
    into: decode each one."""
    found = []
    for session in Session.objects.all():
        decoded = json.dumps(SessionStore().decode(session.session_data)).lower()
        found += [
            f"session {session.session_key[:6]}…: {needle}"
            for needle in needles
            if needle.lower() in decoded
        ]
    return found


def cache_holding(needles: list[str]) -> list[str]:
    """Every value in the shared cache (pages, petitions, sessions), as the bytes it keeps."""
    values: dict[str, list[bytes]] = {}
    if hasattr(cache, "_dir"):  # the file-based cache of a checkout without Redis
        for path in Path(cache._dir).rglob("*"):
            if path.is_file():
                values[path.name] = [path.read_bytes()]
    else:
        client = cache._cache.get_client()
        readers = {
            b"string": lambda key: [client.get(key)],
            b"hash": lambda key: [*client.hkeys(key), *client.hvals(key)],
            b"list": lambda key: client.lrange(key, 0, -1),
            b"set": lambda key: list(client.smembers(key)),
            b"zset": lambda key: client.zrange(key, 0, -1),
        }
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            values[key.decode(errors="replace")] = [key, *readers.get(kind, lambda key: [])(key)]
    return [
        f"cache {key}: {needle}"
        for key, raws in values.items()
        for needle in needles
        if any(needle.lower().encode() in (raw or b"").lower() for raw in raws)
    ]


def files_holding(root: Path, needles: list[str]) -> list[str]:
    """Every file under MEDIA_ROOT, by its path and its contents (and a zip's members)."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        texts = [str(path.relative_to(root)), path.read_bytes().decode("utf-8", "replace")]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                texts += archive.namelist()
                texts += [
                    archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                ]
        found += [
            f"file {path.relative_to(root)}: {needle}"
            for needle in needles
            if any(needle.lower() in text.lower() for text in texts)
        ]
    return found


def counts() -> dict[str, object]:
    return {
        "users": User.objects.count(),
        "contacts": Contact.objects.count(),
        "activities": Activity.objects.count(),
        "consent events": ConsentEvent.objects.count(),
        "responses": Response.objects.filter(status="submitted").count(),
        "answers": Answer.objects.count(),
        "petitions": Petition.objects.count(),
        "signatures": Signature.objects.count(),
        "signatures per petition": {
            petition.pk: petition_count(petition_id=petition.pk)
            for petition in Petition.objects.order_by("pk")
        },
        "ideas": Idea.objects.count(),
        "supports per idea": {
            idea.pk: idea.supports.count() for idea in Idea.objects.order_by("pk")
        },
        "points": Point.objects.count(),
        "conversation statements": Statement.objects.count(),
        "reports": Report.objects.count(),
        "endorsements per point": {
            point.pk: point.endorsements.count() for point in Point.objects.order_by("pk")
        },
        "registrations": Registration.objects.count(),
        "places booked": sum(Registration.objects.values_list("places", flat=True)),
        "deliveries": Delivery.objects.count(),
        "campaign deliveries": Delivery.objects.filter(campaign__isnull=False).count(),
    }


@pytest.fixture
def place(settings, tmp_path):
    """A council with a consultation, a petition scheme, a newsletter and a facilitator."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CIVIC_RESPONSE_MIN_SECONDS = 0
    settings.CIVIC_PETITION_MIN_SECONDS = 0
    settings.CIVIC_BUDGET_PROPOSE_MIN_SECONDS = 0
    settings.CIVIC_DEBATE_POINT_MIN_SECONDS = 0
    # Mail that has left is out of the council's hands; here it leaves for memory, not var/mail.
    settings.EMAIL_BACKEND_PATH = "django.core.mail.backends.locmem.EmailBackend"
    settings.MAILERS = {
        **settings.MAILERS,
        "outbound": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    council = OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    team = DepartmentFactory(organisation=council, name="Democratic Services", slug="democratic")
    PetitionPolicy.objects.create(organisation=council, department=team)
    ward = AreaFactory(organisation=council, code="E05000001", name="Ancoats")
    ward.postcodes.create(organisation=council, postcode="M4 6AA")
    facilitator = RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user
    moderator = RoleFactory(organisation=council, kind=Role.Kind.OFFICER, departments=[team]).user
    # A neighbour's open petition, which she will sign.
    neighbour = UserFactory(email="bernard@example.org", name="Bernard Byers")
    opened = timezone.now() - timedelta(days=1)
    bystander = Petition.objects.create(
        organisation=council,
        department=team,
        creator=neighbour,
        creator_name="Bernard Byers",
        title="Plant more trees on Oxford Road",
        background="The road has too few trees.",
        status=Petition.Status.OPEN,
        opened_at=opened,
        closes_at=opened + timedelta(days=180),
    )
    add_signatures(bystander, 3, prefix="neighbour")
    # A budget process collecting ideas, with a neighbour's idea she will support.
    opened = timezone.now() - timedelta(days=1)
    process = Process.objects.create(
        department=team,
        title="Northbridge decides 2027",
        slug="northbridge-decides-2027",
        summary="Residents decide.",
        status=Process.Status.PUBLISHED,
        ideas_open_at=opened,
        review_starts_at=opened + timedelta(days=30),
    )
    Budget.objects.create(process=process, area=ward, amount=50_000)
    Idea.objects.create(
        process=process,
        budget=process.budgets.get(),
        title="Benches by the canal",
        description="Somewhere to sit.",
        estimated_cost=5_000,
        proposer=neighbour,
    )
    # An open debate, with a neighbour's point she will endorse.
    debate = Debate.objects.create(
        department=team,
        question="Should the high street be closed to cars on Saturdays?",
        slug="car-free-saturdays",
        summary="A trial.",
        background="Buses would move.",
        status=Debate.Status.PUBLISHED,
        opens_at=opened,
        closes_at=opened + timedelta(days=30),
    )
    Point.objects.create(debate=debate, side=Point.Side.FOR, text="Cleaner air.", author=neighbour)
    # An open conversation with a statement of the council's own, which she will vote on.
    conversation = Conversation.objects.create(
        department=team,
        title="Sharing the high street",
        question="How should the high street be shared?",
        slug="sharing-the-high-street",
        background="Why we ask.",
        statement_moderation=Conversation.Moderation.AFTER,
        status=Conversation.Status.PUBLISHED,
        opens_at=opened,
        closes_at=opened + timedelta(days=30),
    )
    Statement.objects.create(
        conversation=conversation, text="Buses first.", is_seed=True, status="shown"
    )
    # An event taking registrations, with a question she will answer.
    event = Event.objects.create(
        department=team,
        title="Riverside drop-in",
        summary="Talk to us.",
        description="Maps.",
        starts_at=opened + timedelta(days=10),
        ends_at=opened + timedelta(days=10, hours=2),
        venue_name="Ancoats Library",
        address="1 Old Mill Street",
        postcode="M4 6AA",
        in_person_capacity=20,
        places_limit=2,
        registration_opens_at=opened,
        status=Event.Status.PUBLISHED,
    )
    EventQuestion.objects.create(event=event, kind=EventQuestion.Kind.ACCESS)
    newsletter = ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="the newsletter", description="News"
    )
    return {
        "event": event,
        "council": council,
        "team": team,
        "survey": make_consultation(team),
        "facilitator": facilitator,
        "moderator": moderator,
        "newsletter": newsletter,
        "process": process,
        "debate": debate,
        "conversation": conversation,
    }


def live_her_life(place) -> tuple[Client, Contact]:
    """Everything she does, through the same services and pages the site uses."""
    council, survey = place["council"], place["survey"]

    # An account, made on allauth's sign-up page; her address is then confirmed and she signs in.
    resident = Client()
    signed_up = resident.post(
        "/accounts/signup/", {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert signed_up.status_code == 302
    EmailAddress.objects.filter(email__iexact=EMAIL).update(verified=True, primary=True)
    assert (
        resident.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD}).status_code == 302
    )
    user = User.objects.get(email__iexact=EMAIL)
    user.name = NAME
    user.save(update_fields=["name"])

    # A survey response in her own words, and she asks to hear the outcome.
    response = responding.response_start(
        consultation=survey.consultation, user=user, token=responding.start_token()
    )
    questions = survey.questions
    pages = [
        {questions["cycles"].pk: str(survey.option("cycles", "Yes").pk),
         questions["route"].pk: "Along the canal"},
        {questions["helps"].pk: f"I am {NAME}; write to me at {EMAIL} about the lighting."},
        {questions["email"].pk: EMAIL, questions["postcode"].pk: "M4 6AA"},
    ]  # fmt: skip
    for page, answers in zip(survey.pages, pages, strict=True):
        response = responding.answers_save(response=response, page=page, answers=answers, user=user)
    responding.response_submit(
        response=response,
        user=user,
        email=EMAIL,
        consents=responding.Consents(hear_about_outcome=True, outcome_wording="Tell me"),
    )

    # A petition she starts, whose text says who she is; it gathers its supporters, a moderator
    # publishes it, and its page is read (and kept in the shared cache).
    started = petition_create(
        user=user,
        organisation=council,
        title="Open Ancoats library on Sundays",
        background=f"I am {NAME}, a mother of two in Ancoats. Write to me at {EMAIL}.",
        details=f"On the library's forum I am {LOCAL_PART}.",
        name=NAME,
        postcode="M4 6AA",
        hears_progress=True,
    ).petition
    Petition.objects.filter(pk=started.pk).update(
        status=Petition.Status.PENDING, submitted_at=timezone.now()
    )
    petition_publish(actor=place["moderator"], petition=started)
    page = Client().get(f"/petitions/{started.pk}/")
    assert EMAIL in page.content.decode()

    # A signature on someone else's petition, confirmed, and recorded on her timeline.
    other = Petition.objects.exclude(pk=started.pk).get()
    signed = signature_sign(
        petition=other,
        name=NAME,
        email=EMAIL,
        postcode="M4 6AA",
        lives_here=True,
        hears_progress=True,
        started=drawn_token(),
        ip="203.0.113.9",
    )
    signature_confirm(signature=signed.signature)
    signatures_record()

    # A budget idea she proposes, which says who she is, and a neighbour's idea she supports,
    # asking to hear how each goes.
    # Its picture's file names her (as a photo's metadata can), and the council's reason for
    # turning it down names her too.
    process = place["process"]
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + f"tEXtAuthor\x00{NAME}".encode()
    idea = idea_propose(
        user=user,
        process=process,
        title=f"A bench for {NAME}'s street",
        description=f"I am {NAME}; my mother needs somewhere to sit. Write to {EMAIL}.",
        estimated_cost=2_000,
        budget=process.budgets.get(),
        image=SimpleUploadedFile("bench.png", picture),
        image_alt=f"{NAME}'s street",
        hears_progress=True,
        token=propose_token(now=time.time() - 60),
        ip="203.0.113.9",
    )
    idea_not_feasible(
        actor=place["moderator"],
        idea=idea,
        reason=f"We spoke to {NAME}: the pavement there is too narrow for a bench.",
    )
    idea_support(
        user=user, idea=Idea.objects.get(title="Benches by the canal"), hears_progress=True
    )

    # A point she makes in a debate, which says who she is, and a neighbour's point she
    # endorses, asking to follow the debate.
    point_add(
        user=user,
        debate=place["debate"],
        side=Point.Side.AGAINST,
        text=f"I am {NAME} and I run the shop at number 4: write to {EMAIL}.",
        follows=True,
        token=point_token(now=time.time() - 60),
        ip="203.0.113.9",
    )
    point_endorse(user=user, point=Point.objects.get(text="Cleaner air."), follows=True)
    # She reports the neighbour's point, saying who she is in the detail.
    report_add(
        user=user,
        point=Point.objects.get(text="Cleaner air."),
        reason=Report.Reason.OTHER,
        detail=f"{NAME} here ({EMAIL}): this is not true.",
    )

    # In a conversation she votes on the council's statement and adds one that says who she is.
    conversation = place["conversation"]
    participant = participant_for(
        conversation=conversation, user=user, anonymous_key=None, create=True
    )
    statement_vote(
        participant=participant, statement=conversation.statements.get(is_seed=True), choice=1
    )
    statement_add(
        conversation=conversation,
        participant=participant,
        text=f"{NAME} at number 4 wants benches: {EMAIL}",
        token=statement_token(now=time.time() - 60),
        ip="203.0.113.9",
    )
    # In another conversation she takes part with her e-mail address and no account, asking to
    # hear how it goes, follows the link she is sent and votes.
    by_email = Conversation.objects.create(
        department=place["team"],
        title="The market hall",
        question="What should the market hall be?",
        slug="the-market-hall",
        background="Why we ask.",
        status=Conversation.Status.PUBLISHED,
        opens_at=conversation.opens_at,
        closes_at=conversation.closes_at,
    )
    seed = Statement.objects.create(
        conversation=by_email, text="Food stalls.", is_seed=True, status="shown"
    )
    asked = email_participation_ask(
        conversation=by_email,
        email=EMAIL,
        wants_news=True,
        token=email_token(now=time.time() - 60),
        ip="203.0.113.9",
    )
    statement_vote(
        participant=email_participation_confirm(participant=asked, browser_key=None),
        statement=seed,
        choice=-1,
    )
    # In a space the council moderates she proposes two debates that say who she is: the
    # council publishes one, and the other waits (debates.proposals).
    space = DebateSpace.objects.create(
        department=place["team"], slug="ideas", title="Ideas", description="Propose one."
    )
    for number, question in enumerate(
        (f"Should {NAME} run the market?", f"Should the square be named after {SURNAME}?")
    ):
        proposed = debate_propose(
            user=user,
            space=space,
            question=question,
            background=f"I am {NAME}: write to {EMAIL}.",
            token=proposal_token(now=time.time() - 60),
            ip=f"203.0.113.{20 + number}",
        )
    Debate.objects.filter(pk=proposed.pk).update(
        opens_at=timezone.now() - timedelta(days=1), closes_at=timezone.now() + timedelta(days=9)
    )
    debate_publish(actor=place["moderator"], debate=proposed)
    # She follows the debate too (debates.following): erasure removes the follow.
    follow_start(user=user, debate=place["debate"], consents=True)

    # She registers for an event, with an answer that says who she is, asking to hear of more.
    event = place["event"]
    registration_make(
        event=event,
        name=NAME,
        email=EMAIL,
        postcode="M4 6AA",
        places=2,
        answers={field_name(event.questions.get()): f"{NAME} uses a wheelchair"},
        hears_about_events=True,
        started=register_token(now=time.time() - 60),
        ip="203.0.113.9",
    )

    # The council imports her, with a neighbour, from a file named after her.
    facilitator = place["facilitator"]
    upload = imports.contact_import_upload(
        actor=facilitator,
        organisation=council,
        uploaded_file=SimpleUploadedFile(
            f"{NAME}.csv",
            f"email,name\n{EMAIL},{NAME}\nbernard@example.org,Bernard Byers\n".encode(),
        ),
    )
    imports.contact_import_start(actor=facilitator, contact_import=upload)
    imports.contact_import_run(contact_import_id=upload.pk)

    # She subscribes to the newsletter and receives a campaign.
    contact = Contact.objects.get(email__iexact=EMAIL)
    consent_give(
        contact=contact,
        purpose=place["newsletter"],
        method="The 'my data' page",
        wording="Send me the newsletter",
    )
    campaign = Campaign.objects.create(
        organisation=council,
        name="Winter newsletter",
        identity=SendingIdentity.objects.create(
            organisation=council, from_name="Northbridge", from_email="news@northbridge.example"
        ),
        purpose=place["newsletter"],
        subject="News for {{ contact.first_name }}",
        body="Hello {{ contact.name }},\n\nThe library opens on Sundays.",
        created_by=facilitator,
    )
    campaign.segments.add(Segment.objects.create(organisation=council, name="All", definition={}))
    assert campaign_send_now(campaign=campaign, actor=facilitator) == 1
    campaign_send_chunks(campaign.pk, seconds=30)
    assert Delivery.objects.get(campaign=campaign).status == "sent"

    # She asks for a copy of her data, which is built and kept for her to download.
    copy = data_request_create(contact=contact, kind=DataRequest.Kind.ACCESS)
    data_request_process(data_request_id=copy.pk)

    # A second list naming her is uploaded and waits to be imported.
    imports.contact_import_upload(
        actor=facilitator,
        organisation=council,
        uploaded_file=SimpleUploadedFile(
            "volunteers.csv",
            f"email,name,notes\n{EMAIL},{NAME},\nann@example.org,Ann,Friend of {EMAIL}\n".encode(),
        ),
    )

    # An officer looks for her in the contact list by her address.
    officer = Client()
    officer.force_login(facilitator)
    assert officer.get("/admin/contacts/contact/", {"q": EMAIL}).status_code == 200
    return resident, contact


def erase_through_my_data(place, resident: Client, contact: Contact) -> None:
    """She asks on her own "my data" page; the request is carried out as the worker does it."""
    assert (
        resident.post("/my-data/", {"contact": contact.pk, "request": "erasure"}).status_code == 302
    )
    data_request = DataRequest.objects.get(contact=contact, kind=DataRequest.Kind.ERASURE)
    data_request_process(data_request_id=data_request.pk)


def erase_now_by_an_officer(place, resident: Client, contact: Contact) -> None:
    """She asks by telephone; the facilitator records it and clicks "Erase now"."""
    data_request = data_request_create(contact=contact, kind=DataRequest.Kind.ERASURE)
    officer = Client()
    officer.force_login(place["facilitator"])
    done = officer.post(
        "/admin/contacts/datarequest/",
        {"action": "erase_now", "_selected_action": [str(data_request.pk)], "post": "yes"},
    )
    assert done.status_code == 302


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("erase", [erase_through_my_data, erase_now_by_an_officer])
def test_after_erasure_her_address_and_name_are_in_no_column_session_cache_or_file(
    postgresql_only, place, erase
):
    resident, contact = live_her_life(place)
    media = Path(settings.MEDIA_ROOT)
    before = counts()
    held = columns_holding(NEEDLES)
    # The search finds her where she is held, so that finding nothing later means something.
    for column in (
        "civic_user.email",
        "account_emailaddress.email",
        "consultations_answer.text",
        "contacts_contact.email",
        "contacts_contact.name",
        "mailing_delivery.to_email",
        "petitions_petition.background",
        "petitions_petition.details",
        "petitions_signature.email",
        "budgets_idea.title",
        "budgets_idea.description",
        "budgets_idea.reason",
        "debates_statement.text",
        "events_registration.email",
        "events_registration.name",
        "events_registration.answers",
    ):
        assert column in held, (column, sorted(held))
    assert files_holding(media, [EMAIL]) and cache_holding([EMAIL])
    # The append-only log never held her: it says a search was made and a file uploaded, not
    # what was searched for or what the file was called.
    assert AuditEntry.objects.filter(summary="Viewed the contact list (searched)").count() == 1
    assert AuditEntry.objects.filter(summary__startswith="Uploaded the file of").count() == 2
    assert [column for column in held if column.startswith("civic_auditentry.")] == []
    assert "contacts_contactimport.file" not in held
    her_id = str(User.objects.get(email__iexact=EMAIL).pk)

    def her_sessions() -> int:
        return sum(
            SessionStore().decode(session.session_data).get("_auth_user_id") == her_id
            for session in Session.objects.all()
        )

    assert her_sessions() == 1
    assert Follow.objects.filter(contact=contact).count() == 1

    erase(place, resident, contact)

    assert columns_holding(NEEDLES) == {}
    assert sessions_holding(NEEDLES) == []
    assert cache_holding(NEEDLES) == []
    assert files_holding(media, NEEDLES) == []
    assert counts() == {**before, "users": before["users"] - 1}
    assert Follow.objects.count() == 0
    # Her session ended with her account: the page asks for an address instead of showing data.
    assert her_sessions() == 0
    assert resident.get("/my-data/").context["user"].is_anonymous
    entry = AuditEntry.objects.filter(action="delete").get()
    assert entry.object_repr == f"Contact #{contact.pk}"
