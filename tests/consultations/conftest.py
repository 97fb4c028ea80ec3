"""A council department with a published consultation whose survey uses every question type, for
the consultation tests to share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from civic.models import Role
from consultations.models import Consultation, Option, Question, SurveyPage
from tests.consultations.factories import ConsultationFactory, QuestionFactory, SurveyPageFactory
from tests.factories import AreaFactory, DepartmentFactory, OrganisationFactory, RoleFactory


@dataclass
class Survey:
    consultation: Consultation
    pages: list[SurveyPage]
    questions: dict[str, Question] = field(default_factory=dict)

    def option(self, key: str, label: str) -> Option:
        return self.questions[key].options.get(label=label)


def add_question(page, key, kind, text, *, options=(), survey=None, **fields) -> Question:
    question = QuestionFactory(page=page, kind=kind, text=text, options=options, **fields)
    if survey is not None:
        survey.questions[key] = question
    return question


def make_consultation(department, *, slug="riverside-cycle-lanes", title=None, opens=-1,
                      closes=30, published=True) -> Survey:  # fmt: skip
    """A consultation opening `opens` days from now and closing `closes` days from now.

    Page 1: cycling (single choice) and a short name for the route (short text).
    Page 2, shown only to those who cycle: what would help (long text, 500 characters).
    Page 3: everything else, one question of each remaining type."""
    now = timezone.now()
    consultation = ConsultationFactory(
        department=department,
        title=title or "Riverside cycle lanes",
        slug=slug,
        summary="Where should the new cycle lanes by the river go?",
        body="We are planning **new cycle lanes** along the river.",
        opens_at=now + timedelta(days=opens),
        closes_at=now + timedelta(days=closes),
        published_at=now if published else None,
    )
    survey = Survey(consultation=consultation, pages=[])
    survey.pages = [
        SurveyPageFactory(consultation=consultation, title=name)
        for name in ("Cycling", "What helps", "More")
    ]
    first, second, third = survey.pages
    cycles = add_question(first, "cycles", "single_choice", "Do you cycle by the river?",
                          options=["Yes", "No"], required=True, survey=survey)  # fmt: skip
    add_question(first, "route", "short_text", "Which route do you use?", survey=survey)
    second.condition = {"question": cycles.pk, "option": cycles.options.get(label="Yes").pk}
    second.save()
    add_question(second, "helps", "long_text", "What would help you cycle more?",
                 max_length=500, required=True, survey=survey)  # fmt: skip
    add_question(third, "improve", "multiple_choice", "What should we improve?",
                 options=["Lighting", "Surface", "Signs"], allow_other=True,
                 survey=survey)  # fmt: skip
    add_question(third, "when", "dropdown", "When do you travel?",
                 options=["Morning", "Daytime", "Evening"], survey=survey)  # fmt: skip
    add_question(third, "agree", "scale", "The plan is a good idea",
                 options=["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"],
                 survey=survey)  # fmt: skip
    add_question(third, "rank", "ranking", "Rank these by importance",
                 options=["Safety", "Speed", "Scenery"], survey=survey)  # fmt: skip
    add_question(third, "trips", "number", "Trips a week", min_value=0, max_value=50,
                 survey=survey)  # fmt: skip
    add_question(third, "since", "date", "Cycling since", survey=survey)
    add_question(third, "email", "email", "Your e-mail address", survey=survey)
    add_question(third, "postcode", "postcode", "Your postcode", survey=survey)
    add_question(third, "publish", "consent", "You may publish my answers without my name",
                 survey=survey)  # fmt: skip
    return survey


@dataclass
class Council:
    organisation: object
    department: object
    other_department: object
    ward: object
    officer: object
    other_officer: object
    admin: object


@pytest.fixture
def council(db) -> Council:
    organisation = OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    department = DepartmentFactory(organisation=organisation, name="Transport", slug="transport")
    other = DepartmentFactory(organisation=organisation, name="Libraries", slug="libraries")
    ward = AreaFactory(organisation=organisation, code="E05000001", name="Ancoats")
    ward.postcodes.create(organisation=organisation, postcode="M4 6AA")
    officer = RoleFactory(organisation=organisation, kind=Role.Kind.OFFICER,
                          departments=[department]).user  # fmt: skip
    other_officer = RoleFactory(organisation=organisation, kind=Role.Kind.OFFICER,
                                departments=[other]).user  # fmt: skip
    admin = RoleFactory(organisation=organisation, kind=Role.Kind.ORGANISATION_ADMIN).user
    return Council(organisation, department, other, ward, officer, other_officer, admin)


@pytest.fixture
def survey(council) -> Survey:
    return make_consultation(council.department)
