"""Every filter of the results, by area, by each option of each question and by both, gives the
same figures as counting the responses one by one in Python: whichever way they are counted (by
the database, or over the results index a worker built, with responses submitted and deleted
since the build counted too)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from consultations import selectors
from consultations.models import Answer, AnswerChoice, Response, Theme
from consultations.services import results_index
from consultations.services.results import _Indexed, results_compute, results_recount
from tests.consultations.test_results import respond
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


def _random_answers(survey, chance: random.Random) -> dict:
    answers = {}
    if chance.random() < 0.9:
        answers["cycles"] = chance.choice(["Yes", "No"])
    if chance.random() < 0.5:
        answers["route"] = chance.choice(["", "Canal towpath", "Main road"])
    if answers.get("cycles") == "Yes" and chance.random() < 0.8:
        answers["helps"] = chance.choice(["Lighting", "Wider lanes", ""])
    if chance.random() < 0.8:
        labels = [label for label in ("Lighting", "Surface", "Signs") if chance.random() < 0.5]
        if chance.random() < 0.2:
            labels.append(("Other", "Benches"))
        answers["improve"] = labels or ["Signs"]
    if chance.random() < 0.8:
        answers["when"] = chance.choice(["Morning", "Daytime", "Evening"])
    if chance.random() < 0.8:
        answers["agree"] = chance.choice(
            ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
        )
    if chance.random() < 0.7:
        order = ["Safety", "Speed", "Scenery"]
        chance.shuffle(order)
        answers["rank"] = {label: position for position, label in enumerate(order, start=1)}
    if chance.random() < 0.7:
        answers["trips"] = chance.randint(0, 50)
    if chance.random() < 0.6:
        answers["since"] = date(2020, 1, 1) + timedelta(days=chance.randint(0, 1500))
    if chance.random() < 0.5:
        answers["publish"] = chance.choice(["yes", ""])
    return answers


@pytest.fixture
def many(council, survey, chance):
    """Sixty submitted responses over three areas (and none) and five days, and drafts."""
    areas = [
        council.ward,
        AreaFactory(organisation=council.organisation, code="E05000002", name="Bradford"),
        AreaFactory(organisation=council.organisation, code="E05000003", name="Hulme"),
        None,
    ]
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    for _number in range(60):
        respond(
            survey,
            area=chance.choice(areas),
            submitted_at=start - timedelta(days=chance.randint(0, 4), hours=chance.randint(0, 9)),
            answers=_random_answers(survey, chance),
        )
    for _number in range(6):
        respond(survey, status="draft", area=chance.choice(areas),
                answers=_random_answers(survey, chance))  # fmt: skip
    theme = Theme.objects.create(consultation=survey.consultation, name="Lighting")
    for answer in Answer.objects.filter(response__status="submitted").exclude(text="")[::3]:
        answer.themes.add(theme)
    return areas


def _brute_force(survey, filters: selectors.ResponseFilter) -> dict:
    """Every figure, counted response by response in Python."""
    responses = [
        response
        for response in Response.objects.filter(
            consultation=survey.consultation, status=Response.Status.SUBMITTED
        ).prefetch_related("answers__choices", "answers__themes")
        if (filters.area_id is None or response.area_id == filters.area_id)
        and (
            filters.option_id is None
            or any(
                choice.option_id == filters.option_id
                for answer in response.answers.all()
                for choice in answer.choices.all()
            )
        )
    ]
    answers = [answer for response in responses for answer in response.answers.all()]
    chosen, firsts, rank_sums = Counter(), Counter(), Counter()
    for answer in answers:
        for choice in answer.choices.all():
            chosen[choice.option_id] += 1
            firsts[choice.option_id] += choice.rank == 1
            rank_sums[choice.option_id] += choice.rank or 0
    questions = {}
    for key, question in survey.questions.items():
        given = [answer for answer in answers if answer.question_id == question.pk]
        numbers = [answer.number for answer in given if answer.number is not None]
        dates = [answer.date for answer in given if answer.date is not None]
        questions[key] = {
            "answered": len(given),
            "options": {
                option.label: (chosen[option.pk], firsts[option.pk], rank_sums[option.pk])
                for option in question.options.all()
            },
            "other": sum(1 for answer in given if answer.text) if question.allow_other else 0,
            "minimum": min(numbers, default=None),
            "maximum": max(numbers, default=None),
            "number_mean": round(float(sum(numbers, Decimal(0))) / len(numbers), 2)
            if numbers
            else None,
            "earliest": min(dates, default=None),
            "latest": max(dates, default=None),
            "themes": Counter(theme.pk for answer in given for theme in answer.themes.all()),
        }
    days = Counter(timezone.localtime(response.submitted_at).date() for response in responses)
    return {"responses": len(responses), "questions": questions, "days": days}


def _computed(survey, filters: selectors.ResponseFilter) -> dict:
    results = results_compute(consultation=survey.consultation, filters=filters)
    keys = {question.pk: key for key, question in survey.questions.items()}
    questions = {}
    for result in results.questions:
        by_rank = {option.option_id: option for option in result.options}
        questions[keys[result.question.pk]] = {
            "answered": result.answered,
            "options": {
                option.label: (
                    by_rank[option.pk].count,
                    by_rank[option.pk].first,
                    round(by_rank[option.pk].mean_rank * by_rank[option.pk].count)
                    if by_rank[option.pk].mean_rank is not None
                    else 0,
                )
                for option in result.question.options.all()
            },
            "other": result.other,
            "minimum": result.minimum,
            "maximum": result.maximum,
            "number_mean": result.mean if result.kind == "number" else None,
            "earliest": result.earliest,
            "latest": result.latest,
            "themes": Counter({theme.theme_id: theme.count for theme in result.themes}),
        }
    days = Counter({day.day: day.count for day in results.over_time if day.count})
    return {"responses": results.responses, "questions": questions, "days": days}


@pytest.fixture(params=["database", "index", "index and since"])
def counted_by(request, survey, many, chance):
    """How the filtered figures are counted: by the database (no index), over an index of every
    response, or over an index built before more responses came and one went."""
    consultation = survey.consultation
    if request.param == "database":
        results_index.index_forget(consultation.pk)
        return request.param
    results_recount(consultation_id=consultation.pk)
    if request.param == "index and since":
        start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        for _number in range(12):
            answers = _random_answers(survey, chance)
            if "trips" in answers:
                answers["trips"] = Decimal(answers["trips"]) + Decimal("0.25")
            respond(
                survey,
                area=chance.choice(many),
                submitted_at=start - timedelta(days=chance.randint(0, 6)),
                answers=answers,
            )
        Response.objects.filter(consultation=consultation, status="submitted").order_by(
            "pk"
        ).first().delete()
    questions = selectors.survey_questions(consultation)
    indexed = _Indexed.of(consultation, selectors.ResponseFilter(area_id=many[0].pk), questions)
    assert indexed is not None
    assert bool(indexed.since) == (request.param == "index and since")
    assert not indexed.snapshot.stale
    return request.param


def test_every_filter_gives_the_figures_of_a_count_by_hand(survey, many, counted_by):
    options = [
        option for question in survey.questions.values() for option in question.options.all()
    ]
    filters = [selectors.ResponseFilter(area_id=area.pk) for area in many if area is not None]
    filters += [selectors.ResponseFilter(option_id=option.pk) for option in options]
    filters += [
        selectors.ResponseFilter(area_id=area.pk, option_id=option.pk)
        for area in many[:2]
        for option in options
    ]
    assert len(filters) > 40
    for chosen in filters:
        expected = _brute_force(survey, chosen)
        computed = _computed(survey, chosen)
        for key, figures in expected["questions"].items():
            if survey.questions[key].kind != "ranking":
                for label, (count, _first, _rank_sum) in figures["options"].items():
                    figures["options"][label] = (count, 0, 0)
                    computed["questions"][key]["options"][label] = (
                        computed["questions"][key]["options"][label][0], 0, 0
                    )  # fmt: skip
        assert computed == expected, chosen


def test_a_filter_that_keeps_nobody_counts_nothing(survey, many):
    nobody = AreaFactory(organisation=survey.consultation.department.organisation, code="E1")
    results = results_compute(
        consultation=survey.consultation, filters=selectors.ResponseFilter(area_id=nobody.pk)
    )
    assert results.responses == 0
    assert all(result.answered == 0 for result in results.questions)
    assert results.over_time == []
    assert AnswerChoice.objects.exists()
