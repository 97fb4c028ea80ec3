"""Every admin page staff use passes axe (WCAG 2.2 A and AA) at 1280 px, as a site admin and as
a department's officer: the admin's home, and for each registered model admin its list, its add
page, the change page of an item of the demo data and every page of the admin's own.

The pages are not listed by hand: the model admins come from the admin site's registry and
their own pages from each admin's `get_urls()` (tests/admin_pages.py). A page whose route needs
more than the item (a question of the consultation, a preview's token) is taken from a link on a
page already checked. The test fails for any page of an admin's own that it could not reach and
that is not listed below as not being a page, so a new app's admin is checked from the start.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve

from tests.admin_pages import item_urls, model_admins, seed_admin_world
from tests.browser import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Django's own pages of a model admin, by the end of their URL name; the rest are the admin's own.
DJANGO_PAGES = ("_changelist", "_add", "_change", "_delete", "_history", "_autocomplete")
# Pages of admins' own that are not pages: what each answers with instead.
NOT_PAGES = {
    "consultations_consultation_results_export": "a CSV download, or a redirect (POST only)",
    "consultations_consultation_results_export_download": "a file",
    "budgets_process_codes_csv": "a CSV download (POST only); a GET goes back to the codes page",
    "contacts_segment_builder": "the segment builder redrawn for htmx (POST only)",
    "debates_conversation_export": "a CSV download of the vote matrix (POST only)",
    "mailing_campaign_preview": "an e-mail's own HTML, inside the send page's sandboxed frame",
    "mailing_campaign_progress_figures": "the figures that refresh the progress page (htmx)",
    "petitions_petition_release": "a redirect (POST only)",
}


def _own_pages(model_admin) -> set[str]:
    """The URL names of the pages of the admin's own."""
    return {
        pattern.name
        for pattern in model_admin.get_urls()
        if pattern.name and not pattern.name.endswith(DJANGO_PAGES)
    }


def _name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).url_name
    except Resolver404:
        return None


def _links(page) -> list[str]:
    return page.eval_on_selector_all(
        "a[href^='/admin/'], iframe[src^='/admin/']",
        "(found) => found.map((element) => element.getAttribute('href') || "
        "element.getAttribute('src'))",
    )


def _check_admin_as(signed_in_page, user) -> set[str]:
    """Visit every admin page `user` may open; return the names of the admins' own pages seen."""
    page = signed_in_page(user, 1280)
    client = Client()
    client.force_login(user)
    checked: set[str] = set()
    seen_names: set[str] = set()
    examples: dict[str, str] = {}
    failures: list[str] = []

    def check(path: str) -> None:
        if path in checked:
            return
        checked.add(path)
        response = client.get(path)
        if response.status_code != 200 or not response.content.lstrip().startswith(b"<!DOCTYPE"):
            return  # refused, moved on, or not a page: NOT_PAGES and the coverage below judge
        page.goto(path)
        try:
            assert_accessible(page)
        except AssertionError as error:
            failures.append(str(error))
        seen_names.add(_name(path) or "")
        for link in _links(page):
            name = _name(link)
            if name and name not in examples:
                examples[name] = urlsplit(link).path

    check("/admin/")
    for _model, model_admin in model_admins():
        opts = model_admin.opts
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        check(base)
        check(base + "add/")
        for name in _own_pages(model_admin):
            route = next(p for p in model_admin.get_urls() if p.name == name)
            if "<" not in str(route.pattern):
                check(base + str(route.pattern))
        request = RequestFactory().get(base)
        request.user = user
        item = model_admin.get_queryset(request).order_by("pk").first()
        if item is None:
            continue
        for url in item_urls(model_admin, item):
            name = _name(url)
            if url.endswith(("/delete/", "/history/")) or name in NOT_PAGES:
                continue
            if "/1/" in url.split(f"/{item.pk}/", 1)[-1] or url.endswith("/x/"):
                continue  # needs another part: taken from a link below
            check(url)
    # Pages whose routes need more than the item, from the links of the pages above.
    for _round in range(2):
        for name, path in list(examples.items()):
            if name not in NOT_PAGES and not name.endswith(("_delete", "_history")):
                check(path)
    assert not failures, "\n\n".join(failures)
    return seen_names


def test_every_admin_page_passes_axe_for_a_site_admin_and_an_officer(signed_in_page):
    from civic.models import User

    seed_admin_world()
    site_admin = User.objects.filter(is_superuser=True).first()
    officer = User.objects.get(email="officer@northbridge.example")

    seen = _check_admin_as(signed_in_page, site_admin)
    seen |= _check_admin_as(signed_in_page, officer)

    own = set().union(*(_own_pages(model_admin) for _model, model_admin in model_admins()))
    missing = sorted(own - seen - set(NOT_PAGES))
    assert not missing, (
        "no example of these pages of an admin's own: link to them from a page, or say in "
        f"NOT_PAGES what they answer with instead: {', '.join(missing)}"
    )
