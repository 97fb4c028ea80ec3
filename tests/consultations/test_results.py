"""The results of a consultation for its officers: counts and percentages against hand-counted
responses, filters by area and by another answer, responses over time, themes for written answers,
publishing chosen responses, who may see all this, and a results page whose queries do not grow
with the number of responses."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civic.models import AuditEntry
from consultations import selectors
from consultations.models import Answer, AnswerChoice, Response, Theme
from consultations.services import coding, publishing
from consultations.services.results import results_compute, results_recount
from tests.consultations.factories import ResponseFactory
from tests.factories import AreaFactory, UserFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db


def respond(survey, *, answers: dict, area=None, submitted_at=None, status="submitted",
            agrees_to_publish=False) -> Response:  # fmt: skip
    """A response with its answers: text for text questions, an option label (or a list of them)
    for choice questions, {label: rank} for a ranking, a number, a date, or ("Other", text)."""
    submitted = status == Response.Status.SUBMITTED
    response = ResponseFactory(
        consultation=survey.consultation,
        status=status,
        area=area,
        agrees_to_publish=agrees_to_publish,
        submitted_at=(submitted_at or timezone.now()) if submitted else None,
    )
    for key, value in answers.items():
        question = survey.questions[key]
        answer = Answer(response=response, question=question)
        choices: dict[str, int | None] = {}
        if question.kind == "ranking":
            choices = dict(value)
        elif question.has_options:
            labels = value if isinstance(value, list) else [value]
            for label in labels:
                if isinstance(label, tuple):
                    answer.text = label[1]
                else:
                    choices[label] = None
        elif question.kind == "number":
            answer.number = Decimal(value)
        elif question.kind == "date":
            answer.date = value
        else:
            answer.text = value
        answer.save()
        for label, rank in choices.items():
            AnswerChoice.objects.create(answer=answer, option=survey.option(key, label), rank=rank)
    return response


def results_url(consultation, page="", *args) -> str:
    name = "admin:consultations_consultation_results" + (f"_{page}" if page else "")
    return reverse(name, args=[consultation.pk, *args])


def make_responses(council, survey) -> dict:
    """Four submitted responses and a draft, counted by hand in the tests below."""
    # Mid-morning, local time: no response falls either side of a midnight by accident.
    day = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    day -= timedelta(days=5)
    other_ward = AreaFactory(organisation=council.organisation, code="E05000002", name="Bradford")
    ann = {
        "cycles": "Yes",
        "helps": "More lighting please",
        "improve": ["Lighting", "Surface"],
        "when": "Morning",
        "agree": "Agree",
        "rank": {"Safety": 1, "Speed": 2, "Scenery": 3},
        "trips": 10,
        "email": "ann@example.org",
        "postcode": "M4 6AA",
        "publish": "yes",
    }
    bob = {
        "cycles": "Yes",
        "helps": "=1+1",
        "improve": ["Lighting"],
        "when": "Evening",
        "agree": "Strongly agree",
        "rank": {"Speed": 1, "Safety": 2, "Scenery": 3},
        "trips": 4,
    }
    cat = {
        "cycles": "No",
        "improve": ["Signs", ("Other", "Benches")],
        "when": "Morning",
        "agree": "Disagree",
        "trips": 0,
        "route": "Canal towpath",
    }
    dan = {"cycles": "No", "when": "Daytime", "agree": "Neither"}
    draft = {
        "cycles": "Yes",
        "helps": "A draft secret",
        "improve": ["Lighting", "Surface", "Signs"],
    }
    later = day + timedelta(days=2)
    return {
        "ann": respond(
            survey, area=council.ward, submitted_at=day, agrees_to_publish=True, answers=ann
        ),
        "bob": respond(
            survey, area=council.ward, submitted_at=day + timedelta(hours=1), answers=bob
        ),
        "cat": respond(
            survey, area=other_ward, submitted_at=later, agrees_to_publish=True, answers=cat
        ),
        "dan": respond(survey, submitted_at=later + timedelta(hours=1), answers=dan),
        "draft": respond(survey, status="draft", area=council.ward, answers=draft),
        "other_ward": other_ward,
    }


@pytest.fixture
def responses(council, survey):
    return make_responses(council, survey)


def _by_key(results, survey) -> dict:
    keys = {question.pk: key for key, question in survey.questions.items()}
    return {keys[result.question.pk]: result for result in results.questions}


def _options(result) -> dict:
    return {option.label: (option.count, option.percent) for option in result.options}


# Figures ---------------------------------------------------------------------------------------


def test_results_count_each_option_of_the_submitted_responses_only(survey, responses):
    results = results_compute(consultation=survey.consultation)
    by_key = _by_key(results, survey)

    assert results.responses == 4
    assert by_key["cycles"].answered == 4
    assert _options(by_key["cycles"]) == {"Yes": (2, 50.0), "No": (2, 50.0)}
    assert by_key["improve"].answered == 3
    assert _options(by_key["improve"]) == {
        "Lighting": (2, 66.7),
        "Surface": (1, 33.3),
        "Signs": (1, 33.3),
    }
    assert (by_key["improve"].other, by_key["improve"].other_percent) == (1, 33.3)
    assert _options(by_key["when"]) == {
        "Morning": (2, 50.0),
        "Daytime": (1, 25.0),
        "Evening": (1, 25.0),
    }


def test_a_scale_has_its_mean_point_and_a_ranking_its_mean_rank(survey, responses):
    by_key = _by_key(results_compute(consultation=survey.consultation), survey)

    # Agree (4), Strongly agree (5), Disagree (2), Neither (3).
    assert by_key["agree"].mean == 3.5
    rank = {option.label: (option.mean_rank, option.first) for option in by_key["rank"].options}
    assert rank == {"Safety": (1.5, 1), "Speed": (1.5, 1), "Scenery": (3.0, 0)}
    assert by_key["rank"].answered == 2


def test_numbers_have_their_count_mean_smallest_and_largest(survey, responses):
    trips = _by_key(results_compute(consultation=survey.consultation), survey)["trips"]

    assert (trips.answered, trips.mean, trips.minimum, trips.maximum) == (3, 4.67, 0, 10)


def test_a_drafts_answers_count_nowhere(survey, responses):
    respond(survey, status="draft", answers={"trips": 50, "helps": "Draft", "publish": "yes",
                                             "since": date(1990, 1, 1)})  # fmt: skip
    respond(survey, answers={"since": date(2001, 5, 4)})

    by_key = _by_key(results_compute(consultation=survey.consultation), survey)

    trips = by_key["trips"]
    assert (trips.answered, trips.mean, trips.minimum, trips.maximum) == (3, 4.67, 0, 10)
    assert (by_key["helps"].answered, by_key["publish"].agreed) == (2, 1)
    assert (by_key["since"].earliest, by_key["since"].latest) == (date(2001, 5, 4),) * 2


def test_consent_counts_those_who_agreed(survey, responses):
    publish = _by_key(results_compute(consultation=survey.consultation), survey)["publish"]

    assert publish.agreed == 1


def test_filtering_by_area_applies_to_every_result(council, survey, responses):
    results = results_compute(
        consultation=survey.consultation,
        filters=selectors.ResponseFilter(area_id=council.ward.pk),
    )
    by_key = _by_key(results, survey)

    assert results.responses == 2
    assert _options(by_key["cycles"]) == {"Yes": (2, 100.0), "No": (0, 0.0)}
    assert _options(by_key["improve"])["Lighting"] == (2, 100.0)
    assert [day.count for day in results.over_time] == [2]


def test_filtering_by_the_answer_to_another_question_applies_to_every_result(survey, responses):
    results = results_compute(
        consultation=survey.consultation,
        filters=selectors.ResponseFilter(option_id=survey.option("cycles", "No").pk),
    )
    by_key = _by_key(results, survey)

    assert results.responses == 2
    assert _options(by_key["improve"]) == {
        "Lighting": (0, 0.0),
        "Surface": (0, 0.0),
        "Signs": (1, 100.0),
    }
    assert _options(by_key["when"]) == {
        "Morning": (1, 50.0),
        "Daytime": (1, 50.0),
        "Evening": (0, 0.0),
    }
    assert by_key["trips"].answered == 1


def test_both_filters_together_keep_only_responses_matching_both(survey, responses):
    results = results_compute(
        consultation=survey.consultation,
        filters=selectors.ResponseFilter(
            area_id=responses["other_ward"].pk, option_id=survey.option("cycles", "No").pk
        ),
    )

    assert results.responses == 1
    assert _options(_by_key(results, survey)["agree"])["Disagree"] == (1, 100.0)


def test_responses_over_time_counts_each_day_with_empty_days_as_nought(survey, responses):
    over_time = results_compute(consultation=survey.consultation).over_time
    first = timezone.localtime(responses["ann"].submitted_at).date()

    assert [(day.day, day.count) for day in over_time] == [
        (first, 2),
        (first + timedelta(days=1), 0),
        (first + timedelta(days=2), 2),
    ]


def test_results_take_a_fixed_number_of_queries_and_fewer_from_the_cache(survey, responses):
    with CaptureQueriesContext(connection) as counted:
        results_compute(consultation=survey.consultation)
    with CaptureQueriesContext(connection) as cached:
        results_compute(consultation=survey.consultation)

    # Questions, options, the number of responses and of coded answers, the themes; eight counts
    # of the answers and one of the themes, which the cache keeps.
    assert len(counted) == 14
    assert len(cached) == 5


def test_a_response_after_the_count_shows_the_last_count_until_it_is_counted_again(
    survey, responses, django_capture_on_commit_callbacks
):
    counted = results_compute(consultation=survey.consultation)

    respond(survey, answers={"cycles": "No", "improve": ["Signs"]})
    with django_capture_on_commit_callbacks() as queued:
        last = results_compute(consultation=survey.consultation)
    by_key = _by_key(last, survey)

    # The last count, said to be one response behind, while a worker counts again.
    assert (last.responses, last.uncounted, last.counted_at) == (4, 1, counted.counted_at)
    assert last.counting and not counted.counting
    assert _options(by_key["cycles"]) == {"Yes": (2, 50.0), "No": (2, 50.0)}
    assert len(queued) == 1

    assert results_recount(consultation_id=survey.consultation.pk) == 5
    recounted = results_compute(consultation=survey.consultation)
    by_key = _by_key(recounted, survey)
    assert (recounted.responses, recounted.uncounted) == (5, 0)
    assert recounted.counted_at > counted.counted_at
    assert _options(by_key["cycles"]) == {"Yes": (2, 40.0), "No": (3, 60.0)}
    assert _options(by_key["improve"])["Signs"] == (2, 50.0)


def test_a_response_gone_since_the_count_is_counted_again_too(survey, responses):
    results_compute(consultation=survey.consultation)

    responses["ann"].delete()
    last = results_compute(consultation=survey.consultation)

    assert (last.responses, last.counting, last.uncounted) == (4, True, 0)
    results_recount(consultation_id=survey.consultation.pk)
    recounted = results_compute(consultation=survey.consultation)
    assert (recounted.responses, recounted.counting) == (3, False)


def test_a_filtered_result_is_never_the_last_count(council, survey, responses):
    chose_yes = selectors.ResponseFilter(option_id=survey.option("cycles", "Yes").pk)
    results_compute(consultation=survey.consultation, filters=chose_yes)
    respond(survey, answers={"cycles": "Yes", "improve": ["Signs"]})

    filtered = results_compute(consultation=survey.consultation, filters=chose_yes)
    assert (filtered.responses, filtered.uncounted) == (3, 0)


def test_the_results_page_says_how_many_responses_are_still_being_counted(
    council, survey, responses, client
):
    client.force_login(council.officer)
    client.get(results_url(survey.consultation))
    respond(survey, answers={"cycles": "No"})
    respond(survey, answers={"cycles": "No"})

    page = client.get(results_url(survey.consultation)).content.decode()
    assert "4 submitted responses" in page
    assert "2 responses submitted since are being counted" in page


# Free text and themes --------------------------------------------------------------------------


def test_written_answers_are_browsable_and_searchable_without_drafts(council, survey, responses):
    answers = selectors.text_answers(
        consultation=survey.consultation, question=survey.questions["helps"]
    )
    assert [answer.text for answer in answers] == ["=1+1", "More lighting please"]

    found = selectors.text_answers(
        consultation=survey.consultation, question=survey.questions["helps"], search="LIGHTING"
    )
    assert [answer.text for answer in found] == ["More lighting please"]


def test_coding_an_answer_with_a_theme_counts_in_the_results_and_is_audited(
    council, survey, responses
):
    theme = coding.theme_create(
        actor=council.officer, consultation=survey.consultation, name="  Street   lighting "
    )
    answer = Answer.objects.get(response=responses["ann"], question=survey.questions["helps"])

    assert coding.answer_theme_add(actor=council.officer, answer=answer, theme=theme)
    assert not coding.answer_theme_add(actor=council.officer, answer=answer, theme=theme)

    assert theme.name == "Street lighting"
    results = results_compute(consultation=survey.consultation)
    assert [(t.name, t.count) for t in results.themes] == [("Street lighting", 1)]
    assert [(t.name, t.count) for t in _by_key(results, survey)["helps"].themes] == [
        ("Street lighting", 1)
    ]
    filtered = results_compute(
        consultation=survey.consultation,
        filters=selectors.ResponseFilter(area_id=responses["other_ward"].pk),
    )
    assert [(t.name, t.count) for t in filtered.themes] == [("Street lighting", 0)]
    tagged = selectors.text_answers(
        consultation=survey.consultation, question=survey.questions["helps"], theme_id=theme.pk
    )
    assert [a.text for a in tagged] == ["More lighting please"]
    summaries = list(
        AuditEntry.objects.filter(actor=council.officer).values_list("summary", flat=True)
    )
    assert "Created theme “Street lighting”" in summaries
    assert (
        f"Coded the answer to question #{survey.questions['helps'].pk} as “Street lighting”"
        in summaries
    )

    assert coding.answer_theme_remove(actor=council.officer, answer=answer, theme=theme)
    assert results_compute(consultation=survey.consultation).themes[0].count == 0


def test_a_theme_name_is_used_once_per_consultation(council, survey):
    coding.theme_create(actor=council.officer, consultation=survey.consultation, name="Parking")

    with pytest.raises(ValidationError):
        coding.theme_create(actor=council.officer, consultation=survey.consultation, name="Parking")
    assert Theme.objects.count() == 1


def test_an_officer_of_another_department_cannot_create_themes_or_code(council, survey, responses):
    theme = coding.theme_create(
        actor=council.officer, consultation=survey.consultation, name="Parking"
    )
    answer = Answer.objects.get(response=responses["ann"], question=survey.questions["helps"])
    before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        coding.theme_create(
            actor=council.other_officer, consultation=survey.consultation, name="Other"
        )
    with pytest.raises(PermissionDenied):
        coding.answer_theme_add(actor=council.other_officer, answer=answer, theme=theme)

    assert list(answer.themes.all()) == []
    assert Theme.objects.count() == 1
    assert AuditEntry.objects.count() == before


# Publishing responses --------------------------------------------------------------------------


def test_only_responses_whose_respondents_agreed_can_be_published(council, survey, responses):
    ids = [responses[name].pk for name in ("ann", "bob", "cat", "draft")]

    changed = publishing.responses_publish(
        actor=council.officer, consultation=survey.consultation, response_ids=ids
    )

    assert changed == 2
    assert set(Response.objects.filter(published=True).values_list("pk", flat=True)) == {
        responses["ann"].pk,
        responses["cat"].pk,
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISH)
    assert entry.summary.startswith("Published 2 responses: ")


def test_a_published_response_shows_no_personal_details(council, survey, responses):
    publishing.responses_publish(
        actor=council.officer,
        consultation=survey.consultation,
        response_ids=[responses["ann"].pk],
    )

    (published,) = selectors.published_responses(survey.consultation)
    shown = {item.question: item.answer for item in selectors.public_answers(published)}

    assert shown["What would help you cycle more?"] == "More lighting please"
    assert shown["What should we improve?"] == "Lighting; Surface"
    assert shown["Rank these by importance"] == "1. Safety; 2. Speed; 3. Scenery"
    assert shown["Trips a week"] == "10"
    text = repr(shown)
    assert "ann@example.org" not in text
    assert "M4 6AA" not in text
    assert "Your e-mail address" not in shown
    assert "You may publish my answers without my name" not in shown


def test_a_question_asking_for_a_name_is_never_published(survey):
    from tests.consultations.conftest import add_question

    name = add_question(survey.pages[2], "name", "short_text", "Your name")
    assert not selectors.is_public_question(name)
    assert selectors.is_public_question(survey.questions["route"])


def test_withdrawing_a_published_response_is_audited(council, survey, responses):
    publishing.responses_publish(
        actor=council.officer, consultation=survey.consultation, response_ids=[responses["ann"].pk]
    )

    changed = publishing.responses_publish(
        actor=council.officer,
        consultation=survey.consultation,
        response_ids=[responses["ann"].pk],
        published=False,
    )

    assert changed == 1
    assert not Response.objects.filter(published=True).exists()
    assert AuditEntry.objects.filter(summary__startswith="Withdrew 1 response:").exists()


# The pages -------------------------------------------------------------------------------------

ROW = re.compile(
    r'<tr>\s*<th scope="row">([^<]+)</th>\s*<td class="results-number">(\d+)</td>\s*'
    r'<td class="results-number">([\d.]+)%</td>'
)


def _table(html: str, question) -> dict:
    start = html.index(f'id="question-{question.pk}-table"')
    end = html.index("</table>", start)
    return {label: (int(count), percent) for label, count, percent in ROW.findall(html[start:end])}


def test_the_results_page_shows_a_chart_and_a_table_for_each_choice_question(
    council, survey, responses, client
):
    client.force_login(council.officer)

    page = client.get(results_url(survey.consultation))

    assert page.status_code == 200
    html = assert_page(page, heading="Results: Riverside cycle lanes")
    assert _table(html, survey.questions["cycles"]) == {"Yes": (2, "50.0"), "No": (2, "50.0")}
    assert _table(html, survey.questions["improve"])["Other (written in)"] == (1, "33.3")
    assert html.count('role="img"') == 6  # five choice questions and responses over time
    assert f'aria-labelledby="chart-{survey.questions["cycles"].pk}-title"' in html
    assert "style=" not in html.split('id="content-main"', 1)[1]
    assert "4 submitted responses" in html


def test_the_results_page_puts_each_questions_figures_before_its_filters_exports_and_chart(
    council, survey, responses, client
):
    client.force_login(council.officer)

    html = assert_page(
        client.get(results_url(survey.consultation)), heading="Results: Riverside cycle lanes"
    )

    first_question = html.index(f'id="question-{survey.questions["cycles"].pk}-table"')
    main = html.index('id="content-main"')
    for after in ('id="results-filters"', 'id="results-over-time"', 'id="results-export"'):
        assert first_question < html.index(after), f"{after} comes before the figures"
    assert html.index('id="results-count"') < first_question
    assert 'href="#results-filters"' in html[main:first_question]


def test_the_results_page_filters_by_area_and_by_answer(council, survey, responses, client):
    client.force_login(council.officer)
    no = survey.option("cycles", "No").pk

    by_area = client.get(results_url(survey.consultation), {"area": council.ward.pk}).content
    by_answer = client.get(results_url(survey.consultation), {"answer": no}).content

    assert _table(by_area.decode(), survey.questions["cycles"]) == {
        "Yes": (2, "100.0"),
        "No": (0, "0.0"),
    }
    assert _table(by_answer.decode(), survey.questions["when"]) == {
        "Morning": (1, "50.0"),
        "Daytime": (1, "50.0"),
        "Evening": (0, "0.0"),
    }


def test_an_officer_codes_an_answer_on_the_written_answers_page(council, survey, responses, client):
    client.force_login(council.officer)
    url = results_url(survey.consultation, "answers", survey.questions["helps"].pk)

    created = client.post(url, {"action": "create_theme", "name": "Lighting"})
    theme = Theme.objects.get()
    answer = Answer.objects.get(response=responses["ann"], question=survey.questions["helps"])
    tagged = client.post(url, {"action": "tag", "answer": answer.pk, "theme": theme.pk})
    listing = client.get(url, {"q": "lighting"})
    results = client.get(results_url(survey.consultation)).content.decode()

    assert created.status_code == tagged.status_code == 302
    assert list(answer.themes.all()) == [theme]
    assert listing.context["page_obj"].paginator.count == 1
    assert_page(listing, heading="Written answers: What would help you cycle more?")
    assert "More lighting please" in listing.content.decode()
    assert "A draft secret" not in listing.content.decode()
    themes = results[results.index('id="results-themes"') :]
    assert re.search(r'<th scope="row">Lighting</th>\s*<td class="results-number">1</td>', themes)


def test_a_duplicate_theme_is_refused_next_to_the_field(council, survey, responses, client):
    client.force_login(council.officer)
    coding.theme_create(actor=council.officer, consultation=survey.consultation, name="Parking")

    page = client.post(results_url(survey.consultation), {"name": "Parking"})

    assert page.status_code == 200
    assert "There is already a theme called “Parking”." in page.content.decode()
    assert "There is a problem" in page.content.decode()


def test_an_officer_publishes_chosen_responses_from_the_publish_page(
    council, survey, responses, client
):
    client.force_login(council.officer)
    url = results_url(survey.consultation, "publish")

    listing = client.get(url)
    client.post(url, {"action": "publish", "response": [responses["ann"].pk]})

    html = assert_page(listing, heading="Publish responses: Riverside cycle lanes")
    assert responses["ann"].reference in html
    assert responses["bob"].reference not in html  # did not agree
    assert "ann@example.org" not in html
    assert Response.objects.get(pk=responses["ann"].pk).published


# Who may see the results -----------------------------------------------------------------------

ROLES = {
    "officer of the department": ("officer", 200),
    "organisation admin": ("admin", 200),
    "officer of another department": ("other_officer", 404),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["", "answers", "publish"])
def test_only_those_who_run_the_consultation_see_its_results(
    council, survey, responses, client, role, page
):
    attribute, status = ROLES[role]
    client.force_login(getattr(council, attribute))
    args = [survey.questions["helps"].pk] if page == "answers" else []

    response = client.get(results_url(survey.consultation, page, *args))

    assert response.status_code == status
    if status == 404:
        assert_page(response, heading="Page not found", status=404)
        assert b"More lighting please" not in response.content


def test_a_resident_and_a_stranger_are_sent_to_sign_in(survey, client):
    assert client.get(results_url(survey.consultation)).status_code == 302
    client.force_login(UserFactory())
    assert client.get(results_url(survey.consultation)).status_code == 302


def test_an_officer_of_another_department_cannot_code_or_publish(
    council, survey, responses, client
):
    theme = coding.theme_create(
        actor=council.officer, consultation=survey.consultation, name="Parking"
    )
    answer = Answer.objects.get(response=responses["ann"], question=survey.questions["helps"])
    before = AuditEntry.objects.count()
    client.force_login(council.other_officer)

    coded = client.post(
        results_url(survey.consultation, "answers", survey.questions["helps"].pk),
        {"action": "tag", "answer": answer.pk, "theme": theme.pk},
    )
    published = client.post(
        results_url(survey.consultation, "publish"),
        {"action": "publish", "response": [responses["ann"].pk]},
    )
    created = client.post(results_url(survey.consultation), {"name": "Mine"})

    assert coded.status_code == published.status_code == created.status_code == 404
    assert list(answer.themes.all()) == []
    assert not Response.objects.filter(published=True).exists()
    assert Theme.objects.count() == 1
    assert AuditEntry.objects.count() == before


# Queries ---------------------------------------------------------------------------------------


def _many_responses(survey, council, count: int) -> None:
    for number in range(count):
        respond(
            survey,
            area=council.ward if number % 2 else None,
            submitted_at=timezone.now() - timedelta(days=number % 7),
            answers={
                "cycles": "Yes" if number % 3 else "No",
                "helps": f"Answer {number}",
                "improve": ["Lighting", "Signs"] if number % 2 else ["Surface"],
                "agree": "Agree",
                "rank": {"Safety": 1 + number % 3, "Speed": 1 + (number + 1) % 3},
                "trips": number,
            },
        )


def _results_page_queries(client, survey) -> int:
    cache.clear()  # the figures counted, not the last count
    with CaptureQueriesContext(connection) as queries:
        response = client.get(results_url(survey.consultation), {"answer": ""})
    assert response.status_code == 200
    return len(queries)


def test_the_results_page_costs_the_same_queries_for_10_or_100_responses(council, survey, client):
    client.force_login(council.officer)
    coding.theme_create(actor=council.officer, consultation=survey.consultation, name="Parking")
    _many_responses(survey, council, 10)
    ten = _results_page_queries(client, survey)
    _many_responses(survey, council, 90)

    hundred = _results_page_queries(client, survey)

    assert ten == hundred
    assert hundred <= 23


def test_the_written_answers_page_costs_the_same_queries_for_10_or_100_responses(
    council, survey, client
):
    client.force_login(council.officer)
    coding.theme_create(actor=council.officer, consultation=survey.consultation, name="Parking")
    url = results_url(survey.consultation, "answers", survey.questions["helps"].pk)
    _many_responses(survey, council, 10)
    with CaptureQueriesContext(connection) as ten:
        client.get(url)
    _many_responses(survey, council, 90)
    with CaptureQueriesContext(connection) as hundred:
        client.get(url)

    assert len(ten) == len(hundred)
