"""The petitions list reads a fixed number of queries however many petitions it lists, when it
is drawn (a filter, a page number, or the first visitor after a change)."""

from __future__ import annotations

import pytest

from tests.petitions.conftest import make_petition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("address", ["/petitions/", "/petitions/?stage=open", "/petitions/?page=2"])
def test_the_petitions_list_keeps_a_fixed_number_of_queries(
    client, council, django_assert_num_queries, address
):
    make_petition(council, title="The only one", area=council.ancoats)
    with django_assert_num_queries(3):
        client.get(address)

    for number in range(44):
        make_petition(council, title=f"Petition {number}", area=council.hulme)
    with django_assert_num_queries(3):
        response = client.get(address)
    assert response.status_code == 200
