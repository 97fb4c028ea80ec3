"""Forms for responding to a survey: one page of questions, check your answers, and the e-mail
address for a "come back later" link.

A page's questions are data, so its form is built from them. It only reads what the browser sent
into the shape consultations.services.responding takes, and draws answers back into GOV.UK
inputs; every rule about an answer lives in that service, which the API shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civic.forms import ServiceErrorsMixin
from consultations.models import Answer, Question
from consultations.services.answers import OTHER, TEXT_LIMIT

Kind = Question.Kind
SINGLE_KINDS = {Kind.SINGLE_CHOICE, Kind.DROPDOWN, Kind.SCALE}


@dataclass
class OptionItem:
    id: str
    value: str
    label: str
    checked: bool = False
    rank: str = ""


@dataclass
class QuestionItem:
    """One question as the page draws it: the names and ids of its inputs, what is in them,
    and its error messages."""

    question: Question
    name: str
    value: str = ""
    options: list[OptionItem] = field(default_factory=list)
    other_checked: bool = False
    other_text: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    extra_hint: str = ""
    errors: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def hint_id(self) -> str:
        return f"{self.name}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.name}-error"

    @property
    def other_error_id(self) -> str:
        return f"{self.name}-other-error"

    @property
    def info_id(self) -> str:
        return f"{self.name}-info"

    @property
    def max_length(self) -> int:
        return min(self.question.max_length or TEXT_LIMIT, TEXT_LIMIT)

    @property
    def describedby(self) -> str:
        ids = []
        if self.question.help_text or self.extra_hint:
            ids.append(self.hint_id)
        if self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def rank_choices(self) -> list[str]:
        return [str(number) for number in range(1, len(self.options) + 1)]


def _getlist(data, name: str) -> list[str]:
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _initial(question: Question, answer: Answer | None) -> Any:
    """A stored answer in the shape the browser would send it."""
    if answer is None:
        return None
    kind = question.kind
    choices = list(answer.choices.all())
    if kind in SINGLE_KINDS:
        return str(choices[0].option_id) if choices else ""
    if kind == Kind.MULTIPLE_CHOICE:
        chosen = [str(choice.option_id) for choice in choices]
        return {"options": chosen + ([OTHER] if answer.text else []), "other": answer.text}
    if kind == Kind.RANKING:
        return {choice.option_id: str(choice.rank or "") for choice in choices}
    if kind == Kind.NUMBER:
        return "" if answer.number is None else _number_text(answer.number)
    if kind == Kind.DATE:
        date = answer.date
        return (
            {"day": str(date.day), "month": str(date.month), "year": str(date.year)} if date else {}
        )
    return answer.text


def _number_text(value) -> str:
    return str(value.quantize(1) if value == value.to_integral() else value)


def _extra_hint(question: Question, options: list) -> str:
    """What a GOV.UK hint says beyond the officer's help text: how to give the answer."""
    kind = question.kind
    if kind == Kind.DATE:
        return _("For example, 27 3 2024")
    if kind == Kind.MULTIPLE_CHOICE:
        return _("Select all that apply.")
    if kind == Kind.RANKING:
        return _(
            "Give each option a different number, from 1 for the most important to %(count)s "
            "for the least."
        ) % {"count": len(options)}
    if kind == Kind.NUMBER:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            return _("A number from %(low)s to %(high)s.") % {
                "low": _number_text(low),
                "high": _number_text(high),
            }
        if low is not None:
            return _("A number of %(low)s or more.") % {"low": _number_text(low)}
        if high is not None:
            return _("A number of %(high)s or less.") % {"high": _number_text(high)}
    return ""


class PageForm:
    """The questions of one survey page."""

    def __init__(self, *, questions: list[Question], data=None, answers=None):
        self.questions = questions
        self.data = data
        self.is_bound = data is not None
        self.answers = {answer.question_id: answer for answer in (answers or [])}
        self.errors: dict[str, list[str]] = {}  # by the id of the input they link to
        self.non_field_errors: list[str] = []

    @staticmethod
    def name(question: Question) -> str:
        return f"q{question.pk}"

    def _raw(self, question: Question) -> Any:
        data, name = self.data, self.name(question)
        kind = question.kind
        if kind == Kind.MULTIPLE_CHOICE:
            return {"options": _getlist(data, name), "other": data.get(f"{name}-other", "")}
        if kind == Kind.RANKING:
            return {
                option.pk: data.get(f"{name}-{option.pk}", "") for option in question.options.all()
            }
        if kind == Kind.DATE:
            return {part: data.get(f"{name}-{part}", "") for part in ("day", "month", "year")}
        return data.get(name, "")

    def raw_answers(self) -> dict[int, Any]:
        """What the browser sent, by question id, for responding.answers_save."""
        return {question.pk: self._raw(question) for question in self.questions}

    def _anchor(self, question: Question, code: str | None) -> str:
        """The id of the input an error message links to."""
        name = self.name(question)
        if question.kind == Kind.MULTIPLE_CHOICE and code and code.startswith("other"):
            return f"{name}-other"
        if question.kind == Kind.DATE:
            return f"{name}-day"
        if question.kind == Kind.RANKING:
            first = next(iter(question.options.all()), None)
            return f"{name}-{first.pk}" if first else name
        return name

    def add_errors(self, error: ValidationError) -> None:
        """Take the service's errors (by question id) onto the inputs they are about."""
        if not hasattr(error, "error_dict"):
            self.non_field_errors += error.messages
            return
        questions = {question.pk: question for question in self.questions}
        for key, errors in error.error_dict.items():
            question = questions.get(key)
            for item in errors:
                if question is None:
                    self.non_field_errors += item.messages
                    continue
                anchor = self._anchor(question, item.code)
                self.errors.setdefault(anchor, []).extend(item.messages)

    @property
    def error_links(self) -> list[tuple[str, str]]:
        """("#input id", message) in the order of the page, for the error summary."""
        links = []
        for question in self.questions:
            for anchor, messages in self.errors.items():
                if anchor == self.name(question) or anchor.startswith(f"{self.name(question)}-"):
                    links += [(f"#{anchor}", message) for message in messages]
        return links

    def items(self) -> list[QuestionItem]:
        return [self._item(question) for question in self.questions]

    def _item(self, question: Question) -> QuestionItem:
        name = self.name(question)
        raw = (
            self._raw(question)
            if self.is_bound
            else _initial(question, self.answers.get(question.pk))
        )
        item = QuestionItem(question=question, name=name)
        for anchor, messages in self.errors.items():
            if anchor == f"{name}-other":
                item.other_errors += messages
            elif anchor == name or anchor.startswith(f"{name}-"):
                item.errors += messages
        kind = question.kind
        options = list(question.options.all())
        item.extra_hint = _extra_hint(question, options)
        if kind in SINGLE_KINDS:
            chosen = str(raw or "")
            item.options = [
                OptionItem(
                    id=name if index == 1 else f"{name}-{index}",
                    value=str(option.pk),
                    label=option.label,
                    checked=chosen == str(option.pk),
                )
                for index, option in enumerate(options, 1)
            ]
        elif kind == Kind.MULTIPLE_CHOICE:
            raw = raw or {}
            chosen = {str(value) for value in raw.get("options", [])}
            item.options = [
                OptionItem(
                    id=name if index == 1 else f"{name}-{index}",
                    value=str(option.pk),
                    label=option.label,
                    checked=str(option.pk) in chosen,
                )
                for index, option in enumerate(options, 1)
            ]
            item.other_checked = OTHER in chosen
            item.other_text = raw.get("other", "") or ""
        elif kind == Kind.RANKING:
            raw = raw or {}
            item.options = [
                OptionItem(
                    id=f"{name}-{option.pk}",
                    value=str(option.pk),
                    label=option.label,
                    rank=str(raw.get(option.pk, "") or ""),
                )
                for option in options
            ]
        elif kind == Kind.DATE:
            raw = raw or {}
            item.day, item.month, item.year = (raw.get(p, "") for p in ("day", "month", "year"))
        else:
            item.value = str(raw or "")
        return item


class EmailInputField(forms.CharField):
    """An e-mail address input whose value the service validates, with the browser's help to
    fill it in."""

    widget = forms.EmailInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(autocomplete="email", spellcheck="false")


class CheckForm(ServiceErrorsMixin, forms.Form):
    """Check your answers: an address for what the resident asks to be sent, and explicit,
    unticked choices. The labels are the wording recorded with the consent."""

    email = EmailInputField(
        label=_("Your e-mail address"),
        help_text=_(
            "Only if you tick a box above that needs it. We use it for nothing you have not "
            "asked for."
        ),
    )
    send_receipt = forms.BooleanField(required=False, label=_("E-mail me a copy of my answers"))
    hear_about_outcome = forms.BooleanField(
        required=False,
        label=_("Tell me what the council decides after this consultation"),
        help_text=_(
            "We will e-mail you when the council publishes what it decided and why, and when an "
            "action it promised changes."
        ),
    )
    hear_about_new = forms.BooleanField(
        required=False,
        label=_("Tell me when the council opens a new consultation"),
    )
    agrees_to_publish = forms.BooleanField(
        required=False,
        label=_("You may publish my answers on this website"),
        help_text=_("Without my name, e-mail address or postcode."),
    )
    website = forms.CharField(required=False)  # the honeypot, drawn by hand


class ResumeLinkForm(ServiceErrorsMixin, forms.Form):
    email = EmailInputField(
        label=_("Your e-mail address"),
        help_text=_("We will send a link that takes you back to your answers."),
    )
