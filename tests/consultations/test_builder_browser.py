"""An officer builds a survey in the admin, previews it as residents will see it and publishes it,
in Chromium at phone and desktop widths, with axe finding nothing on each page of the builder and
the site's CSP refusing nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from civic.models import AuditEntry
from consultations.models import Consultation, Question, SurveyPage
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, assert_on_page, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGELIST = "/admin/consultations/consultation/"
CYCLES = "Do you cycle by the river?"
HELPS = "What would help you cycle more?"
ONLY_IF_YES = f"Shown only to people who answered “Yes” to “{CYCLES}”."


def _checked(page) -> None:
    """axe needs JavaScript in the page: the same pages are checked in the run with it."""
    if page.javascript_enabled:
        assert_accessible(page)
    assert_no_csp_errors(page)


def _after_htmx(page, act) -> None:
    """Do `act` (a button or a choice that htmx sends) and wait until the answer is swapped in."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        act()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def _press(page, name: str) -> None:
    """Press a button of the builder: in place with JavaScript, a page load without."""
    button = page.get_by_role("button", name=name, exact=True)
    if page.javascript_enabled:
        _after_htmx(page, button.click)
    else:
        submit(page, button)


def _question(page, number: int):
    return page.locator(f"#question-{number}")


def _write_question(page, number: int, *, kind: str, text: str, options=(), condition=None,
                    required=True, **settings) -> None:  # fmt: skip
    """Fill question `number` of the page being built: its type first, which shows its
    settings (in place with JavaScript, after "Show the settings" without)."""
    question = _question(page, number)
    kind_select = question.get_by_label("Type:", exact=True)
    if page.javascript_enabled:
        _after_htmx(page, lambda: kind_select.select_option(label=kind))
    else:
        kind_select.select_option(label=kind)
        submit(page, question.get_by_role("button", name="Show the settings for this type"))
    question = _question(page, number)
    question.get_by_label("Question:", exact=True).fill(text)
    if options:
        question.get_by_label("Answers to choose from:").fill("\n".join(options))
    for label, value in settings.items():
        question.get_by_label(label, exact=True).fill(value)
    if not required:
        question.get_by_label("An answer is required").uncheck()
    if condition is not None:
        question.get_by_label("Show only when:").select_option(label=condition)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_builds_a_survey_previews_it_and_publishes_it(
    council, page_at, signed_in_page, width
):
    page = signed_in_page(council.officer, width)
    resident = page_at(width)

    page.goto(CHANGELIST)
    with page.expect_navigation():
        page.get_by_role("link", name="Add consultation").click()
    _checked(page)
    today = timezone.localdate()
    # Typed, as the address is filled in from the title as the officer types.
    page.get_by_role("textbox", name="Title:", exact=True).press_sequentially(
        "Riverside cycle lanes"
    )
    assert page.get_by_label("Web address").input_value() == "riverside-cycle-lanes"
    page.get_by_label("Department").select_option(label=str(council.department))
    page.get_by_label("Summary").fill("Where should the new cycle lanes by the river go?")
    page.get_by_label("Contact details").fill("E-mail transport@northbridge.example")
    opens = page.get_by_role("group", name="Opens")
    opens.get_by_label("Date").fill(f"{today - timedelta(days=1):%d/%m/%Y}")
    opens.get_by_label("Time").fill("09:00:00")
    closes = page.get_by_role("group", name="Closes")
    closes.get_by_label("Date").fill(f"{today + timedelta(days=30):%d/%m/%Y}")
    closes.get_by_label("Time").fill("17:00:00")
    _checked(page)
    submit(page, page.get_by_role("button", name="Save and continue editing"))

    assert "was added successfully" in page.locator(".messagelist").inner_text()
    _checked(page)
    consultation = Consultation.objects.get(slug="riverside-cycle-lanes")
    assert consultation.department == council.department
    assert consultation.published_at is None
    assert resident.goto("/consultations/riverside-cycle-lanes/").status == 404

    # The survey is built on pages of its own, one survey page with its questions at a time.
    with page.expect_navigation():
        page.get_by_role("link", name="Survey: pages and questions").click()
    _checked(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Add a page").click()
    page.get_by_label("Page title:").fill("Cycling")
    _write_question(page, 1, kind="Single choice (radios)", text=CYCLES, options=["Yes", "No"])
    _checked(page)
    _press(page, "Save and add another page")
    assert "“Cycling” is saved." in page.locator(".messagelist").inner_text()
    page.get_by_label("Page title:").fill("What helps")
    _write_question(
        page, 1, kind="Long text", text=HELPS, condition=f"“{CYCLES}” is answered “Yes”"
    )
    _checked(page)
    # Back to another page of the admin: a page load, with or without JavaScript.
    submit(page, page.get_by_role("button", name="Save and go back to the survey"))
    _checked(page)
    assert_on_page(page, heading="Survey of “Riverside cycle lanes”")

    assert list(consultation.pages.values_list("title", flat=True)) == ["Cycling", "What helps"]
    cycles = Question.objects.get(page__consultation=consultation, text=CYCLES)
    helps = Question.objects.get(page__consultation=consultation, text=HELPS)
    assert (cycles.page.title, cycles.kind, cycles.position) == ("Cycling", "single_choice", 0)
    assert cycles.condition is None
    assert list(cycles.options.values_list("label", "position")) == [("Yes", 0), ("No", 1)]
    assert (helps.page.title, helps.kind, helps.position) == ("What helps", "long_text", 0)
    assert helps.condition == {"question": cycles.pk, "option": cycles.options.get(label="Yes").pk}
    assert not helps.options.exists()
    outline = page.locator(".survey-outline").all_inner_texts()
    assert [" ".join(text.split()) for text in outline] == [
        f"{CYCLES} (Single choice (radios), required)",
        f"{HELPS} (Long text, required) {ONLY_IF_YES}",
    ]

    with page.expect_navigation():
        page.get_by_role("link", name="Preview as a resident").click()
    _checked(page)
    assert_on_page(page, heading="Survey preview")
    first = page.get_by_role("region", name="Cycling")
    assert "Page 1 of 2" in first.inner_text()
    question = first.get_by_role("group", name=CYCLES)
    assert question.get_by_role("radio").count() == 2
    assert question.get_by_role("radio", name="Yes").is_disabled()
    assert question.get_by_role("radio", name="No").is_disabled()
    second = page.get_by_role("region", name="What helps")
    assert "Page 2 of 2" in second.inner_text()
    assert ONLY_IF_YES in second.inner_text()
    assert second.get_by_role("textbox", name=HELPS).is_disabled()
    assert page.locator("#main-content form").count() == 0

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the consultation in the admin").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Publish", exact=True).click()
    assert_on_page(page, heading="Publish Riverside cycle lanes")
    _checked(page)
    submit(page, page.get_by_role("button", name="Publish", exact=True))

    assert "“Riverside cycle lanes” is published." in page.locator(".messagelist").inner_text()
    _checked(page)
    consultation.refresh_from_db()
    assert consultation.published_at is not None
    assert resident.goto("/consultations/riverside-cycle-lanes/").status == 200
    assert resident.get_by_role("heading", level=1).inner_text() == "Riverside cycle lanes"
    assert resident.locator("#consultation-stage").inner_text() == "Open"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_list_of_consultations_is_accessible(council, signed_in_page, width):
    page = signed_in_page(council.officer, width)

    page.goto(CHANGELIST)

    assert_no_csp_errors(page)
    assert_accessible(page)


# The reference survey -----------------------------------------------------------------------------

# Three pages, ten questions of ten types, one condition: what an officer builds in the test.
REFERENCE = [
    (
        "Cycling",
        [
            {"kind": "Single choice (radios)", "text": CYCLES, "options": ["Yes", "No"]},
            {"kind": "Short text", "text": "Which route do you use?", "required": False},
            {
                "kind": "Number",
                "text": "Trips a week",
                "Smallest number (optional):": "0",
                "Largest number (optional):": "50",
            },
        ],
    ),
    (
        "What helps",
        [
            {"kind": "Long text", "text": HELPS, "condition": f"“{CYCLES}” is answered “Yes”"},
            {
                "kind": "Multiple choice (checkboxes)",
                "text": "What should we improve?",
                "options": ["Lighting", "Surface", "Signs"],
            },
            # A scale starts from the agreement preset, which is kept as it is.
            {"kind": "Rating or agreement scale", "text": "The plan is a good idea"},
        ],
    ),
    (
        "About your trips",
        [
            {
                "kind": "Dropdown",
                "text": "When do you travel?",
                "options": ["Morning", "Daytime", "Evening"],
            },
            {"kind": "Ranking", "text": "Rank these", "options": ["Safety", "Speed", "Scenery"]},
            {"kind": "Date", "text": "Cycling since", "required": False},
            {"kind": "Postcode", "text": "Your postcode"},
        ],
    ),
]


def _draft(department) -> Consultation:
    now = timezone.now()
    return Consultation.objects.create(
        department=department,
        title="Riverside cycle lanes",
        slug="riverside-cycle-lanes",
        summary="Where should the new cycle lanes by the river go?",
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=30),
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without"])
def test_an_officer_builds_the_reference_survey_with_few_page_loads(
    cast, signed_in_page, javascript
):
    """The same survey built, copied from, reordered and given a condition with JavaScript and
    without; the bound on page loads holds with JavaScript (without it every button is a page
    load, by design)."""
    consultation = _draft(cast.department)
    page = signed_in_page(cast.officer, 1280, javascript_enabled=javascript)
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))

    page.goto(f"{CHANGELIST}{consultation.pk}/survey/")
    _checked(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Add a page").click()
    _checked(page)
    for index, (title, questions) in enumerate(REFERENCE):
        page.get_by_label("Page title:").fill(title)
        for number, question in enumerate(questions, start=1):
            if number > 1:
                _press(page, "Add a question")
            _write_question(page, number, **question)
        _checked(page)
        _press(page, "Save and add another page" if index < 2 else "Save")
        assert f"“{title}” is saved." in page.locator(".messagelist").inner_text()

    pages = list(consultation.pages.all())
    assert [p.title for p in pages] == ["Cycling", "What helps", "About your trips"]
    built = [
        (q.page.title, q.kind, q.text, q.required, [o.label for o in q.options.all()])
        for q in Question.objects.filter(page__consultation=consultation)
    ]
    assert len(built) == 10 and len({kind for _p, kind, *_rest in built}) == 10
    assert built[5] == (
        "What helps", "scale", "The plan is a good idea", True,
        ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"],
    )  # fmt: skip
    assert [b[3] for b in built] == [True, False, True, True, True, True, True, True, False, True]
    cycles = Question.objects.get(page__consultation=consultation, text=CYCLES)
    helps = Question.objects.get(page__consultation=consultation, text=HELPS)
    assert helps.condition == {"question": cycles.pk, "option": cycles.options.get(label="Yes").pk}
    trips = Question.objects.get(page__consultation=consultation, text="Trips a week")
    assert (trips.min_value, trips.max_value) == (0, 50)

    # Copy a question and move the copy up, on the third page.
    _press(page, "Copy, question 1")
    assert "is copied: the copy is just below it." in page.locator(".messagelist").inner_text()
    _press(page, "Move up, question 4")
    _checked(page)
    third = [q.text for q in pages[2].questions.all()]
    assert third == [
        "When do you travel?", "When do you travel?", "Cycling since", "Rank these",
        "Your postcode",
    ]  # fmt: skip

    # A condition set afterwards on the third page, from an answer of the first.
    question = _question(page, 3)
    question.get_by_label("Show only when:").select_option(label=f"“{CYCLES}” is answered at all")
    _press(page, "Save")
    since = Question.objects.get(page__consultation=consultation, text="Cycling since")
    assert since.condition == {"question": cycles.pk, "answered": True}

    # Delete, then undo from the message.
    _press(page, "Delete, question 2")
    assert pages[2].questions.count() == 4
    assert "“When do you travel?” is deleted." in page.locator(".messagelist").inner_text()
    _checked(page)
    _press(page, "Undo: put back “When do you travel?”")
    assert pages[2].questions.count() == 5

    with page.expect_navigation():
        page.get_by_role("link", name="Back to the survey").first.click()
    _checked(page)
    if javascript:
        assert len(loads) <= len(REFERENCE) + 3, loads
    assert_no_csp_errors(page)


def test_without_javascript_an_officer_adds_a_page_and_undoes_a_deletion(cast, signed_in_page):
    consultation = _draft(cast.department)
    page = signed_in_page(cast.officer, 390, javascript_enabled=False)

    page.goto(f"{CHANGELIST}{consultation.pk}/survey/pages/new/")
    assert_on_page(page, heading="Add a page to the survey")
    page.get_by_label("Page title:").fill("Cycling")
    _write_question(page, 1, kind="Single choice (radios)", text=CYCLES, options=["Yes", "No"])
    _press(page, "Add a question")
    _write_question(page, 2, kind="Rating or agreement scale", text="The plan is a good idea")
    question = _question(page, 2)
    question.get_by_label("Start from a scale:").select_option(label="Likelihood")
    submit(page, question.get_by_role("button", name="Use this scale"))
    assert (
        _question(page, 2)
        .get_by_label("Answers to choose from:")
        .input_value()
        .startswith("Very likely")
    )
    _press(page, "Save")
    assert "“Cycling” is saved." in page.locator(".messagelist").inner_text()
    survey_page = consultation.pages.get()
    assert [q.text for q in survey_page.questions.all()] == [CYCLES, "The plan is a good idea"]

    # Without JavaScript there is nothing to drag: the buttons move questions.
    assert page.locator(".reorder-handle").count() == 0
    _press(page, "Move up, question 2")
    assert [q.text for q in survey_page.questions.all()] == ["The plan is a good idea", CYCLES]
    _press(page, "Delete, question 2")
    assert survey_page.questions.count() == 1
    _press(page, f"Undo: put back “{CYCLES}”")
    assert [q.text for q in survey_page.questions.all()] == ["The plan is a good idea", CYCLES]


def _centre(box) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_with_javascript_an_officer_drags_a_question_into_place_and_the_order_is_saved(
    cast, signed_in_page
):
    consultation = _draft(cast.department)
    survey_page = SurveyPage.objects.create(consultation=consultation, title="Cycling")
    for position, text in enumerate(["First", "Second", "Third"]):
        Question.objects.create(page=survey_page, kind="short_text", text=text, position=position)
    page = signed_in_page(cast.officer, 1280)
    page.set_viewport_size({"width": 1280, "height": 2400})  # all three in view, to drag across
    page.goto(f"{CHANGELIST}{consultation.pk}/survey/pages/{survey_page.pk}/")
    handles = page.locator(".reorder-handle")
    assert handles.count() == 3
    assert handles.first.get_attribute("aria-hidden") == "true"  # the buttons are for keyboards
    _checked(page)

    # The third question's handle, dragged to the top of the first question.
    page.mouse.move(*_centre(handles.nth(2).bounding_box()))
    page.mouse.down()
    first = page.locator("#question-1").bounding_box()
    page.mouse.move(first["x"] + 40, first["y"] + 10, steps=8)
    _after_htmx(page, page.mouse.up)

    assert [q.text for q in survey_page.questions.all()] == ["Third", "First", "Second"]
    assert (
        AuditEntry.objects.filter(
            summary=f"Reordered the questions of survey page #{survey_page.pk}"
        ).count()
        == 1
    )
    assert "are in their new order." in page.locator(".messagelist").inner_text()
    headings = page.locator(".survey-question h2").all_inner_texts()
    assert [" ".join(h.replace(" :", ":").split()) for h in headings] == [
        "Question 1: Third", "Question 2: First", "Question 3: Second",
    ]  # fmt: skip
    # The page drawn again can be dragged again, and the buttons still move questions.
    assert page.locator(".reorder-handle").count() == 3
    _press(page, "Move down, question 1")
    assert [q.text for q in survey_page.questions.all()] == ["First", "Third", "Second"]
    _checked(page)


def test_the_consultations_page_is_as_tall_with_a_long_survey_as_without_one(cast, signed_in_page):
    from tests.consultations.conftest import make_consultation

    long_survey = make_consultation(cast.department, slug="long").consultation  # 13 questions
    empty = _draft(cast.department)
    page = signed_in_page(cast.officer, 1280)
    heights = []
    for consultation in (long_survey, empty):
        page.goto(f"{CHANGELIST}{consultation.pk}/change/")
        assert_on_page(page, heading="Change consultation")
        # The page less its status panel, which lists a draft's problems before publishing.
        heights.append(
            page.evaluate(
                "document.documentElement.scrollHeight - "
                "document.getElementById('consultation-publishing').offsetHeight"
            )
        )
    assert abs(heights[0] - heights[1]) < 100, heights
    assert heights[0] < 3000, heights
    _checked(page)
