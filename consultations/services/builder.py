"""The survey builder's rules: conditions that only look back, the reusable 'About you' set, and
duplicating a consultation with its survey.

A condition ({"question": id, "option": id} or {"question": id, "answered": true}) may only
depend on a question of an earlier page: residents answer one page at a time, so an answer on the
same or a later page is not known when the page is shown, with or without JavaScript.
"""

from __future__ import annotations

import sys

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from civic.models import AuditEntry
from civic.services import audit_record, require
from consultations.models import Consultation, Option, Question, SurveyPage
from consultations.services import NOT_RUNNING

ANSWERED = "answered"


# Conditions -------------------------------------------------------------------------------------


def page_order(page: SurveyPage) -> tuple[int, int]:
    """Where a page stands in the survey; a page not saved yet comes after others of its place."""
    return (page.position, page.pk if page.pk is not None else sys.maxsize)


def condition_to_value(condition: dict | None) -> str:
    """The condition as the value of the builder's select ("12:34", "12:answered" or "")."""
    if not condition or not isinstance(condition, dict) or "question" not in condition:
        return ""
    if condition.get("answered"):
        return f"{condition['question']}:{ANSWERED}"
    return f"{condition['question']}:{condition.get('option', '')}"


def condition_from_value(value: str) -> dict | None:
    value = (value or "").strip()
    if not value:
        return None
    question, _sep, option = value.partition(":")
    if not question.isdigit() or not (option == ANSWERED or option.isdigit()):
        raise ValidationError(_("Choose a condition from the list."), code="malformed")
    if option == ANSWERED:
        return {"question": int(question), "answered": True}
    return {"question": int(question), "option": int(option)}


def condition_validate(
    condition: dict | None, *, consultation: Consultation, before: tuple[int, int]
) -> dict | None:
    """The condition, checked: it names a question of this consultation on a page that comes
    before `before` (the page_order of the page shown), and one of that question's options."""
    if not condition:
        return None
    if not isinstance(condition, dict) or not isinstance(condition.get("question"), int):
        raise ValidationError(_("Choose a condition from the list."), code="malformed")
    target = (
        Question.objects.select_related("page")
        .filter(pk=condition["question"], page__consultation=consultation)
        .first()
    )
    if target is None:
        raise ValidationError(
            _("The question this condition depends on is no longer in the survey. Choose "
              "another, or show this always."),
            code="missing_question",
        )  # fmt: skip
    if page_order(target.page) >= before:
        raise ValidationError(
            _("“%(question)s” is on this page or a later one. A condition can only depend on a "
              "question of an earlier page, which residents have answered already.")
            % {"question": target.text},
            code="forward",
        )  # fmt: skip
    if condition.get("answered") is True and set(condition) == {"question", "answered"}:
        return {"question": target.pk, "answered": True}
    option = condition.get("option")
    if set(condition) != {"question", "option"} or not isinstance(option, int):
        raise ValidationError(_("Choose a condition from the list."), code="malformed")
    if not target.options.filter(pk=option).exists():
        raise ValidationError(
            _("The answer this condition depends on is no longer an option of “%(question)s”. "
              "Choose another.") % {"question": target.text},
            code="missing_option",
        )  # fmt: skip
    return {"question": target.pk, "option": option}


def condition_choices(
    consultation: Consultation | None, *, before: tuple[int, int] | None = None
) -> list:
    """Grouped choices for a condition's select: for every question, each of its options and
    'any answer'. With `before` (the page_order of the page shown), only the questions of
    earlier pages, which are all a condition may name; without it every question of the survey
    (the question's own admin page, which refuses later ones with a reason)."""
    choices: list = [("", _("Always show"))]
    if consultation is None or consultation.pk is None:
        return choices
    questions = (
        Question.objects.filter(page__consultation=consultation)
        .select_related("page")
        .prefetch_related("options")
    )
    for question in questions:
        if before is not None and page_order(question.page) >= before:
            continue
        # The chosen option is shown without its group when the list is closed, so each option
        # names its question.
        text = Truncator(question.text).chars(60)
        group = _("Page “%(page)s”: %(question)s") % {"page": question.page.title, "question": text}
        options = [
            (
                f"{question.pk}:{option.pk}",
                _("“%(question)s” is answered “%(label)s”")
                % {"question": text, "label": option.label},
            )
            for option in question.options.all()
        ]
        options.append(
            (
                f"{question.pk}:{ANSWERED}",
                _("“%(question)s” is answered at all") % {"question": text},
            )
        )
        choices.append((group, options))
    return choices


def condition_describe(condition: dict | None, questions: dict[int, Question]) -> str:
    """The condition in words, for the preview and the outline of the survey."""
    if not condition:
        return ""
    question = questions.get(condition.get("question"))
    if question is None:
        return _("Shown only when a question that is no longer in the survey is answered.")
    if condition.get("answered"):
        return _("Shown only to people who answered “%(question)s”.") % {"question": question.text}
    option = next(
        (option for option in question.options.all() if option.pk == condition.get("option")),
        None,
    )
    return _("Shown only to people who answered “%(option)s” to “%(question)s”.") % {
        "option": option.label if option else "?",
        "question": question.text,
    }


# About you --------------------------------------------------------------------------------------

PREFER_NOT = "Prefer not to say"

# Equality-monitoring questions, worded as the ONS 2021 Census asks them where it asks them.
ABOUT_YOU = [
    (
        "What is your age?",
        [
            "Under 16",
            "16 to 24",
            "25 to 34",
            "35 to 44",
            "45 to 54",
            "55 to 64",
            "65 to 74",
            "75 or over",
        ],
    ),
    ("What is your sex?", ["Female", "Male"]),
    ("Is the gender you identify with the same as your sex registered at birth?", ["Yes", "No"]),
    (
        "What is your ethnic group?",
        [
            "Asian, Asian British or Asian Welsh",
            "Black, Black British, Black Welsh, Caribbean or African",
            "Mixed or Multiple ethnic groups",
            "White",
            "Other ethnic group",
        ],
    ),
    (
        "Are your day-to-day activities limited because of a health problem or disability "
        "which has lasted, or is expected to last, at least 12 months?",
        ["Yes, limited a lot", "Yes, limited a little", "No"],
    ),
    (
        "What is your religion?",
        [
            "No religion",
            "Christian",
            "Buddhist",
            "Hindu",
            "Jewish",
            "Muslim",
            "Sikh",
            "Any other religion",
        ],
    ),
    (
        "Which of the following best describes your sexual orientation?",
        ["Straight or heterosexual", "Gay or lesbian", "Bisexual", "Other sexual orientation"],
    ),
    (
        "Do you look after, or give any help or support to, anyone because they have long-term "
        "physical or mental health conditions or illnesses, or problems related to old age?",
        [
            "No",
            "Yes, 9 hours a week or less",
            "Yes, 10 to 19 hours a week",
            "Yes, 20 to 34 hours a week",
            "Yes, 35 to 49 hours a week",
            "Yes, 50 or more hours a week",
        ],
    ),
]
ABOUT_YOU_TITLE = "About you"
ABOUT_YOU_INTRO = (
    "These questions help us check that we hear from everyone. Answering them is optional, and "
    "we report the answers only as totals."
)


@transaction.atomic
def about_you_add(*, consultation: Consultation, actor) -> SurveyPage:
    """Add the 'About you' page at the end of the survey, each question with 'Prefer not to say'."""
    require(actor, "consultations.change_consultation", consultation, message=NOT_RUNNING)
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if Question.objects.filter(page__consultation=consultation, about_you=True).exists():
        raise ValidationError(
            _("“%(title)s” already has the 'About you' questions.") % {"title": consultation}
        )
    last = consultation.pages.order_by("-position").values_list("position", flat=True).first()
    page = SurveyPage.objects.create(
        consultation=consultation,
        position=0 if last is None else last + 1,
        title=ABOUT_YOU_TITLE,
        intro=ABOUT_YOU_INTRO,
    )
    for position, (text, labels) in enumerate(ABOUT_YOU):
        question = Question.objects.create(
            page=page,
            position=position,
            kind=Question.Kind.SINGLE_CHOICE,
            text=text,
            required=False,
            about_you=True,
        )
        Option.objects.bulk_create(
            Option(question=question, position=index, label=label)
            for index, label in enumerate([*labels, PREFER_NOT])
        )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.EDIT,
        obj=consultation,
        summary="Added the 'About you' questions",
    )
    return page


# Duplicating ------------------------------------------------------------------------------------

COPIED_FIELDS = [
    "department_id",
    "summary",
    "body",
    "lead_officer_id",
    "contact_details",
    "opens_at",
    "closes_at",
    "image",
    "image_alt",
    "allow_anonymous",
    "one_response_per_person",
]


def _free_slug(slug: str) -> str:
    stem = f"{slug[:110]}-copy"
    taken = set(Consultation.objects.filter(slug__startswith=stem).values_list("slug", flat=True))
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


@transaction.atomic
def consultation_duplicate(*, consultation: Consultation, actor) -> Consultation:
    """A new draft with the consultation's details and its whole survey, conditions pointing at
    the copies of their questions and options. Documents, responses and the outcome stay with
    the original."""
    require(actor, "consultations.view_consultation", consultation, message=NOT_RUNNING)
    require(actor, "consultations.add_consultation", consultation, message=NOT_RUNNING)
    title = _("%(title)s (copy)") % {"title": consultation.title}
    for _attempt in range(5):
        try:
            with transaction.atomic():
                copy = Consultation.objects.create(
                    title=title[: Consultation._meta.get_field("title").max_length],
                    slug=_free_slug(consultation.slug),
                    **{name: getattr(consultation, name) for name in COPIED_FIELDS},
                )
            break
        except IntegrityError:
            continue  # someone took the slug in the meantime: look again
    else:
        raise ValidationError(_("Could not find a free web address for the copy. Try again."))
    copy.areas.set(consultation.areas.all())
    copy.topics.set(consultation.topics.all())

    question_ids: dict[int, int] = {}
    option_ids: dict[int, int] = {}
    copied_pages: list[SurveyPage] = []
    copied_questions: list[Question] = []
    for page in consultation.pages.prefetch_related("questions__options"):
        page_copy = SurveyPage.objects.create(
            consultation=copy,
            position=page.position,
            title=page.title,
            intro=page.intro,
            condition=page.condition,
        )
        copied_pages.append(page_copy)
        for question in page.questions.all():
            original_id = question.pk
            options = list(question.options.all())
            question.pk = question.id = None
            question._state.adding = True
            question.page = page_copy
            question.save()
            question_ids[original_id] = question.pk
            copied_questions.append(question)
            for option in options:
                option_copy = Option.objects.create(
                    question=question, position=option.position, label=option.label
                )
                option_ids[option.pk] = option_copy.pk
    for row in [*copied_pages, *copied_questions]:
        if row.condition:
            row.condition = _remap(row.condition, question_ids, option_ids)
            row.save(update_fields=["condition"])
    audit_record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        obj=copy,
        summary=f"Duplicated consultation #{consultation.pk}",
    )
    return copy


def _remap(condition: dict, question_ids: dict[int, int], option_ids: dict[int, int]) -> dict:
    """The condition pointing at the copies; a dangling reference stays dangling (and is shown as
    a problem of the survey) rather than pointing into the original."""
    remapped = dict(condition)
    if "question" in remapped:
        remapped["question"] = question_ids.get(remapped["question"], 0)
    if "option" in remapped:
        remapped["option"] = option_ids.get(remapped["option"], 0)
    return remapped
