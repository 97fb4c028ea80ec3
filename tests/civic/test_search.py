"""Search without PostgreSQL (SQLite, for `make run`): the words of the rows and of the query
are stemmed, so that "cycling" finds "cycle" there as PostgreSQL's full-text search finds it.
The function is called directly, so that it is tested whichever database the suite runs on."""

import pytest

from civic.models import Organisation
from civic.search import matching, stems
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_forms_of_a_word_share_a_stem_and_common_words_are_left_out():
    assert stems("Cycling") == stems("cycle") == stems("cycles") == {"cycl"}
    assert stems("The council\u2019s parks") == stems("council park") == {"council", "park"}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("cycling", ["Riverside Cycle Lanes"]),
        ("cycle lane", ["Riverside Cycle Lanes"]),
        ("widened pavements", ["Widening the pavement"]),
        ("cycling pavements", []),
        ("the", ["Riverside Cycle Lanes", "Widening the pavement"]),
    ],
)
def test_a_row_matches_when_it_has_every_word_of_the_query_in_any_form(query, found):
    OrganisationFactory(name="Riverside Cycle Lanes", slug="riverside")
    OrganisationFactory(name="Widening the pavement", slug="pavement")
    rows = matching(Organisation.objects.order_by("name"), query, ["name"])
    assert list(rows.values_list("name", flat=True)) == found
