"""The survey builder on one page (consultations.admin_builder): a page and its questions edited
in one form through the services, only the settings a type uses, conditions that only look back,
moving, copying, deleting with undo, the council's library, and 404 for anyone who does not run
the consultation."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from civic.models import AuditEntry
from consultations.models import Consultation, Option, Question, SavedQuestion, SurveyPage
from consultations.services import copying, editing
from consultations.services.checks import consultation_problems
from consultations.services.editing import QuestionDraft
from tests.consultations.conftest import make_consultation
from tests.consultations.test_builder_admin import form_data, messages_of
from tests.consultations.test_pages import submitted_response
from tests.pages import assert_page

pytestmark = pytest.mark.django_db

FORM = "survey-page-form"


@pytest.fixture
def survey(cast):
    return make_consultation(cast.department)


@pytest.fixture
def officer(client, cast):
    client.force_login(cast.officer)
    return cast.officer


def survey_url(consultation) -> str:
    return f"/admin/consultations/consultation/{consultation.pk}/survey/"


def page_url(page) -> str:
    return f"{survey_url(page.consultation)}pages/{page.pk}/"


def new_page_url(consultation) -> str:
    return f"{survey_url(consultation)}pages/new/"


def post(client, url, response, **changes):
    """Send the page's form as a browser would, with the button pressed as `action`."""
    return client.post(url, form_data(response, FORM, **changes))


def field_names(response) -> set[str]:
    return set(form_data(response, FORM))


def rows(page) -> list[tuple]:
    return [
        (q.kind, q.text, q.required, [o.label for o in q.options.all()])
        for q in page.questions.all()
    ]


# The consultation's page and the survey ---------------------------------------------------------


def test_the_consultation_page_links_to_the_survey_and_holds_none_of_its_pages(
    client, officer, survey
):
    response = client.get(f"/admin/consultations/consultation/{survey.consultation.pk}/change/")
    html = assert_page(response, heading="Change consultation")
    assert f'href="{survey_url(survey.consultation)}"' in html
    assert "pages-TOTAL_FORMS" not in html
    assert "Survey pages" not in html

    response = client.get(survey_url(survey.consultation))
    html = assert_page(response, heading="Survey of “Riverside cycle lanes”")
    for title in ("Page 1: Cycling", "Page 2: What helps", "Page 3: More"):
        assert title in html
    assert "Shown only to people who answered “Yes” to “Do you cycle by the river?”." in html
    assert f'href="{page_url(survey.pages[1])}"' in html


# Writing a page ---------------------------------------------------------------------------------


def test_a_new_page_takes_its_questions_before_it_is_saved_once(client, officer, survey):
    url = new_page_url(survey.consultation)
    form = client.get(url)
    assert_page(form, heading="Add a page to the survey")
    assert form.context["formset"].forms[0]["required"].value() is True  # on by default

    # Without JavaScript: the type first, then its settings after "Show the settings".
    shown = post(client, url, form, **{
        "title": "Bridges",
        "questions-0-kind": "single_choice",
        "questions-0-text": "Which bridge do you cross?",
        "action": "refresh",
    })  # fmt: skip
    assert shown.status_code == 200
    assert "questions-0-options" in field_names(shown)
    assert "errornote" not in shown.content.decode()  # asking to see more is not an error
    assert not SurveyPage.objects.filter(title="Bridges").exists()

    more = post(client, url, shown, **{"questions-0-options": "North\nSouth\nOld", "action": "add"})
    assert more.context["formset"].total_form_count() == 2
    assert more.context["formset"].forms[1]["required"].value() is True
    saved = post(client, url, more, **{
        "questions-1-kind": "short_text",
        "questions-1-text": "Why that one?",
        "questions-1-required": None,
        "action": "save",
    })  # fmt: skip
    assert saved.status_code == 302, saved.context and saved.context["form"].errors
    page = SurveyPage.objects.get(title="Bridges")
    assert saved["Location"] == page_url(page)
    assert page.position == 3  # after the three pages already there
    assert rows(page) == [
        ("single_choice", "Which bridge do you cross?", True, ["North", "South", "Old"]),
        ("short_text", "Why that one?", False, []),
    ]
    assert AuditEntry.objects.filter(summary=f"Added survey page #{page.pk}").count() == 1
    assert AuditEntry.objects.filter(summary__startswith="Added question #").count() == 2
    after = client.get(saved["Location"])
    assert "“Bridges” is saved." in messages_of(after)


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        ("number", {"min_value", "max_value"}, {"options", "allow_other", "max_length", "preset"}),
        ("single_choice", {"options"}, {"allow_other", "min_value", "preset", "max_length"}),
        ("multiple_choice", {"options", "allow_other"}, {"min_value", "preset"}),
        ("scale", {"options", "preset"}, {"allow_other", "min_value"}),
        ("long_text", {"max_length"}, {"options", "allow_other", "min_value", "preset"}),
        ("date", set(), {"options", "allow_other", "min_value", "max_length", "preset"}),
    ],
)
def test_only_the_settings_a_type_uses_are_shown(client, officer, survey, kind, shown, hidden):
    url = new_page_url(survey.consultation)
    form = client.get(url)
    response = post(client, url, form, title="P", **{"questions-0-kind": kind, "action": "refresh"})
    names = {
        name.removeprefix("questions-0-")
        for name in re.findall(r'name="([^"]+)"', response.content.decode())
    }
    assert shown <= names
    assert not hidden & names


def test_a_scale_starts_from_a_preset_that_can_be_changed_and_keeps_the_order_typed(
    client, officer, survey
):
    page = survey.pages[2]
    url = page_url(page)
    form = client.get(url)
    index = form.context["formset"].total_form_count()
    added = post(client, url, form, action="add")
    chosen = post(client, url, added, **{
        f"questions-{index}-kind": "scale",
        f"questions-{index}-text": "How satisfied are you with the paths?",
        "action": "refresh",
    })  # fmt: skip
    assert chosen.context["formset"].forms[index]["options"].value().splitlines() == [
        "Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree",
    ]  # fmt: skip
    satisfied = post(client, url, chosen, **{
        f"questions-{index}-preset": "satisfaction", "action": f"preset:{index}",
    })  # fmt: skip
    labels = satisfied.context["formset"].forms[index]["options"].value().splitlines()
    assert labels[0] == "Very satisfied" and len(labels) == 5
    edited = "\n".join(["Very dissatisfied", *labels[1:4], "Delighted"])
    response = post(client, url, satisfied, **{f"questions-{index}-options": edited})
    assert response.status_code == 302
    question = page.questions.get(text="How satisfied are you with the paths?")
    assert list(question.options.values_list("label", flat=True)) == edited.splitlines()


def test_a_question_is_edited_in_place_and_its_answers_keep_the_order_entered(
    client, officer, survey
):
    page = survey.pages[2]
    form = client.get(page_url(page))
    improve = survey.questions["improve"]
    index = next(
        i for i, f in enumerate(form.context["formset"].forms) if f.question_id == improve.pk
    )
    response = post(client, page_url(page), form, **{
        f"questions-{index}-text": "What should we improve first?",
        f"questions-{index}-options": "Signs\nLighting\nSurface\nBenches",
    })  # fmt: skip
    assert response.status_code == 302
    improve.refresh_from_db()
    assert improve.text == "What should we improve first?"
    assert list(improve.options.values_list("label", flat=True)) == [
        "Signs", "Lighting", "Surface", "Benches",
    ]  # fmt: skip
    assert AuditEntry.objects.filter(summary=f"Changed question #{improve.pk}").count() == 1


def test_a_choice_without_answers_is_refused_next_to_its_field_and_nothing_is_saved(
    client, officer, survey
):
    url = new_page_url(survey.consultation)
    form = client.get(url)
    response = post(client, url, form, title="Broken", **{
        "questions-0-kind": "dropdown",
        "questions-0-text": "Pick one",
        "questions-0-options": "Only",
    })  # fmt: skip
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["options"] == [
        "Enter at least two answers to choose from, one on each line"
    ]
    assert "Question 1, Answers to choose from: Enter at least two answers" in (
        response.content.decode()
    )
    assert not SurveyPage.objects.filter(title="Broken").exists()  # the page rolled back too


# Conditions -------------------------------------------------------------------------------------


def test_a_condition_offers_only_the_answers_of_earlier_pages(client, officer, survey):
    cycles, when = survey.questions["cycles"], survey.questions["when"]
    html = assert_page(client.get(page_url(survey.pages[2])), heading="Survey page “More”")
    assert f'value="{cycles.pk}:{survey.option("cycles", "Yes").pk}"' in html
    assert f'value="{when.pk}:' not in html  # a question of this very page
    first = assert_page(client.get(page_url(survey.pages[0])), heading="Survey page “Cycling”")
    assert f'value="{cycles.pk}:' not in first


def test_a_question_gets_a_condition_on_an_earlier_page(client, officer, survey):
    page, trips = survey.pages[2], survey.questions["trips"]
    yes = survey.option("cycles", "Yes")
    form = client.get(page_url(page))
    index = next(
        i for i, f in enumerate(form.context["formset"].forms) if f.question_id == trips.pk
    )
    value = f"{survey.questions['cycles'].pk}:{yes.pk}"
    response = post(client, page_url(page), form, **{f"questions-{index}-condition": value})
    assert response.status_code == 302
    trips.refresh_from_db()
    assert trips.condition == {"question": survey.questions["cycles"].pk, "option": yes.pk}


def test_a_hostile_post_naming_a_later_questions_option_is_refused_next_to_the_field(
    client, officer, survey
):
    page, route = survey.pages[0], survey.questions["route"]
    later = survey.option("when", "Morning")
    form = client.get(page_url(page))
    index = next(
        i for i, f in enumerate(form.context["formset"].forms) if f.question_id == route.pk
    )
    response = post(client, page_url(page), form, **{
        f"questions-{index}-condition": f"{survey.questions['when'].pk}:{later.pk}",
        f"questions-{index}-text": "Which route do you take?",
    })  # fmt: skip
    assert response.status_code == 200
    assert response.context["formset"].forms[index].errors["condition"] == [
        "“When do you travel?” is on this page or a later one. A condition can only depend on "
        "a question of an earlier page, which residents have answered already."
    ]
    route.refresh_from_db()
    assert (route.condition, route.text) == (None, "Which route do you use?")

    # The same for the page's own condition.
    response = post(
        client, page_url(page), form, condition=f"{survey.questions['when'].pk}:answered"
    )
    assert "is on this page or a later one" in str(response.context["form"].errors["condition"])
    page.refresh_from_db()
    assert page.condition is None


# Moving, copying, deleting ----------------------------------------------------------------------


def test_questions_move_up_and_down_with_buttons(client, officer, survey):
    page = survey.pages[0]
    cycles, route = survey.questions["cycles"], survey.questions["route"]
    form = client.get(page_url(page))
    response = post(client, page_url(page), form, action=f"up:{route.pk}")
    assert response.status_code == 302
    assert list(page.questions.all()) == [route, cycles]
    assert "“Which route do you use?” moved up." in messages_of(client.get(response["Location"]))
    form = client.get(page_url(page))
    post(client, page_url(page), form, action=f"down:{route.pk}")
    assert list(page.questions.all()) == [cycles, route]
    assert AuditEntry.objects.filter(summary__startswith=f"Moved question #{route.pk}").count() == 2


def test_a_dragged_order_is_saved_with_the_page(client, officer, survey):
    """What static/civic/reorder.js sends after a drop: the form with the "reorder" button and
    the questions' ids in their new order."""
    page = survey.pages[2]
    questions = list(page.questions.all())
    order = [questions[-1], *questions[:-1]]
    form = client.get(page_url(page))
    assert f'data-reorder-id="{questions[0].pk}"' in form.content.decode()
    response = post(
        client,
        page_url(page),
        form,
        action="reorder",
        order=",".join(str(question.pk) for question in order),
        **{"questions-0-text": "Renamed while moving"},
    )
    assert response.status_code == 302
    assert list(page.questions.all()) == order
    assert page.questions.get(pk=questions[0].pk).text == "Renamed while moving"  # saved first
    assert "The questions of “More” are in their new order." in messages_of(
        client.get(response["Location"])
    )
    assert (
        AuditEntry.objects.filter(
            summary=f"Reordered the questions of survey page #{page.pk}"
        ).count()
        == 1
    )


@pytest.mark.parametrize("order", ["", "0", "x,y", "{first},{first}"])
def test_an_order_that_does_not_name_every_question_once_moves_nothing(
    client, officer, survey, order
):
    page = survey.pages[0]
    before = list(page.questions.all())
    form = client.get(page_url(page))
    response = post(
        client, page_url(page), form, action="reorder", order=order.format(first=before[0].pk)
    )
    assert response.status_code == 302
    assert list(page.questions.all()) == before
    [message] = messages_of(client.get(response["Location"]))
    assert message.startswith("Move the questions again") or message.startswith(
        "The questions on the page changed while you were moving them."
    )
    assert not AuditEntry.objects.filter(summary__startswith="Reordered").exists()


def test_pages_move_and_a_move_that_breaks_a_condition_shows_on_the_survey(client, officer, survey):
    first, second = survey.pages[0], survey.pages[1]
    response = client.post(survey_url(survey.consultation), {"action": f"up:{second.pk}"})
    assert response.status_code == 302
    assert list(survey.consultation.pages.all())[:2] == [second, first]
    html = client.get(survey_url(survey.consultation)).content.decode()
    assert "The survey needs attention before it is published" in html


def _conditions_broken(consultation) -> list:
    """The problems of conditions (consultations.services.builder.condition_validate's codes)."""
    codes = {"malformed", "missing_question", "forward", "missing_option", "condition"}
    return [problem for problem in consultation_problems(consultation) if problem.code in codes]


def test_a_deleted_question_comes_back_with_undo_and_conditions_on_it_hold_again(
    client, officer, survey
):
    page, cycles = survey.pages[0], survey.questions["cycles"]
    option_ids = list(cycles.options.values_list("pk", flat=True))
    form = client.get(page_url(page))
    response = post(client, page_url(page), form, action=f"delete:{cycles.pk}")
    assert not Question.objects.filter(pk=cycles.pk).exists()
    assert _conditions_broken(survey.consultation)  # page 2's condition dangles
    shown = client.get(response["Location"])
    html = assert_page(shown, heading="Survey page “Cycling”")
    assert "“Do you cycle by the river?” is deleted." in messages_of(shown)
    assert 'value="undo"' in html

    back = post(client, page_url(page), shown, action="undo")
    assert back.status_code == 302
    restored = Question.objects.get(pk=cycles.pk)
    assert (restored.text, restored.position, restored.required) == (cycles.text, 0, True)
    assert list(restored.options.values_list("pk", flat=True)) == option_ids
    assert _conditions_broken(survey.consultation) == []
    assert "“Do you cycle by the river?” is back." in messages_of(client.get(back["Location"]))
    assert AuditEntry.objects.filter(summary=f"Restored question #{cycles.pk}").count() == 1

    again = post(client, page_url(page), shown, action="undo")  # the same button twice
    assert "That question is back already." in messages_of(client.get(again["Location"]))
    forged = post(client, page_url(page), shown, action="undo", undo="x")
    assert "can no longer be put back" in messages_of(client.get(forged["Location"]))[0]


def test_a_question_residents_answered_cannot_be_deleted(client, officer, survey):
    route = survey.questions["route"]
    submitted_response(survey.consultation, {route: "Along the river"})
    form = client.get(page_url(survey.pages[0]))
    html = assert_page(form, heading="Survey page “Cycling”")
    assert f'value="delete:{route.pk}"' not in html
    response = post(client, page_url(survey.pages[0]), form, action=f"delete:{route.pk}")
    assert messages_of(client.get(response["Location"])) == [
        "Residents have answered “Which route do you use?”, so it cannot be removed. You can "
        "still change its wording."
    ]
    assert Question.objects.filter(pk=route.pk).exists()


def test_a_question_is_copied_just_below_itself(client, officer, survey):
    page, cycles = survey.pages[0], survey.questions["cycles"]
    form = client.get(page_url(page))
    post(client, page_url(page), form, action=f"copy:{cycles.pk}")
    assert rows(page) == [
        ("single_choice", "Do you cycle by the river?", True, ["Yes", "No"]),
        ("single_choice", "Do you cycle by the river?", True, ["Yes", "No"]),
        ("short_text", "Which route do you use?", False, []),
    ]
    copy = page.questions.all()[1]
    assert copy.pk != cycles.pk
    assert not set(copy.options.values_list("pk", flat=True)) & set(
        cycles.options.values_list("pk", flat=True)
    )


def test_a_page_is_copied_with_its_questions_after_itself(client, officer, survey):
    response = client.post(
        survey_url(survey.consultation), {"action": f"copy:{survey.pages[1].pk}"}
    )
    assert response.status_code == 302
    titles = list(survey.consultation.pages.values_list("title", flat=True))
    assert titles == ["Cycling", "What helps", "What helps (copy)", "More"]
    copy = survey.consultation.pages.get(title="What helps (copy)")
    assert rows(copy) == rows(survey.pages[1])
    assert copy.condition == survey.pages[1].condition
    assert _conditions_broken(survey.consultation) == []


def test_a_whole_consultation_is_copied_as_a_draft_from_the_survey(client, officer, survey):
    response = client.post(survey_url(survey.consultation), {"action": "copy_consultation"})
    copy = Consultation.objects.exclude(pk=survey.consultation.pk).get()
    assert response["Location"] == survey_url(copy)
    assert copy.published_at is None
    assert Question.objects.filter(page__consultation=copy).count() == len(survey.questions)


# The library ------------------------------------------------------------------------------------


def test_a_question_kept_in_the_library_is_added_to_another_consultations_page(
    client, officer, cast, survey
):
    cycles = survey.questions["cycles"]
    form = client.get(page_url(survey.pages[0]))
    post(client, page_url(survey.pages[0]), form, action=f"library:{cycles.pk}")
    saved = SavedQuestion.objects.get()
    assert (saved.organisation, saved.kind, saved.text, saved.options) == (
        cast.council, "single_choice", "Do you cycle by the river?", ["Yes", "No"],
    )  # fmt: skip

    other = make_consultation(cast.department, slug="bridges", published=False)
    target = other.pages[0]
    form = client.get(page_url(target))
    assert "A question from your council's library" in form.content.decode()
    response = post(client, page_url(target), form, action="from_library", saved=str(saved.pk))
    assert response.status_code == 302
    added = target.questions.last()
    assert (added.text, added.required, [o.label for o in added.options.all()]) == (
        "Do you cycle by the river?", True, ["Yes", "No"],
    )  # fmt: skip
    assert added.condition is None


def test_another_councils_saved_question_cannot_be_added(cast, survey):
    mine_elsewhere = SavedQuestion.objects.create(
        organisation=cast.other_council, kind="short_text", text="Elsewhere"
    )
    with pytest.raises(ValidationError):
        copying.question_add_from_library(
            saved=mine_elsewhere, page=survey.pages[0], actor=cast.officer
        )
    assert not survey.pages[0].questions.filter(text="Elsewhere").exists()


# The library's own page -----------------------------------------------------------------------

LIBRARY = "/admin/consultations/savedquestion/"


def saved_question(organisation, text="How did you hear about this?", **fields):
    defaults = {"kind": "single_choice", "options": ["Website", "Leaflet"]}
    return SavedQuestion.objects.create(
        organisation=organisation, text=text, **{**defaults, **fields}
    )


def test_the_library_lists_the_councils_saved_questions_only(client, officer, cast):
    mine = saved_question(cast.council)
    saved_question(cast.other_council, text="Eastmoor's own question")
    html = assert_page(client.get(LIBRARY), heading="Select saved question to view")
    assert "How did you hear about this?" in html and "Website, Leaflet" in html
    assert "Eastmoor&#x27;s own question" not in html
    assert f'href="{LIBRARY}{mine.pk}/use/"' in html
    assert 'href="/admin/consultations/savedquestion/add/"' not in html  # kept from a survey


def test_an_officer_adds_a_saved_question_to_a_page_they_run(client, officer, cast, survey):
    saved = saved_question(cast.council)
    elsewhere = make_consultation(cast.other_department, slug="parks")
    url = f"{LIBRARY}{saved.pk}/use/"
    html = assert_page(
        client.get(url), heading="Add “How did you hear about this?” to a survey page"
    )
    assert "Riverside cycle lanes: page 3, “More”" in html
    assert f'value="{elsewhere.pages[0].pk}"' not in html  # another department's survey

    refused = client.post(url, {"page": elsewhere.pages[0].pk})
    html = assert_page(refused, heading="Add “How did you hear about this?” to a survey page")
    assert "Survey page:" in html and "errorlist" in html
    assert not elsewhere.pages[0].questions.filter(text=saved.text).exists()

    response = client.post(url, {"page": survey.pages[2].pk})
    assert response.status_code == 302
    assert response["Location"] == page_url(survey.pages[2])
    added = survey.pages[2].questions.last()
    assert (added.text, [o.label for o in added.options.all()]) == (saved.text, saved.options)
    assert messages_of(client.get(response["Location"])) == [
        "“How did you hear about this?” is added to “More” from the library."
    ]


def test_the_councils_admin_renames_and_deletes_a_saved_question_and_each_is_audited(client, cast):
    saved = saved_question(cast.council)
    client.force_login(cast.admin)
    change = f"{LIBRARY}{saved.pk}/change/"
    page = client.get(change)
    assert page.context["adminform"].form.initial["answers"] == "Website\nLeaflet"
    refused = client.post(
        change, {"text": "Renamed", "required": "on", "answers": "Website\nWebsite"}
    )
    assert_page(refused, heading="Change saved question")
    assert "Each answer must be different: “Website” is there twice" in refused.content.decode()
    saved.refresh_from_db()
    assert saved.text == "How did you hear about this?"

    response = client.post(
        change, {"text": "How did you hear of it?", "required": "on", "answers": "Web\nPost\n"}
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.text, saved.options, saved.kind) == (
        "How did you hear of it?", ["Web", "Post"], "single_choice",
    )  # fmt: skip
    assert AuditEntry.objects.filter(object_id=str(saved.pk), action="edit").count() == 1

    response = client.post(f"{LIBRARY}{saved.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not SavedQuestion.objects.exists()
    assert (
        AuditEntry.objects.filter(
            summary=f"Removed saved question #{saved.pk} from the library"
        ).count()
        == 1
    )


def test_an_officer_uses_the_library_but_does_not_rename_or_delete(client, officer, cast):
    saved = saved_question(cast.council)
    change = f"{LIBRARY}{saved.pk}/change/"
    assert assert_page(client.get(change), heading="View saved question")
    assert client.post(change, {"text": "Renamed", "answers": "A\nB"}).status_code == 403
    assert client.post(f"{LIBRARY}{saved.pk}/delete/", {"post": "yes"}).status_code == 403
    saved.refresh_from_db()
    assert saved.text == "How did you hear about this?"


@pytest.mark.parametrize("who", ["other_council_officer", "other_council_admin"])
def test_another_councils_staff_get_404_for_every_url_of_a_saved_question(client, cast, who):
    saved = saved_question(cast.council)
    client.force_login(getattr(cast, who))
    for suffix in ("change/", "delete/", "history/", "use/"):
        assert client.get(f"{LIBRARY}{saved.pk}/{suffix}").status_code == 404
        assert client.post(f"{LIBRARY}{saved.pk}/{suffix}", {"post": "yes"}).status_code == 404
    assert SavedQuestion.objects.filter(pk=saved.pk, text="How did you hear about this?").exists()


# Who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_officer", "other_council_officer", "resident"])
def test_someone_who_does_not_run_the_consultation_gets_404_on_every_builder_url(
    client, cast, survey, who
):
    client.force_login(getattr(cast, who))
    page, cycles = survey.pages[0], survey.questions["cycles"]
    urls = [survey_url(survey.consultation), new_page_url(survey.consultation), page_url(page)]
    for url in urls:
        assert client.get(url).status_code in ({404} if who != "resident" else {302, 404})
        response = client.post(url, {"action": f"delete:{cycles.pk}", "title": "Taken"})
        assert response.status_code in ({404} if who != "resident" else {302, 404})
    assert Question.objects.filter(pk=cycles.pk).exists()
    assert SurveyPage.objects.count() == 3
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("who", ["other_officer", "other_council_officer"])
def test_the_services_refuse_an_officer_who_does_not_run_the_consultation(cast, survey, who):
    actor = getattr(cast, who)
    page, cycles = survey.pages[0], survey.questions["cycles"]
    attempts = [
        lambda: editing.page_save(consultation=survey.consultation, title="X", actor=actor),
        lambda: editing.question_save(
            page=page, draft=QuestionDraft(kind="short_text", text="X"), actor=actor
        ),
        lambda: editing.question_move(question=cycles, direction=1, actor=actor),
        lambda: editing.questions_reorder(
            page=page, order=[q.pk for q in reversed(page.questions.all())], actor=actor
        ),
        lambda: editing.question_delete(question=cycles, actor=actor),
        lambda: copying.question_copy(question=cycles, actor=actor),
        lambda: copying.page_copy(page=page, actor=actor),
        lambda: editing.page_delete(page=page, actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert rows(page) == [
        ("single_choice", "Do you cycle by the river?", True, ["Yes", "No"]),
        ("short_text", "Which route do you use?", False, []),
    ]
    assert SurveyPage.objects.count() == 3 and Option.objects.count() == 16
    assert not AuditEntry.objects.exists()


def test_a_page_of_another_consultation_is_not_found_under_this_one(client, officer, cast, survey):
    other = make_consultation(cast.department, slug="bridges")
    url = f"{survey_url(survey.consultation)}pages/{other.pages[0].pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "Taken", "action": "save"}).status_code == 404
    other.pages[0].refresh_from_db()
    assert other.pages[0].title == "Cycling"
