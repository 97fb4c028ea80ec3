"""The message for a required question left unanswered, worded from the question itself.

GOV.UK error messages name what is missing ("Select how often you cycle"), so that an error
summary with two unanswered questions never says "Select an answer" twice. A question's text is
turned into the clause such a message needs ("How often do you cycle?" becomes "how often you
cycle") for the common shapes of English questions; any other text is quoted after the general
message ("Enter a number for “Trips a week”"). Only English is reworded: under another language
the quoted, translated form is used.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext, gettext_lazy

from consultations.models import Question

Kind = Question.Kind

# How a message starts, by the kind of answer the question takes.
VERBS = {
    Kind.SHORT_TEXT: gettext_lazy("Enter"),
    Kind.LONG_TEXT: gettext_lazy("Enter"),
    Kind.SINGLE_CHOICE: gettext_lazy("Select"),
    Kind.MULTIPLE_CHOICE: gettext_lazy("Select"),
    Kind.DROPDOWN: gettext_lazy("Select"),
    Kind.SCALE: gettext_lazy("Select"),
    Kind.RANKING: gettext_lazy("Rank the options to show"),
    Kind.NUMBER: gettext_lazy("Enter"),
    Kind.DATE: gettext_lazy("Enter"),
    Kind.EMAIL: gettext_lazy("Enter"),
    Kind.POSTCODE: gettext_lazy("Enter"),
}
# What is missing, with the question quoted after it, when the question cannot be reworded.
GENERAL = {
    Kind.SHORT_TEXT: gettext_lazy("Enter your answer to “%(question)s”"),
    Kind.LONG_TEXT: gettext_lazy("Enter your answer to “%(question)s”"),
    Kind.SINGLE_CHOICE: gettext_lazy("Select an answer to “%(question)s”"),
    Kind.MULTIPLE_CHOICE: gettext_lazy("Select at least one answer to “%(question)s”"),
    Kind.DROPDOWN: gettext_lazy("Select an answer to “%(question)s”"),
    Kind.SCALE: gettext_lazy("Select an answer to “%(question)s”"),
    Kind.RANKING: gettext_lazy("Give each option a rank in “%(question)s”"),
    Kind.NUMBER: gettext_lazy("Enter a number for “%(question)s”"),
    Kind.DATE: gettext_lazy("Enter a date for “%(question)s”"),
    Kind.EMAIL: gettext_lazy("Enter an e-mail address for “%(question)s”"),
    Kind.POSTCODE: gettext_lazy("Enter a postcode for “%(question)s”"),
    Kind.CONSENT: gettext_lazy("Tick the box to agree to “%(question)s”"),
}

# Questions that are already instructions ("Rank these by importance") are their own message.
INSTRUCTIONS = {
    "add", "choose", "describe", "enter", "explain", "give", "list", "name", "order", "pick",
    "rank", "say", "select", "share", "tell", "tick", "write",
}  # fmt: skip
SUBJECT = r"(?P<subject>you|we)"
AUXILIARY = r"(?P<auxiliary>do|are|were|would|will|can|could|should|have|must)"
# "How often do you cycle?", "Which ward do you live in?", "How satisfied were you with it?"
INVERTED = re.compile(
    rf"^(?P<asking>(?:how|what|which|when|where|why|who|whom|whose)(?:\s+[\w\u2019'-]+){{0,3}}?)"
    rf"\s+{AUXILIARY}\s+{SUBJECT}\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# "Do you cycle by the river?", "Are you a council tenant?"
YES_NO = re.compile(rf"^{AUXILIARY}\s+{SUBJECT}\s+(?P<rest>.+)$", re.IGNORECASE)
# "What would help you cycle more?": the question word is the subject, so the order stays.
AS_SUBJECT = re.compile(r"^(?:what|which|who)\s+(?!do\b|did\b|does\b)\S", re.IGNORECASE)
# "What is your postcode?"
WHAT_IS_YOUR = re.compile(r"^what\s+(?:is|are)\s+(?P<rest>your\s+.+)$", re.IGNORECASE)


def _lower_first(text: str) -> str:
    first, _space, rest = text.partition(" ")
    if first == "I" or (len(first) > 1 and first.isupper()):
        return text
    return f"{first[:1].lower()}{first[1:]}{_space}{rest}"


def _auxiliary_after(subject: str, auxiliary: str) -> str:
    return (
        subject.lower() if auxiliary.lower() == "do" else f"{subject.lower()} {auxiliary.lower()}"
    )


def clause(text: str) -> str | None:
    """The question as the object of a message ("how often you cycle"), or None."""
    text = " ".join(text.split()).rstrip(" ?.:")
    if not text:
        return None
    if match := WHAT_IS_YOUR.match(text):
        return match["rest"]
    if match := INVERTED.match(text):
        who = _auxiliary_after(match["subject"], match["auxiliary"])
        return f"{_lower_first(match['asking'])} {who} {match['rest']}"
    if match := YES_NO.match(text):
        return f"whether {_auxiliary_after(match['subject'], match['auxiliary'])} {match['rest']}"
    if AS_SUBJECT.match(text):
        return _lower_first(text)
    if re.match(r"^your\s+\S", text, re.IGNORECASE):
        return _lower_first(text)
    return None


def required_message(question: Question) -> str:
    """What to do about this required question, naming it."""
    text = " ".join(question.text.split())
    if (get_language() or "en").startswith("en"):
        plain = text.rstrip(" ?.:")
        if plain.split(" ", 1)[0].lower() in INSTRUCTIONS:
            return plain
        if question.kind in VERBS and (wanted := clause(text)):
            return f"{gettext(VERBS[question.kind])} {wanted}"
    return str(GENERAL[question.kind]) % {"question": text}
