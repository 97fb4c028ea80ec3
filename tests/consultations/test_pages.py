"""The hub and a consultation's page, as residents see them: what is listed and how it is filtered,
searched and paged, the state in words, how to take part, the outcome with its figures, and a
fixed number of queries whatever the page holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.utils import timezone

from civic import open_now
from consultations import views
from consultations.models import (
    Answer,
    AnswerChoice,
    Consultation,
    Decision,
    Document,
    FollowUpAction,
    Response,
    Theme,
    Topic,
)
from tests.consultations.conftest import make_consultation
from tests.factories import AreaFactory, DepartmentFactory, OrganisationFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db


def submitted_response(consultation, answers: dict, *, number: int = 0, area=None) -> Response:
    """A submitted response: `answers` maps a question to an option, a list of options (ranked
    in order for a ranking), or a text."""
    response = Response.objects.create(
        consultation=consultation,
        status=Response.Status.SUBMITTED,
        reference=f"T{consultation.pk}-{number}-{Response.objects.count()}",
        area=area,
        submitted_at=timezone.now(),
    )
    for question, value in answers.items():
        if isinstance(value, str):
            Answer.objects.create(response=response, question=question, text=value)
            continue
        answer = Answer.objects.create(response=response, question=question)
        options = value if isinstance(value, list) else [value]
        for rank, option in enumerate(options, start=1):
            AnswerChoice.objects.create(
                answer=answer,
                option=option,
                rank=rank if question.kind == "ranking" else None,
            )
    return response


def _titles(response) -> list[str]:
    return [consultation.title for consultation in response.context["page"].object_list]


@pytest.fixture
def stages(council):
    """One consultation in each stage, dated around now, and a draft."""
    department = council.department
    made = {
        "open": make_consultation(department, slug="open", title="Open one", opens=-2, closes=5),
        "upcoming": make_consultation(
            department, slug="upcoming", title="Upcoming one", opens=3, closes=10
        ),
        "closed": make_consultation(
            department, slug="closed", title="Closed one", opens=-20, closes=-1
        ),
        "outcome": make_consultation(
            department, slug="outcome", title="Decided one", opens=-40, closes=-30
        ),
        "draft": make_consultation(
            department, slug="draft", title="Draft one", opens=-2, closes=5, published=False
        ),
    }
    Consultation.objects.filter(slug="outcome").update(outcome_published_at=timezone.now())
    return {key: survey.consultation for key, survey in made.items()}


# The hub ----------------------------------------------------------------------------------------


def test_the_hub_lists_open_then_upcoming_then_closed_and_never_a_draft(client, stages):
    response = client.get("/consultations/")
    assert response.status_code == 200
    assert _titles(response) == ["Open one", "Upcoming one", "Closed one", "Decided one"]
    html = assert_page(response, heading="Consultations")
    assert "Draft one" not in html
    assert "4 consultations" in html
    for label in ("Open", "Upcoming", "Closed", "Outcome published"):
        assert f">{label}</strong>" in html


def test_a_closed_consultation_with_an_outcome_is_shown_as_such(client, stages):
    html = client.get("/consultations/?status=outcome").content.decode()
    assert re.search(r'govuk-tag--purple">Outcome published</strong>\s*Closed on', html)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["open"], ["Open one"]),
        (["scheduled"], ["Upcoming one"]),
        (["closed"], ["Closed one"]),
        (["outcome"], ["Decided one"]),
        (["open", "closed"], ["Open one", "Closed one"]),
    ],
)
def test_the_hub_filters_by_status(client, stages, statuses, expected):
    response = client.get("/consultations/", {"status": statuses})
    assert _titles(response) == expected


def test_the_hub_filters_by_department_area_and_topic(client, council, stages):
    elsewhere = make_consultation(council.other_department, slug="books", title="Book fines")
    riverside = AreaFactory(organisation=council.organisation, name="Riverside")
    stages["open"].areas.add(council.ward)
    elsewhere.consultation.areas.add(riverside)
    topic = Topic.objects.create(organisation=council.organisation, name="Reading", slug="reading")
    elsewhere.consultation.topics.add(topic)

    by_department = client.get("/consultations/", {"department": council.other_department.pk})
    assert _titles(by_department) == ["Book fines"]
    assert _titles(client.get("/consultations/", {"area": council.ward.pk})) == ["Open one"]
    assert _titles(client.get("/consultations/", {"topic": topic.pk})) == ["Book fines"]
    both = client.get("/consultations/", {"area": riverside.pk, "status": "open"})
    assert _titles(both) == ["Book fines"]


def test_the_filter_lists_only_what_published_consultations_use(client, council, stages):
    unused = DepartmentFactory(organisation=council.organisation, name="Waste")
    response = client.get("/consultations/")
    departments = dict(response.context["form"].fields["department"].choices)
    assert council.department.pk in departments
    assert unused.pk not in departments


def test_an_unknown_filter_value_is_explained_next_to_its_field(client, stages):
    response = client.get("/consultations/", {"department": "999999", "status": "open"})
    html = response.content.decode()
    assert html.count("Choose a department from the list") == 2  # summary and field
    assert 'href="#id_department"' in html
    assert "<title>Error:" in html
    assert _titles(response) == ["Open one"]  # the filters that are valid still apply


@pytest.mark.parametrize("words", ["cycle lanes", "river", "NEW CYCLE"])
def test_search_finds_words_in_the_title_summary_and_body(client, stages, words):
    other = stages["upcoming"]
    other.title, other.summary, other.body = "Library hours", "When to open", "Weekends."
    other.save()
    titles = _titles(client.get("/consultations/", {"q": words}))
    assert "Library hours" not in titles
    assert "Open one" in titles


def test_search_finds_other_forms_of_a_word_on_any_database(client, stages):
    """PostgreSQL's full-text search stems words; on SQLite civic.search does."""
    stages["open"].body = "We will be widening the pavements for walking."
    stages["open"].save()
    assert _titles(client.get("/consultations/", {"q": "widened pavement"})) == ["Open one"]
    assert _titles(client.get("/consultations/", {"q": "walked"})) == ["Open one"]


def test_near_me_shows_consultations_in_the_ward_of_the_postcode(client, council, stages):
    stages["closed"].areas.add(council.ward)
    response = client.get("/consultations/", {"postcode": "m46aa"})
    assert _titles(response) == ["Closed one"]
    assert "About Ancoats, where M4 6AA is." in response.content.decode()


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("nowhere", "Enter a real UK postcode, like M1 1AE"),
        ("SW1A 1AA", "We do not know which ward SW1A 1AA is in."),
    ],
)
def test_a_bad_postcode_gets_a_message_next_to_the_field(client, stages, postcode, message):
    response = client.get("/consultations/", {"postcode": postcode})
    html = response.content.decode()
    assert html.count(message) == 2
    assert 'id="id_postcode_error"' in html
    assert 'aria-invalid="true"' in html
    assert len(_titles(response)) == 4


def test_the_hub_pages_by_ten_and_keeps_the_filters_in_the_links(client, council):
    for number in range(23):
        make_consultation(council.department, slug=f"c{number}", title=f"C{number:02d}",
                          opens=-1, closes=number + 1)  # fmt: skip
    first = client.get("/consultations/", {"status": "open"})
    assert _titles(first) == [f"C{number:02d}" for number in range(10)]
    html = first.content.decode()
    assert 'href="?status=open&amp;page=2"' in html
    assert 'aria-current="page">1</a>' in html
    last = client.get("/consultations/", {"status": "open", "page": "3"})
    assert _titles(last) == ["C20", "C21", "C22"]
    assert "(page 3 of 3)" in last.content.decode()
    assert _titles(client.get("/consultations/", {"page": "nonsense"}))[0] == "C00"


def _hub_queries(client, django_assert_num_queries, expected: int, params=None):
    with django_assert_num_queries(expected):
        response = client.get("/consultations/", params or {})
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("params", [{}, {"q": "cycle", "status": "open", "postcode": "M4 6AA"}])
def test_the_hub_reads_the_same_number_of_queries_for_one_consultation_or_many(
    client, council, django_assert_num_queries, params
):
    # Choices for departments, areas and topics, the count, the page and its areas; the
    # postcode's ward when one is given.
    expected = 6 + (1 if "postcode" in params else 0)
    survey = make_consultation(council.department, slug="only")
    survey.consultation.areas.add(council.ward)
    assert len(_titles(_hub_queries(client, django_assert_num_queries, expected, params))) == 1
    for number in range(14):
        other = make_consultation(council.department, slug=f"many-{number}")
        other.consultation.areas.add(council.ward, AreaFactory(organisation=council.organisation))
        other.consultation.topics.add(
            Topic.objects.create(
                organisation=council.organisation, name=f"T{number}", slug=f"t{number}"
            )
        )
    assert len(_titles(_hub_queries(client, django_assert_num_queries, expected, params))) == 10


def test_the_hub_names_the_council_of_each_choice_when_there_are_several(client, council, stages):
    east = OrganisationFactory(name="Eastmoor")
    make_consultation(DepartmentFactory(organisation=east, name="Planning"), slug="east")
    response = client.get("/consultations/")
    labels = dict(response.context["form"].fields["department"].choices).values()
    assert "Planning (Eastmoor)" in labels
    assert "Transport (Northbridge City Council)" in labels


def test_the_hub_works_with_nothing_published(client, db):
    response = client.get("/consultations/")
    assert response.status_code == 200
    assert "There are no consultations yet" in response.content.decode()


# A consultation's page --------------------------------------------------------------------------


def test_the_page_states_the_dates_in_words_in_london_time(client, council):
    survey = make_consultation(council.department, slug="spring")
    consultation = survey.consultation
    consultation.opens_at = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # GMT in March
    consultation.closes_at = datetime(2027, 7, 14, 16, 30, tzinfo=UTC)  # 5:30pm in summer time
    consultation.save()
    html = assert_page(client.get("/consultations/spring/"), heading="Riverside cycle lanes")
    assert "Opens on 1 March 2027, 9am" in html
    assert "Closes on 14 July 2027, 5:30pm" in html
    assert "has not opened yet" in html
    assert "consultations/spring/respond/" not in html


def test_midday_and_midnight_are_written_as_words():
    assert views.when(datetime(2027, 1, 5, 12, 0, tzinfo=UTC)) == "5 January 2027, midday"
    assert views.when(datetime(2027, 6, 30, 23, 0, tzinfo=UTC)) == "1 July 2027, midnight"


def test_the_page_shows_everything_about_the_consultation(client, council, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    survey = make_consultation(council.department, slug="riverside", opens=-1, closes=13)
    consultation = survey.consultation
    consultation.body = "We plan **lanes**.\n\n<script>alert(1)</script>\n\n## Why\n\nSafety."
    consultation.contact_details = "Call 0161 000 0000\nor write to us."
    consultation.lead_officer = council.officer
    consultation.image_alt = "A cyclist on the towpath at dusk"
    consultation.image.save("towpath.png", ContentFile(b"\x89PNG\r\n\x1a\nfake"), save=False)
    consultation.save()
    council.officer.name = "Priya Shah"
    council.officer.save()
    consultation.areas.add(council.ward)
    consultation.topics.add(
        Topic.objects.create(organisation=council.organisation, name="Cycling", slug="cycling")
    )
    plan = Document(consultation=consultation, title="The plan", size=1_258_291)
    plan.file.save("plan.pdf", ContentFile(b"%PDF-1.4 x"), save=False)
    plan.save()

    response = client.get("/consultations/riverside/")
    html = assert_page(response, heading="Riverside cycle lanes")
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-xl">Riverside cycle lanes</h1>' in html
    assert "Where should the new cycle lanes by the river go?" in html
    assert "<p>We plan <strong>lanes</strong>.</p>" in html
    assert "<h2>Why</h2>" in html
    assert "<script>alert" not in html
    assert "Transport, Northbridge City Council" in html
    assert re.search(r'id="consultation-areas">\s*Ancoats', html)
    assert re.search(r'id="consultation-topics">\s*Cycling', html)
    assert re.search(r'id="consultation-lead">\s*Priya Shah', html)
    assert "Call 0161 000 0000<br>or write to us." in html
    assert f'href="/consultations/riverside/documents/{plan.pk}/">The plan</a>' in html
    assert "PDF, 1.2\xa0MB" in html
    assert 'alt="A cyclist on the towpath at dusk"' in html
    closes = timezone.localtime(consultation.closes_at)
    assert f"Closes on {closes.day} {closes:%B %Y}" in html
    assert 'href="/consultations/riverside/respond/"' in html
    assert ">Open</strong>" in html


def test_documents_and_the_image_are_served_only_for_a_published_consultation(
    council, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    survey = make_consultation(council.department, slug="files")
    consultation = survey.consultation
    consultation.image.save("map.jpg", ContentFile(b"\xff\xd8\xff map"), save=True)
    plan = Document(consultation=consultation, title="Plan")
    plan.file.save("plan.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)
    request = RequestFactory().get("/")

    download = views.document(request, "files", plan.pk)
    assert b"".join(download.streaming_content) == b"%PDF-1.4 plan"
    assert download["Content-Disposition"].startswith("attachment;")
    picture = views.image(request, "files")
    assert picture["Content-Type"] == "image/jpeg"

    Consultation.objects.filter(pk=consultation.pk).update(published_at=None)
    for view, args in ((views.document, ("files", plan.pk)), (views.image, ("files",))):
        with pytest.raises(views.Http404):
            view(request, *args)


@pytest.mark.parametrize(
    ("opens", "closes", "outcome", "message"),
    [
        (-20, -1, False, "This consultation has closed, so it takes no more responses."),
        (-20, -1, True, "Read what the council decided"),
        (2, 9, False, "This consultation has not opened yet."),
    ],
)
def test_a_consultation_that_is_not_open_says_how_things_stand_without_a_respond_button(
    client, council, opens, closes, outcome, message
):
    survey = make_consultation(council.department, slug="not-open", opens=opens, closes=closes)
    if outcome:
        Consultation.objects.filter(pk=survey.consultation.pk).update(
            outcome_published_at=timezone.now()
        )
    html = assert_page(client.get("/consultations/not-open/"), heading="Riverside cycle lanes")
    assert message in html
    assert "/respond/" not in html


def test_a_draft_answers_404_even_to_its_officers(client, council):
    make_consultation(council.department, slug="secret", published=False)
    assert client.get("/consultations/secret/").status_code == 404
    client.force_login(council.officer)
    assert client.get("/consultations/secret/").status_code == 404


@pytest.fixture
def decided(council):
    """A closed consultation with responses, two decisions and their follow-up actions."""
    survey = make_consultation(council.department, slug="decided", opens=-30, closes=-2)
    consultation, questions = survey.consultation, survey.questions
    yes, no = survey.option("cycles", "Yes"), survey.option("cycles", "No")
    safety, speed = survey.option("rank", "Safety"), survey.option("rank", "Speed")
    scenery = survey.option("rank", "Scenery")
    for number, (cycles, rank) in enumerate(
        [(yes, [safety, speed, scenery]), (yes, [speed, safety, scenery]), (no, None)]
    ):
        answers = {questions["cycles"]: cycles, questions["helps"]: "More light"}
        if rank:
            answers[questions["rank"]] = rank
        submitted_response(consultation, answers, number=number)
    Response.objects.create(consultation=consultation, reference="DRAFT-1")  # not counted
    lighting = Theme.objects.create(consultation=consultation, name="Lighting")
    for answer in Answer.objects.filter(question=questions["helps"])[:2]:
        answer.themes.add(lighting)
    first = Decision.objects.create(
        consultation=consultation, position=0, we_asked="Do you cycle?",
        you_said="Two in three of you do.", we_did="We are building the lanes.",
    )  # fmt: skip
    first.questions.set([questions["cycles"], questions["rank"]])
    first.themes.set([lighting])
    FollowUpAction.objects.create(decision=first, description="Build the lanes", status="done")
    FollowUpAction.objects.create(decision=first, description="Add lights", status="in_progress")
    second = Decision.objects.create(
        consultation=consultation, position=1, we_asked="What would help?",
        you_said="Light.", we_did="Lights go in next year.",
    )  # fmt: skip
    second.questions.set([questions["helps"]])
    return survey


def _publish_outcome(consultation):
    Consultation.objects.filter(pk=consultation.pk).update(outcome_published_at=timezone.now())


def test_the_outcome_is_not_shown_before_it_is_published(client, decided):
    html = assert_page(client.get("/consultations/decided/"), heading="Riverside cycle lanes")
    assert "We asked, you said, we did" not in html
    assert "We are building the lanes." not in html


def test_the_outcome_shows_each_decision_with_the_numbers_behind_it_and_its_actions(
    client, decided
):
    _publish_outcome(decided.consultation)
    html = client.get("/consultations/decided/").content.decode()
    assert "We asked, you said, we did" in html
    assert "Decision 1 of 2" in html and "Decision 2 of 2" in html
    assert "We are building the lanes." in html
    rows = re.findall(
        r'<th scope="row" class="govuk-table__header">([^<]+)</th>\s*'
        r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>\s*'
        r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)%</td>',
        html,
    )
    # Do you cycle? 3 answered: Yes 2, No 1. Ranking (2 answered): ranked first.
    assert rows == [
        ("Yes", "2", "67"),
        ("No", "1", "33"),
        ("Safety", "1", "50"),
        ("Speed", "1", "50"),
        ("Scenery", "0", "0"),
    ]
    assert "3 people answered this question." in html
    assert "Ranked first" in html
    assert "3 people answered “What would help you cycle more?”." in html
    assert "Lighting: 2 answers" in html
    assert re.search(r"Build the lanes</td>\s*<td[^>]*>\s*<strong[^>]*>Done</strong>", html)
    assert re.search(r"Add lights</td>\s*<td[^>]*>\s*<strong[^>]*>In progress</strong>", html)


def test_the_page_reads_a_fixed_number_of_queries_with_or_without_an_outcome(
    client, council, decided, django_assert_num_queries
):
    # The consultation, its areas, topics and documents.
    with django_assert_num_queries(4):
        client.get("/consultations/decided/")
    _publish_outcome(decided.consultation)
    # ... and decisions, their questions, options, themes, actions, and two counts.
    with django_assert_num_queries(11):
        client.get("/consultations/decided/")
    for number in range(4):
        extra = Decision.objects.create(
            consultation=decided.consultation, position=2 + number, we_asked="More?",
            you_said="Yes", we_did="Done",
        )  # fmt: skip
        extra.questions.set(decided.questions.values())
        FollowUpAction.objects.create(decision=extra, description="More")
    with django_assert_num_queries(11):
        client.get("/consultations/decided/")


# The home page ----------------------------------------------------------------------------------


def test_the_home_page_lists_open_consultations_closing_soonest_first(client, council, stages):
    make_consultation(council.department, slug="sooner", title="Sooner", opens=-1, closes=1)
    html = assert_page(client.get("/"), heading="Have your say")
    assert html.index("Sooner") < html.index("Open one")
    assert "Upcoming one" not in html and "Closed one" not in html and "Draft one" not in html
    items = views.open_items(organisation=council.organisation, limit=1)
    assert [item.title for item in items] == ["Sooner"]
    assert items[0].url == "/consultations/sooner/"
    assert items[0].status.startswith("Closes on ")
    assert "consultations" in [section.key for section, _items in open_now.sections()]


def test_the_home_page_filters_open_consultations_by_council(client, council, stages):
    east = OrganisationFactory(name="Eastmoor", slug="eastmoor")
    make_consultation(DepartmentFactory(organisation=east), slug="east", title="East one")
    html = assert_page(client.get("/?organisation=eastmoor"), heading="Eastmoor Have your say")
    assert "East one" in html and "Open one" not in html


def test_an_hour_before_it_opens_a_consultation_is_upcoming_and_then_open(client, council):
    survey = make_consultation(council.department, slug="soon", opens=1, closes=3)
    consultation = survey.consultation
    consultation.opens_at = timezone.now() + timedelta(hours=1)
    consultation.save()
    assert _titles(client.get("/consultations/", {"status": "scheduled"})) == [consultation.title]
    consultation.opens_at = timezone.now() - timedelta(seconds=1)
    consultation.save()
    assert _titles(client.get("/consultations/", {"status": "open"})) == [consultation.title]
