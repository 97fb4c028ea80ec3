"""A respondent's copy of their data lists their answers; erasure removes what identifies them
from every consultations table and keeps the response, so counts stay."""

import pytest
from django.db import connection

from consultations.models import Answer, AnswerChoice
from contacts.services import contact_for_email
from contacts.services.gdpr import contact_data, contact_erase
from tests.consultations.factories import ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(survey, council):
    contact = contact_for_email(
        organisation=council.organisation, email="zelda@example.org", source="survey"
    )
    contact.name = "Zelda Quartermaine"
    contact.save()
    response = ResponseFactory(
        consultation=survey.consultation,
        reference="RC-TEST-0001",
        contact=contact,
        email="zelda@example.org",
        area=council.ward,
    )
    questions = survey.questions
    cycles = Answer.objects.create(response=response, question=questions["cycles"])
    AnswerChoice.objects.create(answer=cycles, option=survey.option("cycles", "Yes"))
    Answer.objects.create(response=response, question=questions["email"], text="zelda@example.org")
    Answer.objects.create(response=response, question=questions["postcode"], text="M4 6AA")
    Answer.objects.create(
        response=response,
        question=questions["helps"],
        text="I'm Zelda Quartermaine and the lighting scares me",
    )
    Answer.objects.create(response=response, question=questions["route"], text="Canal path")
    return contact, response


def test_the_copy_of_their_data_lists_their_answers(answered):
    contact, _response = answered
    rows = contact_data(contact=contact)["consultation responses"]
    assert {row["question"]: row["answer"] for row in rows} == {
        "Do you cycle by the river?": "Yes",
        "Your e-mail address": "zelda@example.org",
        "Your postcode": "M4 6AA",
        "What would help you cycle more?": "I'm Zelda Quartermaine and the lighting scares me",
        "Which route do you use?": "Canal path",
    }
    assert {row["reference"] for row in rows} == {"RC-TEST-0001"}


def test_erasure_leaves_no_trace_in_consultations_and_keeps_the_counts(answered, survey):
    contact, response = answered

    contact_erase(actor=None, contact=contact)

    with connection.cursor() as cursor:
        for table in ("consultations_response", "consultations_answer"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall()).lower()
            assert "zelda" not in dump and "quartermaine" not in dump, table
            assert "m4 6aa" not in dump, table
    response.refresh_from_db()
    assert (response.status, response.contact_id, response.email) == ("submitted", None, "")
    assert AnswerChoice.objects.filter(option=survey.option("cycles", "Yes")).count() == 1
    assert Answer.objects.get(response=response, question=survey.questions["route"]).text == (
        "Canal path"
    )
