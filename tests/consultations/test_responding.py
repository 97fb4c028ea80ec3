"""Residents respond to a survey: every question type's validation, conditional pages, one
response however often it is sent, refusals that store nothing, abuse protection without a
CAPTCHA, "come back later" links, consent and the receipt."""

from __future__ import annotations

import datetime
import re
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consultations.models import Answer, Consultation, Response
from consultations.services import consultation_purpose
from consultations.services.responding import (
    REFERENCE_ALPHABET,
    Consents,
    Refused,
    answers_save,
    drafts_remove,
    response_start,
    response_submit,
    resume_days,
    start_token,
)
from consultations.services.results import results_compute
from consultations.services.resume import resume_link_send, resume_token
from contacts.models import Activity, Contact
from contacts.services import consent_is_live
from mailing.models import Delivery
from tests.concurrency import at_once
from tests.consultations.conftest import add_question, make_consultation
from tests.factories import UserFactory
from tests.pages import assert_page
from tests.worker import wait_for

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(rf"^RC-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")


@pytest.fixture(autouse=True)
def _no_minimum_time(settings):
    """Tests answer in milliseconds; the minimum time has tests of its own."""
    settings.CIVIC_RESPONSE_MIN_SECONDS = 0
    settings.CIVIC_RESPONSE_RATE = "1000/h"


def start(survey, user=None, *, seconds_ago: int = 600) -> Response:
    return response_start(
        consultation=survey.consultation,
        user=user,
        token=start_token(now=time.time() - seconds_ago),
    )


def save(response, survey, page: int, answers: dict, *, complete=True, user=None):
    """Answers by the conftest's question keys, as the browser sends them."""
    return answers_save(
        response=response,
        page=survey.pages[page - 1],
        answers={survey.questions[key].pk: value for key, value in answers.items()},
        complete=complete,
        user=user,
    )


def errors_of(error: ValidationError, survey) -> dict[str, list[str]]:
    keys = {question.pk: key for key, question in survey.questions.items()}
    return {
        keys[pk]: [m for e in errs for m in e.messages] for pk, errs in error.error_dict.items()
    }


def refused(survey, response, page, answers) -> dict[str, list[str]]:
    """Save a page that must be refused; nothing of the page may be stored."""
    before = list(Answer.objects.filter(response=response).values_list("pk", "text"))
    with pytest.raises(ValidationError) as caught:
        save(response, survey, page, answers)
    assert list(Answer.objects.filter(response=response).values_list("pk", "text")) == before
    return errors_of(caught.value, survey)


def answered(survey, *, user=None, cycles="Yes") -> Response:
    response = start(survey, user)
    save(response, survey, 1, {"cycles": survey.option("cycles", cycles).pk}, user=user)
    if cycles == "Yes":
        save(response, survey, 2, {"helps": "Better lighting"}, user=user)
    save(
        response,
        survey,
        3,
        {"improve": {"options": [survey.option("improve", "Lighting").pk]}},
        user=user,
    )
    return response


def stored(response, survey, key) -> Answer:
    return Answer.objects.get(response=response, question=survey.questions[key])


# ---------------------------------------------------------------------------------------------
# Starting
# ---------------------------------------------------------------------------------------------


def test_a_response_starts_as_a_draft_with_an_unambiguous_reference(survey):
    response = start(survey)
    assert response.status == "draft"
    assert REFERENCE.match(response.reference), response.reference
    assert not set("01ILOUV") & set(response.reference[3:].replace("-", ""))


def test_a_reference_drawn_twice_is_drawn_again(survey, monkeypatch):
    first = start(survey)
    draws = iter([first.reference, "RC-2222-3333"])
    monkeypatch.setattr("consultations.services.responding.reference_new", lambda: next(draws))
    assert start(survey).reference == "RC-2222-3333"


def test_the_draft_keeps_the_moment_the_start_page_was_drawn(survey):
    moment = int(time.time()) - 120
    response = response_start(consultation=survey.consultation, token=start_token(now=moment))
    assert response.started_at == datetime.datetime.fromtimestamp(moment, tz=datetime.UTC)


# ---------------------------------------------------------------------------------------------
# Every question type
# ---------------------------------------------------------------------------------------------


def test_short_text_is_trimmed_and_refused_beyond_ten_thousand_characters(survey):
    response = start(survey)
    cycles = survey.option("cycles", "Yes").pk
    assert refused(survey, response, 1, {"cycles": cycles, "route": "x" * 10_001}) == {
        "route": ["Your answer must be 10,000 characters or fewer"]
    }
    save(response, survey, 1, {"cycles": cycles, "route": "  The towpath \x00 "})
    assert stored(response, survey, "route").text == "The towpath"


def test_long_text_keeps_to_its_limit_counting_a_line_break_once(survey):
    response = start(survey)
    save(response, survey, 1, {"cycles": survey.option("cycles", "Yes").pk})
    assert refused(survey, response, 2, {"helps": "a" * 501}) == {
        "helps": ["Your answer must be 500 characters or fewer"]
    }
    assert refused(survey, response, 2, {"helps": "   "}) == {
        "helps": ["Enter what would help you cycle more"]
    }
    text = "a" * 249 + "\r\n" + "b" * 250  # 500 characters as the resident typed them
    save(response, survey, 2, {"helps": text})
    assert stored(response, survey, "helps").text == "a" * 249 + "\n" + "b" * 250


def test_single_choice_needs_an_answer_of_its_own_options(survey):
    response = start(survey)
    assert refused(survey, response, 1, {"cycles": ""}) == {
        "cycles": ["Select whether you cycle by the river"]
    }
    other_question_option = survey.option("when", "Morning").pk
    for tampered in (other_question_option, "999999", "yes", "1 OR 1=1"):
        assert refused(survey, response, 1, {"cycles": tampered}) == {
            "cycles": ["Select one of the options given"]
        }
    save(response, survey, 1, {"cycles": str(survey.option("cycles", "No").pk)})
    answer = stored(response, survey, "cycles")
    assert [choice.option.label for choice in answer.choices.all()] == ["No"]


def test_multiple_choice_stores_each_option_once_and_other_needs_its_text(survey):
    response = start(survey)
    lighting, signs = survey.option("improve", "Lighting").pk, survey.option("improve", "Signs").pk
    assert refused(survey, response, 3, {"improve": {"options": ["other"], "other": " "}}) == {
        "improve": ["Say what your other answer is"]
    }
    assert refused(
        survey, response, 3, {"improve": {"options": ["other"], "other": "x" * 501}}
    ) == {"improve": ["Your other answer must be 500 characters or fewer"]}
    assert refused(
        survey,
        response,
        3,
        {"improve": {"options": [lighting, survey.option("when", "Daytime").pk]}},
    ) == {"improve": ["Select one of the options given"]}
    save(
        response,
        survey,
        3,
        {
            "improve": {
                "options": [str(lighting), str(signs), str(lighting), "other"],
                "other": "Benches",
            }
        },
    )
    answer = stored(response, survey, "improve")
    assert answer.text == "Benches"
    assert sorted(choice.option.label for choice in answer.choices.all()) == ["Lighting", "Signs"]


def test_the_text_of_an_unticked_other_is_not_kept(survey):
    response = start(survey)
    lighting = survey.option("improve", "Lighting").pk
    save(response, survey, 3, {"improve": {"options": [lighting], "other": "Benches"}})
    assert stored(response, survey, "improve").text == ""


def test_other_is_refused_where_the_question_does_not_offer_it(survey):
    question = survey.questions["improve"]
    question.allow_other = False
    question.save()
    response = start(survey)
    assert refused(survey, response, 3, {"improve": {"options": ["other"], "other": "Hi"}}) == {
        "improve": ["Select one of the options given"]
    }


def test_a_dropdown_takes_one_of_its_options(survey):
    response = start(survey)
    assert refused(survey, response, 3, {"when": "Evening"}) == {
        "when": ["Select one of the options given"]
    }
    save(response, survey, 3, {"when": survey.option("when", "Evening").pk})
    assert stored(response, survey, "when").choices.get().option.label == "Evening"


def test_a_scale_takes_one_of_its_points(survey):
    response = start(survey)
    assert refused(survey, response, 3, {"agree": survey.option("cycles", "Yes").pk}) == {
        "agree": ["Select one of the options given"]
    }
    save(response, survey, 3, {"agree": survey.option("agree", "Agree").pk})
    assert stored(response, survey, "agree").choices.get().option.label == "Agree"


def test_a_ranking_ranks_every_option_once(survey):
    response = start(survey)
    safety, speed, scenery = (
        survey.option("rank", label).pk for label in ("Safety", "Speed", "Scenery")
    )
    assert refused(survey, response, 3, {"rank": {safety: "1", speed: "2", scenery: ""}}) == {
        "rank": ["Give every option a rank"]
    }
    assert refused(survey, response, 3, {"rank": {safety: "1", speed: "1", scenery: "2"}}) == {
        "rank": ["Give each option a different rank"]
    }
    assert refused(survey, response, 3, {"rank": {safety: "1", speed: "2", scenery: "4"}}) == {
        "rank": ["Give each option a rank from 1 to 3"]
    }
    lighting = survey.option("improve", "Lighting").pk
    assert refused(survey, response, 3, {"rank": {safety: "1", speed: "2", lighting: "3"}}) == {
        "rank": ["Select one of the options given"]
    }
    save(response, survey, 3, {"rank": {safety: "2", speed: "3", scenery: "1"}})
    ranked = stored(response, survey, "rank").choices.order_by("rank")
    assert [(choice.rank, choice.option.label) for choice in ranked] == [
        (1, "Scenery"),
        (2, "Safety"),
        (3, "Speed"),
    ]
    save(response, survey, 3, {"rank": {safety: "", speed: "", scenery: ""}})  # optional
    assert not Answer.objects.filter(response=response, question=survey.questions["rank"])


def test_a_number_is_a_number_within_the_questions_range(survey):
    response = start(survey)
    cases = {
        "twelve": "Enter a number, like 12",
        "NaN": "Enter a number, like 12",
        "51": "Enter a number between 0 and 50",
        "-1": "Enter a number between 0 and 50",
        "2.125": "Enter a number with up to 2 decimal places",
        "1e20": "Enter a smaller number",
    }
    for value, message in cases.items():
        assert refused(survey, response, 3, {"trips": value}) == {"trips": [message]}, value
    save(response, survey, 3, {"trips": " 12.5 "})
    assert stored(response, survey, "trips").number == Decimal("12.50")


def test_a_date_must_be_a_real_one_with_every_part(survey):
    response = start(survey)
    cases = {
        ("31", "2", "2024"): "Enter a real date, like 27 3 2024",
        ("1", "", ""): "The date must include a month and a year",
        ("", "3", "2024"): "The date must include a day",
        ("1", "3", "24"): "The year must have 4 numbers, like 2024",
        ("x", "3", "2024"): "Enter a real date, like 27 3 2024",
    }
    for (day, month, year), message in cases.items():
        value = {"day": day, "month": month, "year": year}
        assert refused(survey, response, 3, {"since": value}) == {"since": [message]}, value
    save(response, survey, 3, {"since": {"day": "29", "month": "2", "year": "2024"}})
    assert stored(response, survey, "since").date == datetime.date(2024, 2, 29)


def test_an_email_address_must_look_like_one(survey):
    response = start(survey)
    for value in ("ann", "ann@", "a" * 250 + "@example.org"):
        assert refused(survey, response, 3, {"email": value}) == {
            "email": ["Enter an e-mail address in the correct format, like name@example.com"]
        }
    save(response, survey, 3, {"email": " ann@example.org "})
    assert stored(response, survey, "email").text == "ann@example.org"


def test_a_postcode_is_normalised_and_gives_the_response_its_ward(survey, council):
    response = start(survey)
    assert refused(survey, response, 3, {"postcode": "NOT A CODE"}) == {
        "postcode": ["Enter a real UK postcode, like M1 1AE"]
    }
    save(response, survey, 3, {"postcode": "m46aa"})
    assert stored(response, survey, "postcode").text == "M4 6AA"
    response.refresh_from_db()
    assert response.area == council.ward
    save(response, survey, 3, {"postcode": ""})
    response.refresh_from_db()
    assert response.area is None


def test_a_consent_question_is_a_tick_and_a_required_one_must_be_ticked(survey):
    response = start(survey)
    save(response, survey, 3, {"publish": "yes"})
    assert stored(response, survey, "publish").text == "yes"
    save(response, survey, 3, {"publish": ""})
    assert not Answer.objects.filter(response=response, question=survey.questions["publish"])
    question = survey.questions["publish"]
    question.required = True
    question.save()
    assert refused(survey, response, 3, {"publish": ""}) == {
        "publish": ["Tick the box to agree to “You may publish my answers without my name”"]
    }


def test_one_bad_answer_stores_nothing_of_the_page(survey):
    response = start(survey)
    save(response, survey, 3, {"trips": "3"})
    assert refused(survey, response, 3, {"trips": "4", "when": "999999"}) == {
        "when": ["Select one of the options given"]
    }
    assert stored(response, survey, "trips").number == 3


def test_a_question_from_another_page_or_survey_is_refused_and_nothing_stored(survey, council):
    response = start(survey)
    elsewhere = make_consultation(council.department, slug="elsewhere")
    for question in (survey.questions["helps"], elsewhere.questions["route"]):
        with pytest.raises(Refused) as caught:
            answers_save(response=response, page=survey.pages[0], answers={question.pk: "Hi"})
        assert caught.value.code == "tampered"
    assert not Answer.objects.filter(response=response).exists()


def test_back_and_save_for_later_keep_answers_without_asking_for_the_required_ones(survey):
    response = start(survey)
    save(response, survey, 1, {"route": "Towpath"}, complete=False)
    assert stored(response, survey, "route").text == "Towpath"
    with pytest.raises(ValidationError):  # invalid answers are never kept
        save(response, survey, 3, {"trips": "lots"}, complete=False)


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------


def test_a_page_that_no_longer_applies_loses_its_answers_when_the_response_is_sent(survey):
    response = answered(survey, cycles="Yes")
    assert stored(response, survey, "helps").text == "Better lighting"
    save(response, survey, 1, {"cycles": survey.option("cycles", "No").pk})
    submitted = response_submit(response=response)
    assert submitted.status == "submitted"
    assert not Answer.objects.filter(response=response, question=survey.questions["helps"])
    assert stored(response, survey, "improve").choices.get().option.label == "Lighting"


def test_a_required_question_on_a_skipped_page_is_not_asked_for(survey):
    response = answered(survey, cycles="No")
    assert response_submit(response=response).status == "submitted"


def test_a_required_question_on_a_page_that_applies_must_be_answered(survey):
    response = start(survey)
    save(response, survey, 1, {"cycles": survey.option("cycles", "Yes").pk})
    with pytest.raises(ValidationError) as caught:
        response_submit(response=response)
    assert errors_of(caught.value, survey) == {"helps": ["Enter what would help you cycle more"]}
    assert Response.objects.get(pk=response.pk).status == "draft"


def test_a_question_conditional_on_an_answer_on_its_own_page_is_kept_only_when_it_applies(survey):
    route = survey.questions["route"]
    cycles = survey.questions["cycles"]
    route.condition = {"question": cycles.pk, "option": survey.option("cycles", "Yes").pk}
    route.required = True
    route.save()
    response = start(survey)
    save(response, survey, 1, {"cycles": survey.option("cycles", "No").pk, "route": "Towpath"})
    assert not Answer.objects.filter(response=response, question=route)
    assert refused(survey, response, 1, {"cycles": survey.option("cycles", "Yes").pk}) == {
        "route": ["Enter which route you use"]
    }


# ---------------------------------------------------------------------------------------------
# Submitting once
# ---------------------------------------------------------------------------------------------


def test_sending_twice_stores_one_response_one_receipt_and_one_timeline_entry(survey):
    response = answered(survey)
    kwargs = {
        "email": "ann@example.org",
        "send_receipt": True,
        "consents": Consents(hear_about_outcome=True, outcome_wording="Tell me"),
    }
    first = response_submit(response=response, **kwargs)
    second = response_submit(response=response, **kwargs)
    assert first.reference == second.reference
    assert Response.objects.filter(status="submitted").count() == 1
    assert Delivery.objects.count() == 1
    assert Activity.objects.count() == 1


def test_a_submitted_response_cannot_be_changed(survey):
    response = answered(survey)
    response_submit(response=response)
    with pytest.raises(Refused) as caught:
        save(response, survey, 1, {"cycles": survey.option("cycles", "No").pk})
    assert caught.value.code == "submitted"
    assert stored(response, survey, "cycles").choices.get().option.label == "Yes"


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_the_same_moment_store_one_response(postgresql_only, survey):
    response = answered(survey)

    def send():
        return response_submit(
            response=Response.objects.get(pk=response.pk),
            email="ann@example.org",
            send_receipt=True,
        ).reference

    results = at_once(send, send)
    assert results == [response.reference, response.reference]
    assert Response.objects.filter(status="submitted").count() == 1
    assert Delivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_drafts_of_one_person_sent_at_once_store_one_response(postgresql_only, survey):
    ann = UserFactory()
    drafts = [answered(survey, user=ann), answered(survey, user=ann)]

    def send(draft):
        return lambda: response_submit(response=draft, user=ann).reference

    results = at_once(send(drafts[0]), send(drafts[1]), expected=Refused)
    references = [result for result in results if isinstance(result, str)]
    refusals = [result for result in results if isinstance(result, Refused)]
    assert len(references) == 1 and len(refusals) == 1, results
    assert refusals[0].code == "already_responded"
    assert Response.objects.filter(status="submitted").count() == 1


def test_one_response_per_signed_in_person_with_a_clear_message(survey):
    ann = UserFactory()
    response_submit(response=answered(survey, user=ann), user=ann)
    with pytest.raises(Refused) as caught:
        start(survey, ann)
    assert caught.value.code == "already_responded"
    assert caught.value.messages == [
        "You have already responded to this consultation. Each person can respond once."
    ]
    assert Response.objects.count() == 1


def test_the_database_refuses_a_second_response_when_the_check_is_passed_by(survey):
    ann = UserFactory()
    second = answered(survey, user=ann)  # started before the first was sent
    response_submit(response=answered(survey, user=ann), user=ann)
    with pytest.raises(Refused) as caught:
        response_submit(response=second, user=ann)
    assert caught.value.code == "already_responded"
    assert Response.objects.filter(status="submitted").count() == 1


def test_more_than_one_response_each_when_the_officer_allows_it(survey):
    Consultation.objects.filter(pk=survey.consultation.pk).update(one_response_per_person=False)
    survey.consultation.refresh_from_db()
    ann = UserFactory()
    for _ in range(2):
        response_submit(response=answered(survey, user=ann), user=ann)
    assert Response.objects.filter(status="submitted", user=ann).count() == 2


def test_a_closed_consultation_refuses_with_a_clear_message_and_stores_nothing(survey):
    response = answered(survey)
    closes = timezone.now() - datetime.timedelta(minutes=1)
    Consultation.objects.filter(pk=survey.consultation.pk).update(
        opens_at=closes - datetime.timedelta(days=30), closes_at=closes
    )
    response.consultation.refresh_from_db()
    with pytest.raises(Refused) as caught:
        response_submit(response=response)
    assert caught.value.code == "closed"
    assert caught.value.messages[0].startswith("This consultation closed on ")
    with pytest.raises(Refused):
        save(response, survey, 3, {"trips": "3"})
    with pytest.raises(Refused):
        start(survey)
    assert Response.objects.get(pk=response.pk).status == "draft"
    assert not Answer.objects.filter(question=survey.questions["trips"]).exists()


def test_a_consultation_that_takes_signed_in_responses_only_refuses_anyone_else(survey):
    Consultation.objects.filter(pk=survey.consultation.pk).update(allow_anonymous=False)
    survey.consultation.refresh_from_db()
    with pytest.raises(Refused) as caught:
        start(survey)
    assert caught.value.code == "sign_in"
    ann = UserFactory()
    response = answered(survey, user=ann)
    with pytest.raises(Refused):
        response_submit(response=response, user=UserFactory())
    assert response_submit(response=response, user=ann).user == ann


# ---------------------------------------------------------------------------------------------
# Abuse protection
# ---------------------------------------------------------------------------------------------


def test_a_filled_honeypot_or_a_missing_start_token_stores_nothing(survey):
    for token, honeypot in ((start_token(), "http://spam.example"), ("", ""), ("forged", "")):
        with pytest.raises(Refused) as caught:
            response_start(consultation=survey.consultation, token=token, honeypot=honeypot)
        assert caught.value.code == "spam"
    assert not Response.objects.exists()
    response = answered(survey)
    with pytest.raises(Refused):
        response_submit(response=response, honeypot="http://spam.example")
    assert Response.objects.get(pk=response.pk).status == "draft"


def test_a_response_sent_too_soon_after_the_start_page_is_refused_without_saying_why(
    survey, settings
):
    settings.CIVIC_RESPONSE_MIN_SECONDS = 5
    response = start(survey, seconds_ago=2)
    save(response, survey, 1, {"cycles": survey.option("cycles", "No").pk})
    with pytest.raises(Refused) as caught:
        response_submit(response=response)
    assert caught.value.messages == [
        "We could not accept that just now. Wait a moment, then try again."
    ]
    assert Response.objects.get(pk=response.pk).status == "draft"
    later = timezone.now() + datetime.timedelta(seconds=4)
    assert response_submit(response=response, now=later).status == "submitted"


def test_starting_is_limited_per_address_and_counts_each_address_apart(survey, client, settings):
    settings.CIVIC_RESPONSE_RATE = "2/h"
    path = f"/consultations/{survey.consultation.slug}/respond/"
    token = start_token(now=time.time() - 60)
    statuses = []
    for _ in range(3):
        client.cookies.clear()
        statuses.append(client.post(path, {"started": token}, REMOTE_ADDR="203.0.113.9"))
    assert [response.status_code for response in statuses] == [302, 302, 429]
    assert "too many responses from your internet connection" in statuses[2].content.decode()
    assert Response.objects.count() == 2
    client.cookies.clear()
    assert client.post(path, {"started": token}, REMOTE_ADDR="203.0.113.10").status_code == 302


def test_sending_is_limited_per_address(survey, settings):
    settings.CIVIC_RESPONSE_RATE = "1/h"
    first, second = answered(survey), answered(survey)
    response_submit(response=first, ip="203.0.113.9")
    with pytest.raises(Refused) as caught:
        response_submit(response=second, ip="203.0.113.9")
    assert caught.value.code == "rate_limited"
    assert Response.objects.get(pk=second.pk).status == "draft"


# ---------------------------------------------------------------------------------------------
# Consent, the timeline, the receipt
# ---------------------------------------------------------------------------------------------


def test_consent_to_hear_the_outcome_makes_a_contact_with_live_consent_and_a_timeline_entry(
    survey, council
):
    response = answered(survey)
    save(response, survey, 3, {"postcode": "M4 6AA"})
    submitted = response_submit(
        response=response,
        email="Ann@Example.org",
        consents=Consents(
            hear_about_outcome=True, outcome_wording="Tell me what the council decides"
        ),
    )
    contact = Contact.objects.get(organisation=council.organisation)
    assert (contact.email, contact.postcode, contact.area, contact.source) == (
        "ann@example.org",
        "M4 6AA",
        council.ward,
        "survey",
    )
    assert submitted.contact == contact
    purpose = consultation_purpose(survey.consultation)
    assert consent_is_live(contact=contact, purpose=purpose)
    event = contact.consent_events.get()
    assert event.wording == "Tell me what the council decides"
    assert submitted.reference in event.method
    activity = contact.activities.get()
    assert (activity.kind, activity.reference, activity.item_title, activity.department) == (
        "response",
        submitted.reference,
        "Riverside cycle lanes",
        council.department,
    )


def test_consent_to_hear_of_new_consultations_is_a_purpose_of_its_own(survey, council):
    response_submit(
        response=answered(survey),
        email="ann@example.org",
        consents=Consents(hear_about_new=True, new_wording="Tell me of new ones"),
    )
    contact = Contact.objects.get()
    assert [event.purpose.slug for event in contact.consent_events.all()] == ["new-consultations"]
    assert not consent_is_live(contact=contact, purpose=consultation_purpose(survey.consultation))


def test_without_consent_nobody_becomes_a_contact_and_the_address_is_not_kept(survey):
    response = answered(survey)
    resume_link_send(response=response, email="ann@example.org")
    submitted = response_submit(response=response, email="ann@example.org")
    assert not Contact.objects.exists()
    assert (submitted.contact, submitted.email) == (None, "")


def test_consent_or_a_receipt_needs_an_email_address(survey):
    response = answered(survey)
    with pytest.raises(ValidationError) as caught:
        response_submit(response=response, send_receipt=True)
    assert caught.value.error_dict["email"][0].messages == [
        "Enter your e-mail address, or untick the boxes that need one"
    ]
    with pytest.raises(ValidationError) as caught:
        response_submit(response=response, email="ann@", consents=Consents(hear_about_new=True))
    assert caught.value.error_dict["email"][0].code == "invalid"
    assert Response.objects.get(pk=response.pk).status == "draft"
    assert not Contact.objects.exists()


def test_the_receipt_is_queued_with_a_copy_of_the_answers(
    survey, django_capture_on_commit_callbacks
):
    response = answered(survey)
    save(
        response,
        survey,
        3,
        {
            "improve": {
                "options": [survey.option("improve", "Lighting").pk, "other"],
                "other": "Benches",
            },
            "since": {"day": "3", "month": "4", "year": "2019"},
        },
    )
    with django_capture_on_commit_callbacks() as callbacks:
        submitted = response_submit(response=response, email="ann@example.org", send_receipt=True)
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.to_email, delivery.status) == (
        "transactional",
        "ann@example.org",
        "queued",
    )
    assert delivery.message["subject"] == (
        f"Your response to Riverside cycle lanes ({submitted.reference})"
    )
    text = delivery.message["text"]
    for expected in (
        submitted.reference,
        "Do you cycle by the river?\n  Yes",
        "  Lighting",
        "  Other: Benches",
        "Cycling since\n  3 April 2019",
        "Trips a week\n  Not answered",
    ):
        assert expected in text
    # The mail worker is woken (and the results recounted) once the response is committed.
    assert len(callbacks) == 2


def test_agreeing_to_publish_is_recorded(survey):
    assert response_submit(response=answered(survey), agrees_to_publish=True).agrees_to_publish
    assert not response_submit(response=answered(survey)).agrees_to_publish


# ---------------------------------------------------------------------------------------------
# Come back later
# ---------------------------------------------------------------------------------------------


def test_a_resume_link_is_mailed_and_takes_the_resident_back_to_the_draft(survey, client):
    response = start(survey)
    save(response, survey, 1, {"cycles": survey.option("cycles", "No").pk, "route": "Towpath"})
    resume_link_send(response=response, email="ann@example.org")
    delivery = Delivery.objects.get()
    assert delivery.to_email == "ann@example.org"
    link = re.search(r"http\S+/respond/resume/\S+/", delivery.message["text"]).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    answer = client.get(f"/{path}")
    # Page 2 does not apply (they do not cycle): back to page 3, the first one unfinished.
    assert answer.status_code == 302
    assert answer["Location"] == f"/consultations/{survey.consultation.slug}/respond/page/3/"
    page = client.get(f"/consultations/{survey.consultation.slug}/respond/page/1/").content.decode()
    assert 'value="Towpath"' in page
    assert client.session[f"consultations.response.{survey.consultation.pk}"] == response.pk


def test_an_old_or_tampered_resume_link_is_refused(survey, client, monkeypatch):
    response = start(survey)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 31 * 86400)
    old = resume_token(response)
    monkeypatch.setattr(time, "time", real_time)
    base = f"/consultations/{survey.consultation.slug}/respond/resume"
    for token in (old, resume_token(response)[:-2] + "xx", "nonsense"):
        answer = client.get(f"{base}/{token}/")
        assert answer.status_code == 410
        assert "This link has expired" in answer.content.decode()
    assert f"consultations.response.{survey.consultation.pk}" not in client.session


def test_a_resume_link_to_a_sent_response_says_so(survey, client):
    response = answered(survey)
    token = resume_token(response)
    response_submit(response=response)
    answer = client.get(f"/consultations/{survey.consultation.slug}/respond/resume/{token}/")
    assert answer.status_code == 200
    assert "This response has been sent" in answer.content.decode()


# ---------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------


class Resident:
    """A browser without JavaScript, through Django's test client."""

    def __init__(self, client, survey):
        self.client, self.survey = client, survey
        self.base = f"/consultations/{survey.consultation.slug}/respond/"

    def start(self):
        page = self.client.get(self.base).content.decode()
        token = re.search(r'name="started" value="([^"]+)"', page).group(1)
        return self.client.post(self.base, {"started": token, "website": ""})

    def page(self, number, data=None, action="continue"):
        path = f"{self.base}page/{number}/"
        if data is None:
            return self.client.get(path)
        return self.client.post(path, {**data, "action": action})

    def q(self, key) -> str:
        return f"q{self.survey.questions[key].pk}"

    def option(self, key, label) -> str:
        return str(self.survey.option(key, label).pk)


def test_a_resident_answers_page_by_page_checks_and_sends(survey, client):
    resident = Resident(client, survey)
    assert resident.start()["Location"] == resident.base + "page/1/"
    page = resident.page(1, {resident.q("cycles"): resident.option("cycles", "Yes")})
    assert page["Location"] == resident.base + "page/2/"
    page = resident.page(2, {resident.q("helps"): "Lights\r\nand benches"})
    assert page["Location"] == resident.base + "page/3/"
    rank = resident.q("rank")
    page = resident.page(
        3,
        {
            resident.q("improve"): [resident.option("improve", "Signs"), "other"],
            f"{resident.q('improve')}-other": "Benches",
            f"{rank}-{resident.option('rank', 'Safety')}": "1",
            f"{rank}-{resident.option('rank', 'Speed')}": "3",
            f"{rank}-{resident.option('rank', 'Scenery')}": "2",
            f"{resident.q('since')}-day": "1",
            f"{resident.q('since')}-month": "6",
            f"{resident.q('since')}-year": "2020",
            resident.q("postcode"): "m4 6aa",
        },
    )
    assert page["Location"] == resident.base + "check/"
    check = client.get(resident.base + "check/").content.decode()
    for expected in (
        "Do you cycle by the river?",
        "Lights<br>and benches",
        "Other: Benches",
        "1. Safety",
        "2. Scenery",
        "1 June 2020",
        "M4 6AA",
    ):
        assert expected in check, expected
    assert f'href="{resident.base}page/2/?next=check#{resident.q("helps")}"' in check
    sent = client.post(resident.base + "check/", {"email": "", "website": ""})
    response = Response.objects.get()
    assert sent["Location"] == f"{resident.base}done/{response.reference}/"
    done = client.get(sent["Location"]).content.decode()
    assert response.reference in done
    assert "govuk-panel--confirmation" in done
    assert response.status == "submitted"
    assert response.area.name == "Ancoats"


def test_a_change_from_check_your_answers_returns_there_unless_a_new_page_needs_answers(
    survey, client
):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    resident.page(3, {})
    change = f"{resident.base}page/1/?next=check"
    assert 'name="next" value="check"' in client.get(change).content.decode()
    answer = client.post(
        change,
        {
            resident.q("cycles"): resident.option("cycles", "No"),
            resident.q("route"): "Towpath",
            "next": "check",
        },
    )
    assert answer["Location"] == resident.base + "check/"
    answer = client.post(
        change, {resident.q("cycles"): resident.option("cycles", "Yes"), "next": "check"}
    )
    assert answer["Location"] == resident.base + "page/2/?next=check"  # what would help?
    answer = client.post(answer["Location"], {resident.q("helps"): "Lights", "next": "check"})
    assert answer["Location"] == resident.base + "check/"


def test_a_replayed_send_shows_the_same_reference_and_stores_one_response(survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    resident.page(3, {})
    first = client.post(resident.base + "check/", {"website": ""})
    again = client.post(resident.base + "check/", {"website": ""})
    assert first["Location"] == again["Location"]
    assert Response.objects.filter(status="submitted").count() == 1
    assert (
        client.post(resident.base + "page/1/", {"action": "continue"})["Location"]
        == (first["Location"])
    )


def test_errors_show_in_a_summary_and_beside_the_question(survey, client):
    resident = Resident(client, survey)
    resident.start()
    page = resident.page(1, {resident.q("cycles"): ""})
    assert page.status_code == 200
    html = page.content.decode()
    message = "Select whether you cycle by the river"
    assert html.count(message) == 2
    assert f'<a href="#{resident.q("cycles")}">{message}</a>' in html
    assert "<title>Error:" in re.sub(r"\s+", " ", html).replace("<title> ", "<title>")
    assert not Answer.objects.exists()


def test_a_tampered_option_id_is_refused_with_a_message_and_stores_nothing(survey, client):
    resident = Resident(client, survey)
    resident.start()
    html = resident.page(
        3,
        {
            resident.q("when"): resident.option("cycles", "Yes"),
            resident.q("trips"): "4",
        },
    ).content.decode()
    assert "Select one of the options given" in html
    assert not Answer.objects.exists()


def test_oversized_text_is_refused_with_a_message_and_stores_nothing(survey, client):
    resident = Resident(client, survey)
    resident.start()
    html = resident.page(
        1,
        {resident.q("cycles"): resident.option("cycles", "Yes"), resident.q("route"): "x" * 20_000},
    ).content.decode()
    assert "Your answer must be 10,000 characters or fewer" in html
    assert not Answer.objects.exists()


def test_back_keeps_the_answers_on_the_page_and_goes_to_the_page_before(survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    back = resident.page(3, {resident.q("trips"): "7"}, action="back")
    assert back["Location"] == resident.base + "page/1/"  # page 2 does not apply
    assert 'value="7"' in resident.page(3).content.decode()


def test_a_page_that_does_not_apply_is_skipped(survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    assert resident.page(2)["Location"] == resident.base + "page/3/"
    assert resident.page(9).status_code == 404


def test_save_for_later_shows_the_way_back_and_mails_a_link(survey, client):
    resident = Resident(client, survey)
    resident.start()
    saved = resident.page(1, {resident.q("route"): "Towpath"}, action="save")
    assert saved["Location"] == resident.base
    html = client.get(resident.base).content.decode()
    assert "Your answers so far are saved." in html
    assert f'href="{resident.base}page/1/"' in html  # cycles is still unanswered
    bad = client.post(resident.base, {"action": "link", "email": "ann"})
    assert "Enter an e-mail address in the correct format" in bad.content.decode()
    sent = client.post(resident.base, {"action": "link", "email": "ann@example.org"})
    assert sent.status_code == 302
    assert Delivery.objects.get().to_email == "ann@example.org"
    assert Response.objects.get().email == "ann@example.org"


def test_the_honeypot_on_the_start_page_stores_nothing_and_says_not_why(survey, client):
    resident = Resident(client, survey)
    page = client.get(resident.base).content.decode()
    token = re.search(r'name="started" value="([^"]+)"', page).group(1)
    answer = client.post(resident.base, {"started": token, "website": "http://spam.example"})
    assert answer.status_code == 200
    assert "We could not accept that just now" in answer.content.decode()
    assert not Response.objects.exists()


def test_sending_too_fast_through_the_pages_is_refused(survey, client, settings):
    settings.CIVIC_RESPONSE_MIN_SECONDS = 30
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    answer = client.post(resident.base + "check/", {"website": ""})
    assert answer.status_code == 200
    assert "We could not accept that just now" in answer.content.decode()
    assert Response.objects.get().status == "draft"


def test_the_check_page_asks_for_unanswered_questions_with_links_to_them(survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "Yes")})
    html = client.post(resident.base + "check/", {"website": ""}).content.decode()
    assert (
        f'<a href="{resident.base}page/2/?next=check#{resident.q("helps")}">' in html
        and "Answer “What would help you cycle more?”" in html
    )
    assert Response.objects.get().status == "draft"


def test_the_check_page_records_consent_and_queues_the_receipt(survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    missing = client.post(resident.base + "check/", {"website": "", "send_receipt": "on"})
    assert "Enter your e-mail address, or untick the boxes that need one" in (
        missing.content.decode()
    )
    sent = client.post(
        resident.base + "check/",
        {
            "website": "",
            "email": "ann@example.org",
            "send_receipt": "on",
            "hear_about_outcome": "on",
            "agrees_to_publish": "on",
        },
    )
    assert sent.status_code == 302
    response = Response.objects.get()
    assert (response.status, response.agrees_to_publish) == ("submitted", True)
    assert response.contact.email == "ann@example.org"
    event = response.contact.consent_events.get()
    assert event.wording == "Tell me what the council decides after this consultation"
    assert Delivery.objects.get().to_email == "ann@example.org"
    assert "We have e-mailed a copy of your answers to ann@example.org" in (
        client.get(sent["Location"]).content.decode()
    )


def test_the_consent_boxes_start_unticked(survey, client):
    resident = Resident(client, survey)
    resident.start()
    html = assert_page(
        client.get(resident.base + "check/"),
        heading="Check your answers before sending your response",
    )
    for name in ("send_receipt", "hear_about_outcome", "hear_about_new", "agrees_to_publish"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert "checked" not in tag, tag


def test_the_confirmation_is_only_for_the_person_who_sent_it(survey, client):
    response = answered(survey)
    response_submit(response=response)
    path = f"/consultations/{survey.consultation.slug}/respond/done/{response.reference}/"
    assert client.get(path).status_code == 404


def test_pages_of_a_closed_upcoming_or_draft_consultation_say_so(council, client):
    closed = make_consultation(council.department, slug="closed", opens=-30, closes=-1)
    upcoming = make_consultation(council.department, slug="upcoming", opens=3, closes=30)
    draft = make_consultation(council.department, slug="draft", published=False)
    for path in ("", "page/1/", "check/"):
        html = client.get(f"/consultations/closed/respond/{path}").content.decode()
        assert "This consultation has closed" in html
        assert (
            "This consultation is not open yet"
            in client.get(f"/consultations/upcoming/respond/{path}").content.decode()
        )
        assert client.get(f"/consultations/draft/respond/{path}").status_code == 404
    answer = client.post("/consultations/closed/respond/", {"started": start_token()})
    assert answer.status_code == 200
    assert not Response.objects.exists()
    assert closed and upcoming and draft


def test_a_consultation_closing_mid_response_refuses_the_send_clearly(survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    Consultation.objects.filter(pk=survey.consultation.pk).update(
        closes_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    answer = client.post(resident.base + "check/", {"website": ""})
    assert answer.status_code == 200
    assert "This consultation has closed" in answer.content.decode()
    assert Response.objects.get().status == "draft"


def test_signed_in_only_consultations_ask_visitors_to_sign_in(survey, client):
    Consultation.objects.filter(pk=survey.consultation.pk).update(allow_anonymous=False)
    resident = Resident(client, survey)
    html = client.get(resident.base).content.decode()
    assert "Sign in to respond" in html
    assert f'href="/accounts/login/?next={resident.base}"' in html
    client.force_login(UserFactory())
    assert resident.start().status_code == 302
    assert Response.objects.get().user is not None


def test_a_signed_in_person_who_has_responded_is_told_so(survey, client):
    ann = UserFactory()
    response = answered(survey, user=ann)
    response_submit(response=response, user=ann)
    client.force_login(ann)
    html = client.get(f"/consultations/{survey.consultation.slug}/respond/").content.decode()
    assert "You have already responded" in html
    assert response.reference in html


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_counts_the_results_again_once_a_response_is_submitted(
    celery_worker, survey, client, settings
):
    settings.CIVIC_RESULTS_RECOUNT_SECONDS = 0.5
    consultation = survey.consultation
    assert results_compute(consultation=consultation).responses == 0

    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    client.post(resident.base + "check/", {"website": "", "email": ""})
    assert Response.objects.get().status == Response.Status.SUBMITTED

    def recounted():
        results = results_compute(consultation=consultation)
        return results if (results.responses, results.uncounted) == (1, 0) else None

    results = wait_for(recounted, message=f"not counted again:\n{celery_worker.log()}")
    cycles = next(result for result in results.questions if result.question.kind == "single_choice")
    assert {option.label: option.count for option in cycles.options} == {"Yes": 0, "No": 1}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_receipt_leaves_from_a_worker(celery_worker, survey, client):
    resident = Resident(client, survey)
    resident.start()
    resident.page(1, {resident.q("cycles"): resident.option("cycles", "No")})
    client.post(
        resident.base + "check/", {"website": "", "email": "ann@example.org", "send_receipt": "on"}
    )
    sent = wait_for(celery_worker.mail, message=f"no receipt left:\n{celery_worker.log()}")
    reference = Response.objects.get().reference
    assert len(sent) == 1
    assert "To: ann@example.org" in sent[0]
    assert reference in sent[0]


# ---------------------------------------------------------------------------------------------
# Abandoned drafts
# ---------------------------------------------------------------------------------------------


def test_saving_a_page_or_asking_for_a_resume_link_keeps_a_draft(survey):
    response = start(survey)
    Response.objects.filter(pk=response.pk).update(saved_at=timezone.now() - datetime.timedelta(9))

    save(response, survey, 1, {"cycles": survey.option("cycles", "Yes").pk})
    response.refresh_from_db()
    assert timezone.now() - response.saved_at < datetime.timedelta(minutes=1)

    Response.objects.filter(pk=response.pk).update(saved_at=timezone.now() - datetime.timedelta(9))
    resume_link_send(response=response, email="ann@example.org")
    response.refresh_from_db()
    assert timezone.now() - response.saved_at < datetime.timedelta(minutes=1)


def test_drafts_that_can_no_longer_be_sent_are_deleted_with_their_answers(council, survey):
    kept_draft = answered(survey)
    sent = response_submit(response=answered(survey))
    abandoned = answered(survey)
    long_ago = timezone.now() - datetime.timedelta(days=resume_days() + 1)
    Response.objects.filter(pk__in=[sent.pk, abandoned.pk]).update(saved_at=long_ago)
    closed = make_consultation(council.department, slug="closed-drafts", opens=-30, closes=-1)
    closed_draft = Response.objects.create(consultation=closed.consultation, reference="RC-CLOSED")
    closed_draft.answers.create(question=closed.questions["route"], text="The towpath")

    assert drafts_remove() == 2

    assert set(Response.objects.values_list("pk", flat=True)) == {kept_draft.pk, sent.pk}
    assert not Answer.objects.filter(response_id__in=[abandoned.pk, closed_draft.pk]).exists()
    assert Answer.objects.filter(response=sent).exists()
    assert drafts_remove() == 0


def test_two_unanswered_questions_have_two_messages_each_naming_its_question(survey, client):
    """An error summary never says "Select an answer" twice: each message comes from its
    question's words."""
    often = add_question(survey.pages[0], "often", "single_choice", "How often do you cycle?",
                         options=["Daily", "Weekly", "Never"], required=True,
                         survey=survey)  # fmt: skip
    survey.questions["route"].required = True
    survey.questions["route"].save()
    resident = Resident(client, survey)
    resident.start()
    page = resident.page(1, {resident.q("cycles"): "", resident.q("often"): ""})
    assert page.status_code == 200
    summary = re.search(
        r'<div class="govuk-error-summary__body">(.*?)</div>', page.content.decode(), re.S
    ).group(1)
    assert re.findall(r'<a href="#(q\d+)[^"]*">([^<]+)</a>', summary) == [
        (resident.q("cycles"), "Select whether you cycle by the river"),
        (resident.q("route"), "Enter which route you use"),
        (f"q{often.pk}", "Select how often you cycle"),
    ]
    assert not Answer.objects.exists()
