"""civic.forms.FilterForm, the filters of every public list: a filter in error is left out while
the valid ones still apply, and a list read without filters is not "filtered"."""

from __future__ import annotations

from types import SimpleNamespace

from django import forms

from civic.forms import FilterForm, all_and, by_council, public_stages
from debates.models import Debate


class Colours(FilterForm):
    colour = forms.ChoiceField(required=False, choices=all_and([("red", "Red")]))
    size = forms.IntegerField(required=False)


def test_a_list_read_without_filters_chooses_nothing():
    form = Colours(None)
    assert (form.chosen, form.filtered, form.errors) == ({}, False, {})


def test_a_filter_in_error_is_left_out_and_the_valid_ones_still_apply():
    form = Colours({"colour": "red", "size": "large"})

    assert form.chosen == {"colour": "red"}
    assert form.filtered
    assert list(form.errors) == ["size"]  # shown next to its field


def test_filters_left_empty_are_not_filtering():
    form = Colours({"colour": "", "size": ""})
    assert form.chosen == {"colour": "", "size": None}
    assert not form.filtered


def test_a_list_offers_every_stage_but_the_draft():
    stages = [value for value, _label in public_stages(Debate.Stage)]
    assert "draft" not in stages
    assert len(stages) == len(Debate.Stage) - 1


def test_choices_name_their_council_only_where_there_are_several():
    north = SimpleNamespace(name="Northbridge")
    rows = [SimpleNamespace(pk=1, name="Ancoats", organisation=north)]
    assert by_council(rows, several=False) == [(1, "Ancoats")]
    assert by_council(rows, several=True) == [(1, "Ancoats (Northbridge)")]
