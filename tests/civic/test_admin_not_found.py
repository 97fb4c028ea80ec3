"""Another council's staff get the same answer, 404, for every admin URL of an item they cannot
see as for one that never existed: the change, delete and history pages and every page of each
model admin's own. Nothing they try confirms that the item exists, and nothing changes.

The model admins and their URLs come from the admin site's registry and each admin's
`get_urls()` (tests/admin_pages.py), so a new app's admin is held to this from the start."""

from __future__ import annotations

import re

import pytest

from civic.models import AuditEntry, Organisation, Role
from tests.admin_pages import item_urls, model_admins, seed_admin_world
from tests.factories import DepartmentFactory, OrganisationFactory, RoleFactory, UserFactory


@pytest.fixture
def outsider(db):
    """Officer, facilitator and organisation admin of a council of their own."""
    seed_admin_world()
    elsewhere = OrganisationFactory(name="Elsewhere", slug="elsewhere")
    department = DepartmentFactory(organisation=elsewhere)
    user = RoleFactory(
        organisation=elsewhere, kind=Role.Kind.OFFICER, departments=[department]
    ).user
    RoleFactory(user=user, organisation=elsewhere, kind=Role.Kind.FACILITATOR)
    RoleFactory(user=user, organisation=elsewhere, kind=Role.Kind.ORGANISATION_ADMIN)
    return user


def _first_of_the_demo(model):
    return model._default_manager.exclude(pk__in=[]).order_by("pk").first()


@pytest.mark.django_db
def test_every_admin_url_of_an_item_another_council_holds_is_not_found(client, outsider):
    demo_councils = set(Organisation.objects.exclude(slug="elsewhere").values_list("pk", flat=True))
    assert demo_councils
    client.force_login(outsider)
    answered = {}
    checked = 0
    for model, model_admin in model_admins():
        obj = _first_of_the_demo(model)
        counted = model._default_manager.count()
        for url in item_urls(model_admin, obj):
            for method in (client.get, client.post):
                status = method(url).status_code
                checked += 1
                if status != 404:
                    answered[f"{method.__name__.upper()} {url}"] = status
        assert model._default_manager.count() == counted, f"{model._meta.label} changed"
        assert model._default_manager.filter(pk=obj.pk).exists()
    assert answered == {}
    assert checked > 4 * 2 * len(model_admins())
    assert not AuditEntry.objects.filter(actor=outsider).exists()


@pytest.mark.django_db
def test_a_site_admin_reaches_the_change_page_of_each_of_those_items(client, outsider):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model, model_admin in model_admins():
        obj = _first_of_the_demo(model)
        [change] = [url for url in item_urls(model_admin, obj) if url.endswith("/change/")]
        assert client.get(change).status_code == 200, change


@pytest.mark.django_db
def test_a_missing_id_and_an_id_held_elsewhere_answer_the_same(client, outsider):
    client.force_login(outsider)
    for model, model_admin in model_admins():
        obj = _first_of_the_demo(model)
        held = client.get(item_urls(model_admin, obj)[-2])
        obj.pk = 987654321
        missing = client.get(item_urls(model_admin, obj)[-2])
        assert (held.status_code, _page(held)) == (missing.status_code, _page(missing))


def _page(response) -> str:
    """The page without its CSRF token, which is masked afresh for every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
