"""A required question's message is worded from the question: the common shapes of English
questions become a clause after "Select" or "Enter"; anything else is quoted."""

import pytest
from django.utils import translation

from consultations.models import Question
from consultations.services.wording import required_message


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("single_choice", "How often do you cycle?", "Select how often you cycle"),
        ("single_choice", "Do you cycle by the river?", "Select whether you cycle by the river"),
        ("single_choice", "Are you a council tenant?", "Select whether you are a council tenant"),
        ("dropdown", "Which ward do you live in?", "Select which ward you live in"),
        (
            "scale",
            "How satisfied were you with your last repair?",
            "Select how satisfied you were with your last repair",
        ),
        ("multiple_choice", "What should we improve?", "Select what we should improve"),
        ("long_text", "What would help you cycle more?", "Enter what would help you cycle more"),
        ("short_text", "What is your postcode?", "Enter your postcode"),
        ("email", "Your e-mail address", "Enter your e-mail address"),
        ("ranking", "Rank these by importance", "Rank these by importance"),
        (
            "ranking",
            "What matters most to you?",
            "Rank the options to show what matters most to you",
        ),
        ("number", "Trips a week", "Enter a number for “Trips a week”"),
        ("date", "Cycling since", "Enter a date for “Cycling since”"),
        ("scale", "The plan is a good idea", "Select an answer to “The plan is a good idea”"),
        (
            "single_choice",
            "How important is safety?",
            "Select an answer to “How important is safety?”",
        ),
        (
            "consent",
            "You may publish my answers",
            "Tick the box to agree to “You may publish my answers”",
        ),
    ],
)
def test_the_message_names_the_question(kind, text, message):
    with translation.override("en-gb"):
        assert required_message(Question(kind=kind, text=text)) == message


def test_under_another_language_the_question_is_quoted_rather_than_reworded():
    with translation.override("cy"):
        message = required_message(Question(kind="single_choice", text="How often do you cycle?"))
    assert "“How often do you cycle?”" in message
