"""A moderator's pages in Chromium at phone and desktop widths: a petition's page with its
moderation forms, a refused rejection, and bulk invalidation, with axe finding nothing and the
site's CSP refusing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from petitions.models import Petition, Signature
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, submit
from tests.petitions.conftest import add_signatures, make_petition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_pending_petitions_page_and_a_refused_rejection_are_accessible(
    council, signed_in_page, width
):
    petition = make_petition(council, status=Petition.Status.PENDING)
    page = signed_in_page(council.moderator, width)

    page.goto(reverse("admin:petitions_petition_change", args=[petition.pk]))

    assert page.get_by_role("button", name="Publish the petition").is_visible()
    assert_accessible(page)
    assert_no_csp_errors(page)

    submit(page, page.get_by_role("button", name="Reject the petition"))

    assert page.locator(".errornote").inner_text().startswith("There is a problem")
    assert_accessible(page)
    page.get_by_label("Reason:", exact=True).select_option(
        label="There is already a petition about this"
    )
    page.get_by_label("Explanation").fill("See the petition about trees on Wilmslow Road.")
    submit(page, page.get_by_role("button", name="Reject the petition"))

    petition.refresh_from_db()
    assert petition.status == Petition.Status.REJECTED
    assert "is rejected" in page.locator(".messagelist").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_invalidation_page_previews_then_invalidates_accessibly(council, signed_in_page, width):
    petition = make_petition(council)
    rows = add_signatures(petition, 4)
    Signature.objects.filter(pk__in=[row.pk for row in rows[:3]]).update(ip="203.0.113.5")
    page = signed_in_page(council.moderator, width)

    page.goto(reverse("admin:petitions_petition_invalidate", args=[petition.pk]))
    assert_accessible(page)
    assert_no_csp_errors(page)
    page.get_by_label("IP address or network").fill("203.0.113.0/24")
    page.get_by_label("Why they are invalid").fill("Signed by a script")
    submit(page, page.get_by_role("button", name="Check how many match"))

    assert page.locator("#invalidate-preview").inner_text() == "3 signatures match."
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Invalidate 3 signatures"))

    assert "3 signatures are invalidated" in page.locator(".messagelist").inner_text()
    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 3
    assert_accessible(page)
