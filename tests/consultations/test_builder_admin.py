"""The survey builder in the admin: conditions that only look back, the 'About you' set,
duplicating, previewing, publishing, what cannot be removed once answered, and the outcome on its
own page with the check before publishing it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civic.models import AuditEntry
from consultations import services
from consultations.models import (
    Consultation,
    Decision,
    Document,
    FollowUpAction,
    Option,
    Question,
    SurveyPage,
    Theme,
)
from consultations.services import builder, consultation_purpose
from consultations.services.checks import consultation_problems
from contacts.models import ConsentEvent, Contact
from mailing.models import Delivery
from tests.consultations.conftest import make_consultation
from tests.consultations.test_pages import submitted_response
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
# What a worker runs to put a notice in the outbox (mailing.services.notices).
NOTIFY = "mailing.tasks.consenters_notify_task"

CHANGELIST = "/admin/consultations/consultation/"


# Reading and posting admin forms ----------------------------------------------------------------


class _FormReader(HTMLParser):
    """The values a browser would send for the form with the given id."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.values = form_id, False, {}
        self.select, self.textarea = None, None

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self._add(name, attributes.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self.select = {"name": name, "chosen": False, "first": None}
        elif tag == "option" and self.select is not None:
            value = attributes.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attributes:
                self.select["chosen"] = True
                self._add(self.select["name"], value)
        elif tag == "textarea" and name:
            self.textarea = name
            self._add(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            if not self.select["chosen"] and self.select["first"] is not None:
                self._add(self.select["name"], self.select["first"])
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.values[self.textarea][-1] += (
                data.removeprefix("\n") if not self.values[self.textarea][-1] else data
            )


def form_data(response, form_id: str, **changes) -> dict:
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    data = {
        name: values if len(values) > 1 else values[0] for name, values in reader.values.items()
    }
    data["_save"] = "Save"  # the button pressed (a browser sends its name)
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def change_url(obj) -> str:
    return f"/admin/consultations/{obj._meta.model_name}/{obj.pk}/change/"


def publish_url(consultation) -> str:
    return f"{CHANGELIST}{consultation.pk}/publish/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client, action: str, *objects, follow=True):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=follow,
    )


@pytest.fixture
def officer(client, council):
    client.force_login(council.officer)
    return council.officer


# Conditions -------------------------------------------------------------------------------------


def test_the_condition_list_offers_every_answer_of_the_survey(client, officer, survey):
    helps = survey.questions["helps"]
    response = client.get(change_url(helps))
    html = response.content.decode()
    cycles, yes = survey.questions["cycles"], survey.option("cycles", "Yes")
    assert (
        f'<option value="{cycles.pk}:{yes.pk}">“Do you cycle by the river?” is answered “Yes”'
        "</option>" in html
    )
    assert (
        f'<option value="{cycles.pk}:answered">“Do you cycle by the river?” is answered at all'
        "</option>" in html
    )
    assert 'label="Page “Cycling”: Do you cycle by the river?"' in html


def test_a_question_may_depend_on_an_answer_of_an_earlier_page(client, officer, survey):
    trips = survey.questions["trips"]
    cycles, yes = survey.questions["cycles"], survey.option("cycles", "Yes")
    page = client.get(change_url(trips))
    response = client.post(
        change_url(trips), form_data(page, "question_form", condition=f"{cycles.pk}:{yes.pk}")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    trips.refresh_from_db()
    assert trips.condition == {"question": cycles.pk, "option": yes.pk}


@pytest.mark.parametrize(
    ("key", "target"),
    [("when", "improve"), ("route", "since")],
    ids=["an earlier question of the same page", "a question of a later page"],
)
def test_a_condition_pointing_at_this_page_or_a_later_one_is_refused_next_to_the_field(
    client, officer, survey, key, target
):
    question, target_question = survey.questions[key], survey.questions[target]
    page = client.get(change_url(question))
    response = client.post(
        change_url(question),
        form_data(page, "question_form", condition=f"{target_question.pk}:answered"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["condition"]
    assert errors == [
        f"“{target_question.text}” is on this page or a later one. A condition can only depend "
        "on a question of an earlier page, which residents have answered already."
    ]
    assert "errornote" in response.content.decode()
    question.refresh_from_db()
    assert question.condition is None


def test_a_condition_on_an_option_that_is_not_there_is_refused(client, officer, survey):
    trips, cycles = survey.questions["trips"], survey.questions["cycles"]
    other_option = survey.option("when", "Morning")  # an option, but of another question
    page = client.get(change_url(trips))
    for value in (f"{cycles.pk}:999999", f"{cycles.pk}:{other_option.pk}"):
        response = client.post(change_url(trips), form_data(page, "question_form", condition=value))
        assert response.context["adminform"].form.errors["condition"] == [
            "The answer this condition depends on is no longer an option of “Do you cycle by "
            "the river?”. Choose another."
        ]
    response = client.post(change_url(trips), form_data(page, "question_form", condition="x:y"))
    assert response.context["adminform"].form.errors["condition"] == [
        "Choose a condition from the list."
    ]
    trips.refresh_from_db()
    assert trips.condition is None


def test_a_page_condition_pointing_at_a_later_page_is_refused_in_the_survey_builder(
    client, officer, survey
):
    consultation, first = survey.consultation, survey.pages[0]
    later = survey.questions["agree"]
    url = f"/admin/consultations/consultation/{consultation.pk}/survey/pages/{first.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url, form_data(page, "survey-page-form", condition=f"{later.pk}:answered", action="save")
    )
    assert response.status_code == 200
    assert "is on this page or a later one" in str(response.context["form"].errors["condition"])
    first.refresh_from_db()
    assert first.condition is None


def test_the_builder_refuses_a_question_of_another_consultation(council, survey):
    other = make_consultation(council.department, slug="other")
    with pytest.raises(ValidationError) as raised:
        builder.condition_validate(
            {"question": other.questions["cycles"].pk, "answered": True},
            consultation=survey.consultation,
            before=builder.page_order(survey.pages[2]),
        )
    assert raised.value.code == "missing_question"


def test_reordering_pages_shows_the_conditions_it_broke_and_stops_publishing(
    client, officer, council
):
    draft = make_consultation(council.department, slug="draft", published=False)
    SurveyPage.objects.filter(pk=draft.pages[1].pk).update(position=0)
    SurveyPage.objects.filter(pk=draft.pages[0].pk).update(position=1)
    html = client.get(change_url(draft.consultation)).content.decode()
    assert "The survey needs attention before it is published" in html
    assert "Page “What helps”: “Do you cycle by the river?” is on this page or a later one." in html
    response = client.post(publish_url(draft.consultation))
    html = assert_page(response, heading="Check before publishing Riverside cycle lanes")
    assert "is on this page or a later one" in html
    draft.consultation.refresh_from_db()
    assert draft.consultation.published_at is None


# About you, duplicate, preview, publish ---------------------------------------------------------


def test_the_about_you_action_adds_the_equality_questions_each_with_prefer_not_to_say(
    client, officer, survey
):
    response = run_action(client, "add_about_you", survey.consultation)
    assert messages_of(response) == [
        "“Riverside cycle lanes” has an 'About you' page with 8 questions."
    ]
    page = survey.consultation.pages.get(title="About you")
    assert page.position == 3
    questions = list(page.questions.all())
    assert [question.text.split(" ")[:3] for question in questions][:2] == [
        ["What", "is", "your"],
        ["What", "is", "your"],
    ]
    assert len(questions) == 8
    assert all(question.about_you and not question.required for question in questions)
    assert all(question.kind == "single_choice" for question in questions)
    for question in questions:
        assert list(question.options.values_list("label", flat=True))[-1] == "Prefer not to say"
    ethnic = next(question for question in questions if "ethnic" in question.text)
    assert list(ethnic.options.values_list("label", flat=True)) == [
        "Asian, Asian British or Asian Welsh",
        "Black, Black British, Black Welsh, Caribbean or African",
        "Mixed or Multiple ethnic groups",
        "White",
        "Other ethnic group",
        "Prefer not to say",
    ]
    texts = " ".join(question.text for question in questions)
    for subject in ("age", "sex", "gender", "ethnic", "day-to-day", "religion", "sexual",
                    "look after"):  # fmt: skip
        assert subject in texts
    assert AuditEntry.objects.filter(summary="Added the 'About you' questions").count() == 1

    again = run_action(client, "add_about_you", survey.consultation)
    assert messages_of(again) == [
        "Riverside cycle lanes: “Riverside cycle lanes” already has the 'About you' questions."
    ]
    assert Question.objects.filter(about_you=True).count() == 8


def test_duplicating_copies_the_survey_as_a_new_draft_with_conditions_pointing_at_the_copies(
    client, officer, council, survey
):
    original = survey.consultation
    original.areas.add(council.ward)
    response = run_action(client, "duplicate", original, follow=False)
    copy = Consultation.objects.exclude(pk=original.pk).get()
    assert response["Location"] == change_url(copy)
    assert (copy.title, copy.slug) == ("Riverside cycle lanes (copy)", "riverside-cycle-lanes-copy")
    assert copy.published_at is None and copy.outcome_published_at is None
    assert list(copy.areas.all()) == [council.ward]
    assert list(copy.pages.values_list("title", flat=True)) == ["Cycling", "What helps", "More"]

    def survey_of(consultation):
        return [
            (question.page.title, question.text, question.kind,
             [option.label for option in question.options.all()])
            for question in Question.objects.filter(page__consultation=consultation)
        ]  # fmt: skip

    assert survey_of(copy) == survey_of(original)
    copied_cycles = Question.objects.get(
        page__consultation=copy, text=survey.questions["cycles"].text
    )
    assert copy.pages.get(title="What helps").condition == {
        "question": copied_cycles.pk,
        "option": copied_cycles.options.get(label="Yes").pk,
    }
    assert consultation_problems(copy) == []
    assert survey.pages[1].condition["question"] == survey.questions["cycles"].pk  # unchanged

    run_action(client, "duplicate", original)
    assert Consultation.objects.filter(slug="riverside-cycle-lanes-copy-2").exists()


def test_the_preview_shows_every_page_and_question_as_residents_see_them(client, officer, survey):
    response = client.get(f"/admin/consultations/consultation/{survey.consultation.pk}/preview/")
    html = assert_page(response, heading="Survey preview")
    assert response.status_code == 200
    assert "Survey preview" in html
    assert "Nothing here can be submitted." in html
    for question in survey.questions.values():
        assert question.text in html
    assert "Page 2 of 3" in html
    assert "Shown only to people who answered “Yes” to “Do you cycle by the river?”." in html
    assert "You can enter up to 500 characters" in html
    assert "Other, please specify" in html
    assert "<form" not in html.split('id="main-content"')[1].split("</main>")[0]
    assert re.search(r'<textarea class="govuk-textarea" id="q-\d+" rows="5" disabled>', html)


def test_publishing_a_draft_from_the_admin_makes_it_public(client, officer, council):
    draft = make_consultation(council.department, slug="draft", published=False)
    response = client.post(publish_url(draft.consultation), follow=True)
    assert messages_of(response)[0].startswith("“Riverside cycle lanes” is published.")
    assert client.get("/consultations/draft/").status_code == 200
    again = client.post(publish_url(draft.consultation))
    html = assert_page(again, heading="Check before publishing Riverside cycle lanes")
    assert "This consultation is already published." in html


def test_publishing_is_no_longer_an_item_of_the_action_list(client, officer, council):
    draft = make_consultation(council.department, slug="draft", published=False)
    html = assert_page(client.get(change_url(draft.consultation)), heading="Change consultation")
    assert 'name="CHANGE_FORM-action"' in html  # the other actions are still there
    assert '<option value="publish">' not in html
    response = client.post(
        change_url(draft.consultation),
        {"CHANGE_FORM-action": "publish", "_selected_action": draft.consultation.pk},
        follow=True,
    )
    assert response.status_code == 200
    draft.consultation.refresh_from_db()
    assert draft.consultation.published_at is None


def test_a_new_consultation_is_made_with_its_documents(
    client, officer, council, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = client.get("/admin/consultations/consultation/add/")
    data = form_data(
        page,
        "consultation_form",
        title="Tram stop",
        slug="tram-stop",
        department=str(council.department.pk),
        summary="Where should it go?",
        opens_at_0="01/03/2027",
        opens_at_1="09:00:00",
        closes_at_0="14/03/2027",
        closes_at_1="17:00:00",
        areas=str(council.ward.pk),
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-title": "The plan",
            "documents-0-position": "0",
            "documents-0-file": SimpleUploadedFile("plan.pdf", b"%PDF-1.4 " + b"x" * 2000),
        },
    )
    response = client.post("/admin/consultations/consultation/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    consultation = Consultation.objects.get(slug="tram-stop")
    assert consultation.published_at is None
    assert list(consultation.areas.all()) == [council.ward]
    assert timezone.localtime(consultation.opens_at).hour == 9
    document = consultation.documents.get()
    assert (document.title, document.size, document.kind) == ("The plan", 2009, "PDF")
    assert AuditEntry.objects.filter(summary__startswith="Changed documents: 1 added").exists()


def test_a_document_of_a_type_residents_cannot_open_safely_is_refused(
    client, officer, survey, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = client.get(change_url(survey.consultation))
    data = form_data(
        page,
        "consultation_form",
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-title": "Script",
            "documents-0-position": "0",
            "documents-0-file": SimpleUploadedFile("page.html", b"<script>alert(1)</script>"),
        },
    )
    response = client.post(change_url(survey.consultation), data)
    assert response.status_code == 200
    assert "The file must be a" in response.content.decode()
    assert not Document.objects.exists()


def test_areas_of_another_council_are_refused(client, officer, council, survey):
    from tests.factories import AreaFactory

    elsewhere = AreaFactory()
    page = client.get(change_url(survey.consultation))
    response = client.post(
        change_url(survey.consultation),
        form_data(page, "consultation_form", areas=[str(elsewhere.pk)]),
    )
    assert response.status_code == 200
    assert "areas" in response.context["adminform"].form.errors
    assert not survey.consultation.areas.exists()


# Changing a survey that has answers -------------------------------------------------------------


@pytest.fixture
def answered(survey):
    submitted_response(
        survey.consultation,
        {
            survey.questions["cycles"]: survey.option("cycles", "Yes"),
            survey.questions["route"]: "A",
        },
    )
    return survey


def test_wording_can_change_after_answers_arrive_but_not_the_kind(client, officer, answered):
    cycles = answered.questions["cycles"]
    page = client.get(change_url(cycles))
    assert_page(page, heading="Change question")
    assert 'name="kind"' not in page.content.decode()
    data = form_data(page, "question_form", text="Do you ever cycle by the river?")
    data["options-0-label"] = "Yes, I do"
    response = client.post(change_url(cycles), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    cycles.refresh_from_db()
    assert cycles.text == "Do you ever cycle by the river?"
    assert cycles.kind == "single_choice"
    assert list(cycles.options.values_list("label", flat=True)) == ["Yes, I do", "No"]


def test_an_option_somebody_chose_cannot_be_removed(client, officer, answered):
    cycles = answered.questions["cycles"]
    yes = answered.option("cycles", "Yes")
    page = client.get(change_url(cycles))
    data = form_data(page, "question_form")
    index = next(
        name.split("-")[1] for name, value in data.items()
        if name.startswith("options-") and name.endswith("-id") and value == str(yes.pk)
    )  # fmt: skip
    data[f"options-{index}-DELETE"] = "on"
    response = client.post(change_url(cycles), data)
    assert response.status_code == 200
    assert (
        "Residents have chosen “Yes”, so it cannot be removed. You can still change its wording."
        in response.content.decode()
    )
    assert Option.objects.filter(pk=yes.pk).exists()

    # An option nobody chose can go.
    no = answered.option("cycles", "No")
    data.pop(f"options-{index}-DELETE")
    other = next(
        name.split("-")[1] for name, value in data.items()
        if name.startswith("options-") and name.endswith("-id") and value == str(no.pk)
    )  # fmt: skip
    data[f"options-{other}-DELETE"] = "on"
    assert client.post(change_url(cycles), data).status_code == 302
    assert not Option.objects.filter(pk=no.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_question_with_answers_cannot_be_deleted_and_the_officer_is_told_why(
    client, officer, answered, method
):
    route = answered.questions["route"]
    url = f"/admin/consultations/question/{route.pk}/delete/"
    response = getattr(client, method)(url, {"post": "yes"} if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"] == change_url(route)
    followed = client.get(response["Location"])
    assert messages_of(followed) == [
        "Residents have answered “Which route do you use?”, so it cannot be removed. You can "
        "still change its wording."
    ]
    assert Question.objects.filter(pk=route.pk).exists()


def test_deleting_answered_questions_in_bulk_names_a_count_not_every_answer(
    client, officer, answered
):
    route = answered.questions["route"]
    response = client.post(
        "/admin/consultations/question/",
        {"action": "delete_selected", "_selected_action": [route.pk]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 answer from residents" in html
    assert Question.objects.filter(pk=route.pk).exists()


def test_answers_that_arrive_while_deleting_give_a_message_not_an_error(
    client, officer, survey, monkeypatch
):
    from consultations.admin import QuestionAdmin

    route = survey.questions["route"]
    submitted_response(survey.consultation, {route: "Along the river"})
    # As if the answer came in between the check and the delete.
    monkeypatch.setattr(QuestionAdmin, "answered", lambda self, obj: False)
    monkeypatch.setattr(
        QuestionAdmin,
        "get_deleted_objects",
        lambda self, objs, request: ([], {}, set(), []),
    )
    response = client.post(f"/admin/consultations/question/{route.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Question.objects.filter(pk=route.pk).exists()
    assert "cannot be removed" in messages_of(client.get(response["Location"]))[0]


def test_a_page_with_answers_cannot_be_removed_from_the_survey(client, officer, answered):
    consultation, first = answered.consultation, answered.pages[0]
    response = client.post(
        f"/admin/consultations/consultation/{consultation.pk}/survey/",
        {"action": f"delete:{first.pk}"},
        follow=True,
    )
    assert messages_of(response) == ["Residents have answered “Cycling”, so it cannot be removed."]
    assert SurveyPage.objects.filter(pk=first.pk).exists()


def test_a_consultation_with_responses_cannot_be_deleted(client, officer, answered):
    consultation = answered.consultation
    response = client.post(
        f"/admin/consultations/consultation/{consultation.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert messages_of(response) == [
        "Residents have responded to “Riverside cycle lanes”, so it cannot be removed. "
        "Unpublished drafts without responses can be."
    ]
    assert Consultation.objects.filter(pk=consultation.pk).exists()


def test_a_draft_without_responses_can_be_deleted(client, officer, council):
    draft = make_consultation(council.department, slug="draft", published=False)
    url = f"/admin/consultations/consultation/{draft.consultation.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Consultation.objects.exists()


def test_adding_a_question_on_its_own_admin_page_leads_back_to_its_page_in_the_builder(
    client, officer, survey
):
    page_three = survey.pages[2]
    add = f"/admin/consultations/question/add/?page={page_three.pk}"
    form = client.get(add)
    data = form_data(form, "question_form", kind="single_choice", text="Which bridge?")
    data.update({"options-0-label": "North", "options-1-label": "South"})
    response = client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == (
        f"/admin/consultations/consultation/{survey.consultation.pk}/survey/pages/{page_three.pk}/"
    )
    question = page_three.questions.get(text="Which bridge?")
    assert question.position == 9  # after the nine already on the page
    assert list(question.options.values_list("label", flat=True)) == ["North", "South"]


def test_the_survey_outline_says_when_a_question_is_shown(client, officer, survey):
    route = survey.questions["route"]
    cycles = survey.questions["cycles"]
    route.condition = {"question": cycles.pk, "option": survey.option("cycles", "No").pk}
    route.save()

    response = client.get(f"/admin/consultations/consultation/{survey.consultation.pk}/survey/")
    outline = assert_page(response, heading="Survey of “Riverside cycle lanes”")

    item = re.search(r"<li>\s*Which route do you use\?(.*?)</li>", outline, re.S)
    assert "Shown only to people who answered “No” to “Do you cycle by the river?”" in (
        item.group(1).replace("&ldquo;", "“").replace("&rdquo;", "”")
    )


# The outcome ------------------------------------------------------------------------------------


@pytest.fixture
def closed(council):
    survey = make_consultation(council.department, slug="closed", opens=-20, closes=-1)
    decision = Decision.objects.create(
        consultation=survey.consultation, we_asked="Lanes?", you_said="Yes", we_did="Built"
    )
    action = FollowUpAction.objects.create(decision=decision, description="Build the lanes")
    contact = Contact.objects.create(
        organisation=council.organisation, email="heard@example.org", name="Heard"
    )
    ConsentEvent.objects.create(
        contact=contact,
        purpose=consultation_purpose(survey.consultation),
        action=ConsentEvent.Action.GIVEN,
        method="survey",
        wording="Tell me the outcome",
        created_at=timezone.now(),
    )
    return survey, decision, action


def outcome_url(consultation, page: str = "") -> str:
    return f"{CHANGELIST}{consultation.pk}/outcome/{page}"


def test_the_consultations_form_no_longer_holds_the_outcome(client, officer, closed):
    survey, _decision, _action = closed
    html = assert_page(client.get(change_url(survey.consultation)), heading="Change consultation")
    prefixes = [
        formset.formset.prefix
        for formset in client.get(change_url(survey.consultation)).context["inline_admin_formsets"]
    ]
    assert prefixes == ["documents"]
    assert 'id="decisions-group"' not in html
    assert f'href="{outcome_url(survey.consultation)}"' in html  # its tab, and the next step
    assert '<option value="publish_outcome">' not in html


def test_the_outcome_page_shows_each_decision_with_its_actions_and_what_stops_publishing(
    client, officer, council, closed
):
    survey, decision, _action = closed
    html = assert_page(
        client.get(outcome_url(survey.consultation)), heading="Outcome of “Riverside cycle lanes”"
    )
    assert "Build the lanes: Planned" in html
    assert f'href="{change_url(decision)}"' in html
    assert (
        f'href="/admin/consultations/decision/add/?consultation={survey.consultation.pk}"' in html
    )
    assert 'id="outcome-problems"' not in html  # closed, with a decision: nothing to fix
    assert 'id="outcome-publish-button"' in html
    results = client.get(f"{CHANGELIST}{survey.consultation.pk}/results/").content.decode()
    assert f'href="{outcome_url(survey.consultation)}"' in results  # the same tabs there

    draft = make_consultation(council.department, slug="draft", published=False)
    html = assert_page(
        client.get(outcome_url(draft.consultation)), heading="Outcome of “Riverside cycle lanes”"
    )
    assert "No decisions yet." in html
    problems = re.search(r'id="outcome-problems">(.*?)</div>', html, re.S).group(1)
    assert "Status: The consultation is a draft. Publish it first" in problems
    assert "Decisions: Write at least one decision" in problems


def test_decisions_offer_only_the_consultations_own_questions_and_themes(
    client, officer, council, closed
):
    survey, decision, _action = closed
    other = make_consultation(council.department, slug="other")
    Theme.objects.create(consultation=other.consultation, name="Elsewhere")
    mine = Theme.objects.create(consultation=survey.consultation, name="Mine")
    page = client.get(f"/admin/consultations/decision/add/?consultation={survey.consultation.pk}")
    form = page.context["adminform"].form
    assert form.initial["consultation"] == str(survey.consultation.pk)
    assert set(form.fields["questions"].queryset) == set(survey.questions.values())
    assert list(form.fields["themes"].queryset) == [mine]
    decision_page = client.get(change_url(decision))
    assert list(decision_page.context["adminform"].form.fields["themes"].queryset) == [mine]


def test_a_decision_added_from_the_outcome_page_leads_back_to_it(client, officer, closed):
    survey, _decision, _action = closed
    add = f"/admin/consultations/decision/add/?consultation={survey.consultation.pk}"
    data = form_data(
        client.get(add),
        "decision_form",
        we_asked="Where?",
        you_said="By the river",
        we_did="We chose the river",
        **{"actions-0-description": "Draw the route"},
    )
    response = client.post(add, data)
    added = Decision.objects.get(we_did="We chose the river")
    assert response.status_code == 302
    assert response["Location"] == outcome_url(survey.consultation) + f"#decision-{added.pk}"
    assert added.consultation == survey.consultation
    assert list(added.actions.values_list("description", flat=True)) == ["Draw the route"]


def test_publishing_the_outcome_from_its_check_page_tells_the_residents_who_asked(
    client, officer, closed, broker, django_capture_on_commit_callbacks
):
    survey, _decision, _action = closed
    html = assert_page(
        client.get(outcome_url(survey.consultation, "publish/")),
        heading="Publish the outcome of Riverside cycle lanes",
    )
    assert "1 resident asked to hear about it and will be told by e-mail." in html
    assert "It has 1 decision." in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(outcome_url(survey.consultation, "publish/"), follow=True)
    assert response.redirect_chain[-1][0] == outcome_url(survey.consultation)
    assert messages_of(response) == [
        "The outcome of “Riverside cycle lanes” is published; 1 resident will be told."
    ]
    assert not Delivery.objects.exists()  # a worker puts them in the outbox
    assert broker.run(NOTIFY) == [1]
    assert Delivery.objects.get().to_email == "heard@example.org"
    assert "We asked, you said, we did" in client.get("/consultations/closed/").content.decode()
    assert AuditEntry.objects.filter(summary="Published outcome", actor=officer).count() == 1

    again = client.post(outcome_url(survey.consultation, "publish/"))
    html = assert_page(
        again, heading="Check before publishing the outcome of Riverside cycle lanes"
    )
    assert "The outcome of this consultation is already published." in html
    assert Delivery.objects.count() == 1


def test_the_outcome_of_an_open_consultation_without_decisions_is_refused_with_its_problems(
    client, officer, survey, broker
):
    check = outcome_url(survey.consultation, "publish/")
    html = assert_page(
        client.get(check), heading="Check before publishing the outcome of Riverside cycle lanes"
    )
    problems = re.search(r'id="publish-problems">(.*?)</div>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', problems)
    assert [(url, text.split(":")[0]) for url, text in links] == [
        (change_url(survey.consultation) + "#id_closes_at_0", "Dates"),
        (f"/admin/consultations/decision/add/?consultation={survey.consultation.pk}", "Decisions"),
    ]
    assert "An outcome can be published only after the consultation closes." in links[0][1]
    assert "publish-confirm" not in html

    response = client.post(check)  # posted anyway: the service refuses the same
    html = assert_page(
        response, heading="Check before publishing the outcome of Riverside cycle lanes"
    )
    assert 'id="publish-problems"' in html
    survey.consultation.refresh_from_db()
    assert survey.consultation.outcome_published_at is None
    assert not AuditEntry.objects.filter(summary="Published outcome").exists()
    assert broker.run(NOTIFY) == []


def test_the_service_refuses_an_outcome_with_no_decision_whatever_path_asks(council, closed):
    survey, decision, _action = closed
    decision.delete()
    with pytest.raises(ValidationError) as refused:
        services.outcome_publish(consultation=survey.consultation, actor=council.officer)
    assert [error.code for error in refused.value.error_list] == ["no_decision"]
    survey.consultation.refresh_from_db()
    assert survey.consultation.outcome_published_at is None


def test_an_action_status_change_goes_through_the_service_and_residents_are_told(
    client, officer, closed, broker, django_capture_on_commit_callbacks
):
    survey, decision, action = closed
    Consultation.objects.filter(pk=survey.consultation.pk).update(
        outcome_published_at=timezone.now()
    )
    page = client.get(change_url(decision))
    data = form_data(page, "decision_form", **{"actions-0-status": "in_progress"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(decision), data, follow=True)
    assert "1 resident will be told about the change." in messages_of(response)
    assert broker.run(NOTIFY) == [1]
    action.refresh_from_db()
    assert action.status == "in_progress"
    assert AuditEntry.objects.filter(
        summary=f"Follow-up action #{action.pk}: Planned → In progress"
    ).exists()
    assert Delivery.objects.get().message["subject"] == "An update on Riverside cycle lanes"
    assert response.redirect_chain[0][0] == (
        outcome_url(survey.consultation) + f"#decision-{decision.pk}"
    )
