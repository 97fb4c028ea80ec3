"""Demo data of the consultations app, run by `manage.py seed_demo` (safe to run again).

Northbridge gets an open consultation with responses coming in, an upcoming one, a closed one
waiting for its outcome, a closed one with its outcome published (decisions, figures, follow-up
actions), and a draft to try the builder on. A consultation is looked up by its slug and, if it
exists, left as it is with everything under it; responses are made as rows, as residents would
have left them, from a fixed random seed so that every run tells the same story.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from civic import demo
from civic.models import Area, Department, User
from consultations.models import (
    ACTIVITY_RESPONSE,
    SOURCE_SURVEY,
    Answer,
    AnswerChoice,
    Consultation,
    Decision,
    Document,
    FollowUpAction,
    Option,
    Question,
    Response,
    SavedQuestion,
    SurveyPage,
    Theme,
    Topic,
)
from consultations.services.builder import ABOUT_YOU, ABOUT_YOU_INTRO, ABOUT_YOU_TITLE, PREFER_NOT
from contacts.models import Contact
from contacts.services import participation_record

TOPICS = [
    ("Transport", "transport"),
    ("Parks and open spaces", "parks"),
    ("Housing", "housing"),
    ("Environment", "environment"),
]

# slug: department, title, summary, body, areas (ONS codes), topics, opens and closes (days
# from now), published, outcome, lead officer, responses, survey [(page, condition, questions)]
CONSULTATIONS = [
    {
        "slug": "riverside-cycle-lanes",
        "department": "transport",
        "title": "Riverside cycle lanes",
        "summary": "Where should the new cycle lanes by the river go, and what would help you "
        "cycle more?",
        "body": (
            "We are planning **new protected cycle lanes** along the river between Castlefield "
            "and Ancoats.\n\n"
            "## What we propose\n\n"
            "- a two-way lane on the north bank\n"
            "- new crossings at the bridges\n"
            "- better lighting on the towpath\n\n"
            "Tell us which route works for you before we draw up the detailed plans."
        ),
        "areas": ["E05000003", "E05000001"],
        "topics": ["transport", "environment"],
        "opens": -10,
        "closes": 20,
        "lead": "officer@northbridge.example",
        "contact": "E-mail transport.consultations@northbridge.example or call 0161 000 0123 "
        "(Monday to Friday, 9am to 5pm).",
        "responses": 42,
        "document": ("The proposed routes (summary)", "riverside-cycle-lanes-routes.txt"),
        "about_you": True,
    },
    {
        "slug": "castlefield-park-play-area",
        "department": "parks",
        "title": "A new play area in Castlefield Park",
        "summary": "Help us choose what goes into the new play area by the canal.",
        "body": "The council has set aside money for a new play area in Castlefield Park. "
        "From next month, tell us what children and families would use.",
        "areas": ["E05000002"],
        "topics": ["parks"],
        "opens": 14,
        "closes": 56,
        "lead": "orgadmin@northbridge.example",
        "contact": "E-mail parks@northbridge.example.",
        "responses": 0,
    },
    {
        "slug": "ancoats-residents-parking",
        "department": "transport",
        "title": "Residents' parking in Ancoats",
        "summary": "Should streets near the station become a residents' parking zone?",
        "body": "Commuters park in residential streets near the station all day. We asked "
        "whether a residents' parking zone would help.",
        "areas": ["E05000001"],
        "topics": ["transport"],
        "opens": -60,
        "closes": -4,
        "lead": "officer@northbridge.example",
        "contact": "E-mail transport.consultations@northbridge.example.",
        "responses": 35,
    },
    {
        "slug": "housing-repairs-service",
        "department": "housing",
        "title": "Improving the housing repairs service",
        "summary": "How well do we repair council homes, and what should change?",
        "body": "Tenants told us repairs take too long. We asked what matters most so that we "
        "can change the service where it counts.",
        "areas": [],
        "topics": ["housing"],
        "opens": -120,
        "closes": -45,
        "lead": "orgadmin@northbridge.example",
        "contact": "E-mail housing@northbridge.example or call 0161 000 0456.",
        "responses": 64,
        "outcome": True,
    },
    {
        "slug": "oxford-road-bus-shelters",
        "department": "transport",
        "title": "Bus shelters on Oxford Road",
        "summary": "Which stops most need a shelter?",
        "body": "A draft: the survey is still being written.",
        "areas": ["E05000003"],
        "topics": ["transport"],
        "opens": 30,
        "closes": 60,
        "lead": "officer@northbridge.example",
        "contact": "",
        "responses": 0,
        "published": False,
    },
]

SURVEYS = {
    "riverside-cycle-lanes": [
        (
            "Cycling",
            None,
            [
                ("cycles", "single_choice", "Do you cycle by the river?", ["Yes", "No"], True),
                ("route", "short_text", "Which route do you use most?", [], False),
            ],
        ),
        (
            "What would help",
            ("cycles", "Yes"),
            [("helps", "long_text", "What would help you cycle more?", [], True)],
        ),
        (
            "The plans",
            None,
            [
                (
                    "improve",
                    "multiple_choice",
                    "What should we improve first?",
                    ["Lighting", "Surface", "Signs", "Crossings"],
                    False,
                ),
                (
                    "agree",
                    "scale",
                    "A lane on the north bank is a good idea",
                    ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"],
                    False,
                ),
                ("postcode", "postcode", "Your postcode", [], False),
            ],
        ),
    ],
    "castlefield-park-play-area": [
        (
            "The play area",
            None,
            [
                (
                    "ages",
                    "multiple_choice",
                    "Who would use it?",
                    ["Under 5s", "5 to 11", "12 to 16", "Parents and carers"],
                    True,
                ),
                ("ideas", "long_text", "What would you like to see?", [], False),
            ],
        )
    ],
    "ancoats-residents-parking": [
        (
            "Parking",
            None,
            [
                (
                    "zone",
                    "single_choice",
                    "Should your street be in a residents' parking zone?",
                    ["Yes", "No", "Not sure"],
                    True,
                ),
                (
                    "hours",
                    "dropdown",
                    "When is parking hardest?",
                    ["Mornings", "Daytime", "Evenings", "Weekends"],
                    False,
                ),
                ("why", "long_text", "Tell us why", [], False),
            ],
        )
    ],
    "housing-repairs-service": [
        (
            "Repairs",
            None,
            [
                (
                    "satisfied",
                    "scale",
                    "How satisfied were you with your last repair?",
                    [
                        "Very dissatisfied",
                        "Dissatisfied",
                        "Neither",
                        "Satisfied",
                        "Very satisfied",
                    ],
                    True,
                ),
                (
                    "priorities",
                    "ranking",
                    "Rank what matters most to you",
                    ["Speed", "Getting it right first time", "Being kept informed"],
                    False,
                ),
                ("change", "long_text", "What one thing should we change?", [], False),
            ],
        )
    ],
    "oxford-road-bus-shelters": [
        (
            "Shelters",
            None,
            [("stop", "short_text", "Which stop do you use?", [], False)],
        )
    ],
}

FREE_TEXT = [
    "Better lighting under the bridges, it feels unsafe after dark.",
    "Keep the lane separate from people walking.",
    "Repairs took three visits to fix one leak.",
    "Nobody told me when the engineer was coming.",
    "More secure bike parking at the station.",
    "Fix the potholes on the towpath first.",
    "Tell us the date and keep to it.",
    "Commuters fill the street from 7am.",
]
STREETS = ["Jersey Street", "Great Ancoats Street", "Bradford Road", "the towpath"]


def seed_consultations(*, organisations: dict) -> None:
    organisation = organisations["northbridge"]
    departments = {row.slug: row for row in Department.objects.filter(organisation=organisation)}
    areas = {
        row.code: row
        for row in Area.objects.filter(organisation=organisation).prefetch_related("postcodes")
    }
    topics = {
        slug: Topic.objects.get_or_create(
            organisation=organisation, slug=slug, defaults={"name": name}
        )[0]
        for name, slug in TOPICS
    }
    people = {user.email: user for user in User.objects.filter(email__endswith=".example")}
    now = timezone.now()
    for number, spec in enumerate(CONSULTATIONS):
        department = departments.get(spec["department"])
        if department is None or Consultation.objects.filter(slug=spec["slug"]).exists():
            continue
        published = spec.get("published", True)
        consultation = Consultation.objects.create(
            department=department,
            slug=spec["slug"],
            title=spec["title"],
            summary=spec["summary"],
            body=spec["body"],
            lead_officer=people.get(spec["lead"]),
            contact_details=spec["contact"],
            opens_at=_at(now, spec["opens"]),
            closes_at=_at(now, spec["closes"], hour=17),
            published_at=_at(now, min(spec["opens"], 0) - 7) if published else None,
        )
        consultation.areas.set(areas[code] for code in spec["areas"] if code in areas)
        consultation.topics.set(topics[slug] for slug in spec["topics"])
        if "document" in spec:
            title, name = spec["document"]
            content = f"{spec['title']}\n\n{spec['body']}\n".encode()
            document = Document(consultation=consultation, title=title, size=len(content))
            # One file however often the demo is loaded into a fresh database.
            path = f"consultations/documents/demo/{name}"
            if document.file.storage.exists(path):
                document.file.name = path
            else:
                document.file.name = document.file.storage.save(path, ContentFile(content))
            document.save()
        questions = _survey(consultation, SURVEYS[spec["slug"]], about_you=spec.get("about_you"))
        _responses(
            consultation,
            questions,
            count=spec["responses"],
            areas=list(areas.values()),
            randomness=random.Random(number),
        )
        if spec.get("outcome"):
            _outcome(consultation, questions, now)
    _library(organisation)


# The council's library of saved questions, to add to any survey page.
LIBRARY = [
    {
        "kind": "scale",
        "text": "How satisfied are you with the council's services in your area?",
        "options": [
            "Very satisfied",
            "Satisfied",
            "Neither satisfied nor dissatisfied",
            "Dissatisfied",
            "Very dissatisfied",
        ],
    },
    {
        "kind": "single_choice",
        "text": "How did you hear about this consultation?",
        "options": ["Council website", "Social media", "A leaflet or poster", "Someone told me"],
    },
    {"kind": "long_text", "text": "Is there anything else you would like to tell us?"},
]


def _library(organisation) -> None:
    for spec in LIBRARY:
        SavedQuestion.objects.get_or_create(
            organisation=organisation,
            text=spec["text"],
            defaults={
                "kind": spec["kind"],
                "options": spec.get("options", []),
                "required": spec["kind"] != "long_text",
            },
        )


def _at(now, days: int, hour: int = 9):
    """`days` from now at a round hour of the local day, as councils set them."""
    moment = timezone.localtime(now + timedelta(days=days))
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _survey(consultation, pages, *, about_you=False) -> dict[str, Question]:
    questions: dict[str, Question] = {}
    for position, (title, condition, rows) in enumerate(pages):
        page = SurveyPage.objects.create(consultation=consultation, position=position, title=title)
        if condition:
            key, label = condition
            target = questions[key]
            page.condition = {
                "question": target.pk,
                "option": target.options.get(label=label).pk,
            }
            page.save(update_fields=["condition"])
        for index, (key, kind, text, labels, required) in enumerate(rows):
            questions[key] = _question(page, index, kind, text, labels, required=required)
    if about_you:
        page = SurveyPage.objects.create(
            consultation=consultation,
            position=len(pages),
            title=ABOUT_YOU_TITLE,
            intro=ABOUT_YOU_INTRO,
        )
        for index, (text, labels) in enumerate(ABOUT_YOU):
            questions[f"about_you_{index}"] = _question(
                page, index, "single_choice", text, [*labels, PREFER_NOT], about_you=True
            )
    return questions


def _question(page, position, kind, text, labels, **fields) -> Question:
    question = Question.objects.create(
        page=page,
        position=position,
        kind=kind,
        text=text,
        max_length=1000 if kind == "long_text" else None,
        **fields,
    )
    Option.objects.bulk_create(
        Option(question=question, position=index, label=label) for index, label in enumerate(labels)
    )
    return question


def _responses(consultation, questions, *, count, areas, randomness) -> None:
    if not count:
        return
    options = {key: list(question.options.all()) for key, question in questions.items()}
    window = max(
        (min(consultation.closes_at, timezone.now()) - consultation.opens_at), timedelta(1)
    )
    for number in range(count):
        area = areas[number % len(areas)]
        submitted = consultation.opens_at + window * ((number + 1) / (count + 1))
        response = Response.objects.create(
            consultation=consultation,
            status=Response.Status.SUBMITTED,
            reference=f"DEMO-{consultation.pk}-{number:04d}",
            area=area,
            started_at=submitted - timedelta(minutes=6),
            submitted_at=submitted,
        )
        if number % 4 == 0:
            _on_timeline(consultation, response, number)
        for key, question in questions.items():
            condition = question.page.condition
            if condition and condition["option"] not in _chosen(response):
                continue  # the page was not shown to this respondent
            if not question.required and randomness.random() < 0.2:
                continue
            _answer(response, question, options[key], randomness, area)


def _on_timeline(consultation, response, number: int) -> None:
    """A quarter of the demo responses come from the demo contacts, so that their timelines in
    the contact manager show what they took part in."""
    email = f"demo.contact{(number * 7 + consultation.pk) % 300}@example.org"
    if not Contact.objects.filter(organisation=consultation.organisation, email=email).exists():
        return
    activity = participation_record(
        organisation=consultation.organisation,
        email=email,
        kind=ACTIVITY_RESPONSE,
        item=consultation,
        item_title=consultation.title,
        reference=response.reference,
        source=SOURCE_SURVEY,
        department=consultation.department,
        occurred_at=response.submitted_at,
    )
    Response.objects.filter(pk=response.pk).update(contact=activity.contact)


def _chosen(response) -> set[int]:
    if getattr(response, "_chosen", None) is None:
        response._chosen = set(
            AnswerChoice.objects.filter(answer__response=response).values_list(
                "option_id", flat=True
            )
        )
    return response._chosen


def _answer(response, question, options, randomness, area) -> None:
    kind = question.kind
    answer = Answer(response=response, question=question)
    if kind in ("short_text", "long_text"):
        answer.text = (
            randomness.choice(STREETS) if kind == "short_text" else randomness.choice(FREE_TEXT)
        )
    elif kind == "postcode":
        postcodes = [row.postcode for row in area.postcodes.all()]
        if not postcodes:
            return
        answer.text = randomness.choice(postcodes)
    answer.save()
    if kind in ("single_choice", "dropdown", "scale"):
        # Lean towards the later options, as a real survey leans somewhere.
        weights = [index + 1 for index in range(len(options))]
        chosen = randomness.choices(options, weights=weights)[0]
        AnswerChoice.objects.create(answer=answer, option=chosen)
    elif kind == "multiple_choice":
        chosen = [option for option in options if randomness.random() < 0.5] or options[:1]
        AnswerChoice.objects.bulk_create(
            AnswerChoice(answer=answer, option=option) for option in chosen
        )
    elif kind == "ranking":
        order = randomness.sample(options, len(options))
        AnswerChoice.objects.bulk_create(
            AnswerChoice(answer=answer, option=option, rank=rank)
            for rank, option in enumerate(order, start=1)
        )
    response._chosen = None


def _outcome(consultation, questions, now) -> None:
    """Themes coded on the free text, two decisions with their figures, and actions."""
    slow = Theme.objects.create(consultation=consultation, name="Repairs take too long")
    informed = Theme.objects.create(consultation=consultation, name="Not kept informed")
    for answer in Answer.objects.filter(question=questions["change"]):
        if "visits" in answer.text or "leak" in answer.text:
            answer.themes.add(slow)
        if "told" in answer.text or "date" in answer.text:
            answer.themes.add(informed)
    first = Decision.objects.create(
        consultation=consultation,
        position=0,
        we_asked="How satisfied were you with your last repair, and what matters most?",
        you_said="Most of you were dissatisfied, and getting a repair right first time matters "
        "more to you than speed.",
        we_did="We are training repair teams to diagnose on the first visit and carry the "
        "common parts in every van.",
    )
    first.questions.set([questions["satisfied"], questions["priorities"]])
    first.themes.set([slow])
    second = Decision.objects.create(
        consultation=consultation,
        position=1,
        we_asked="What one thing should we change?",
        you_said="Many of you were not told when the engineer would come.",
        we_did="Tenants now get a text message with a two-hour slot, and another when the "
        "engineer is on the way.",
    )
    second.questions.set([questions["change"]])
    second.themes.set([informed])
    FollowUpAction.objects.bulk_create(
        [
            FollowUpAction(
                decision=first,
                description="Stock common parts in every repair van",
                status=FollowUpAction.Status.DONE,
            ),
            FollowUpAction(
                decision=first,
                description="Train every repair team in first-visit diagnosis",
                status=FollowUpAction.Status.IN_PROGRESS,
            ),
            FollowUpAction(
                decision=second,
                description="Text tenants a two-hour appointment slot",
                status=FollowUpAction.Status.DONE,
            ),
            FollowUpAction(
                decision=second,
                description="Let tenants track the engineer online",
                status=FollowUpAction.Status.PLANNED,
            ),
        ]
    )
    consultation.outcome_published_at = now - timedelta(days=7)
    consultation.save(update_fields=["outcome_published_at"])


demo.register(seed_consultations, order=20)
