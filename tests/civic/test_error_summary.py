"""The one GOV.UK error summary (templates/includes/error_summary.html): a Django form's errors,
and errors that are not a form's fields (a survey page's questions, the questions left
unanswered on the check page) passed as links and messages."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


class NameForm(forms.Form):
    name = forms.CharField(label="Your name")


def items(html: str) -> list[str]:
    return [" ".join(item.split()) for item in re.findall(r"<li>(.*?)</li>", html, re.S)]


def test_without_errors_there_is_no_summary():
    assert "govuk-error-summary" not in render_to_string(
        "includes/error_summary.html", {"form": NameForm({"name": "Ann"})}
    )


def test_links_and_messages_come_first_then_the_forms_own_errors():
    form = NameForm({})
    form.is_valid()
    form.add_error(None, "Something went wrong")

    html = render_to_string(
        "includes/error_summary.html",
        {
            "form": form,
            "summary_messages": ["Reload the page"],
            "summary_links": [("/page/2#q7", "Answer “Why?”")],
        },
    )

    assert items(html) == [
        "Reload the page",
        '<a href="/page/2#q7">Answer “Why?”</a>',
        "Something went wrong",
        '<a href="#id_name">This field is required.</a>',
    ]


def test_a_page_whose_errors_are_not_a_forms_shows_them_alone():
    html = render_to_string(
        "includes/error_summary.html",
        {"form": None, "summary_links": [("#q3", "Enter a number, like 12")]},
    )

    assert "There is a problem" in html
    assert items(html) == ['<a href="#q3">Enter a number, like 12</a>']
    assert "<script>" not in render_to_string(
        "includes/error_summary.html", {"summary_links": [("#q3", "<script>")]}
    )
