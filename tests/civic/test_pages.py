import re

import pytest
from django.core.management import call_command

from civic import open_now
from civic.models import Area, Department, Organisation, Postcode, Role, User
from contacts.models import ConsentEvent, Contact
from tests.factories import OrganisationFactory
from tests.pages import assert_page


@pytest.fixture
def a_section():
    """An open-now section as a feature app registers it, listing items per organisation."""

    def items(*, organisation=None, limit=5):
        rows = [
            open_now.OpenItem("Bus lanes on Oxford Road", "/x/1", "Northbridge", "Tell us"),
            open_now.OpenItem("Library opening hours", "/x/2", "Eastmoor", "Have a say"),
        ]
        if organisation is not None:
            rows = [row for row in rows if row.organisation == organisation.name]
        return rows[:limit]

    # Stand-ins for the apps' own sections, which come back afterwards.
    kept = dict(open_now._sections)
    open_now.register(open_now.OpenSection("surveys", "Consultations", 10, items))
    open_now.register(open_now.OpenSection("petitions", "Petitions", 20, lambda **kwargs: []))
    yield
    open_now._sections.clear()
    open_now._sections.update(kept)


@pytest.mark.django_db
def test_the_home_page_lists_open_items_with_their_organisation_and_hides_empty_sections(
    client, a_section
):
    OrganisationFactory(name="Northbridge", slug="northbridge")
    OrganisationFactory(name="Eastmoor", slug="eastmoor")
    response = client.get("/")
    assert response.status_code == 200
    html = assert_page(response, heading="Have your say")
    assert "Bus lanes on Oxford Road" in html
    assert "Library opening hours" in html
    assert "Consultations" in html
    assert ">Petitions<" not in html
    assert [section.key for section, _items in response.context["sections"]] == ["surveys"]


@pytest.mark.django_db
def test_the_home_page_filters_by_organisation(client, a_section):
    OrganisationFactory(name="Northbridge", slug="northbridge")
    OrganisationFactory(name="Eastmoor", slug="eastmoor")
    html = assert_page(client.get("/?organisation=eastmoor"), heading="Eastmoor Have your say")
    assert "Library opening hours" in html
    assert "Bus lanes on Oxford Road" not in html
    assert "civic-brand--eastmoor" in html


@pytest.mark.django_db
def test_an_unknown_organisation_is_explained_next_to_the_filter(client, a_section):
    OrganisationFactory(name="Northbridge", slug="northbridge")
    OrganisationFactory(name="Eastmoor", slug="eastmoor")
    response = client.get("/?organisation=atlantis")
    assert response.status_code == 200
    assert response.content.decode().count("Choose a council from the list") == 2


@pytest.mark.django_db
def test_with_nothing_open_the_home_page_says_so(client):
    html = client.get("/").content.decode()
    assert "Nothing is open" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accessibility/", "/privacy/", "/cookies/"])
def test_every_shell_page_sends_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_home_page_keeps_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for number in range(5):
        OrganisationFactory(name=f"Council {number}", slug=f"council-{number}")
    # The councils, then one query for each feature's open items (consultations, petitions).
    with django_assert_max_num_queries(1 + len(open_now._sections)):
        client.get("/")


@pytest.mark.django_db
def test_the_brand_stylesheet_carries_each_organisations_colour(client):
    OrganisationFactory(slug="eastmoor", brand_colour="#00594f")
    css = client.get("/brand.css").content.decode()
    assert ".civic-brand--eastmoor { --civic-brand: #00594f; }" in css


@pytest.mark.django_db
def test_a_brand_colour_too_light_for_white_text_is_refused():
    from django.core.exceptions import ValidationError

    council = Organisation(name="Pale", slug="pale", brand_colour="#ffdd00")
    with pytest.raises(ValidationError) as raised:
        council.full_clean()
    assert "contrast ratio of at least 4.5 to 1" in str(raised.value)


@pytest.mark.django_db
def test_a_missing_page_answers_404_with_the_shell(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert first == {
        "organisations": 2,
        "departments": 7,  # with the petitions team and the community budgets team
        "areas": 5,
        "postcodes": 12,
        # and the demo residents who support budget ideas, and 450 in each ward who vote online
        "users": 6 + 12 + 3 * 450,
        "roles": 4,
        "contacts": 300,
        # newsletter given by 2 in 3, transport by 1 in 7 (0, 7, ... 294), 28 withdrew (1, 12, ...)
        "consent events": 200 + 43 + 28,
        # numbers divisible by 2, 3 or 5 (4 adds none): 150 + 100 + 60 - 50 - 30 - 20 + 10
        "tagged contacts": 220,
    }
    assert "officer@northbridge.example" in capsys.readouterr().out


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "departments": Department.objects.count(),
        "areas": Area.objects.count(),
        "postcodes": Postcode.objects.count(),
        "users": User.objects.count(),
        "roles": Role.objects.count(),
        "contacts": Contact.objects.count(),
        "consent events": ConsentEvent.objects.count(),
        "tagged contacts": Contact.objects.filter(tags__isnull=False).distinct().count(),
    }


@pytest.mark.django_db
def test_the_api_publishes_organisations_and_areas_with_an_openapi_schema(client):
    council = OrganisationFactory(name="Northbridge", slug="northbridge")
    council.areas.create(code="E05000001", name="Ancoats", population=14211)
    areas = client.get("/api/v1/areas/?organisation=northbridge").json()
    assert areas["results"] == [
        {
            "id": council.areas.get().pk,
            "code": "E05000001",
            "name": "Ancoats",
            "population": 14211,
            "organisation": "northbridge",
        }
    ]
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/organisations/" in schema.content
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_the_api_refuses_writes(client):
    response = client.post("/api/v1/organisations/", {"name": "Forged", "slug": "forged"})
    assert response.status_code == 405
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_the_home_heading_has_no_caption_of_the_site_name_and_open_items_have_no_tag_boxes(
    client, a_section, settings
):
    """The service's name is already in the header; a caption saying it again above "Have your
    say" was noise. A chosen council is still named there. What an item's status says ("Closes
    on 26 December 2026, 5pm") is a line of text, not a tag that wraps into a tall box."""
    OrganisationFactory(name="Northbridge", slug="northbridge")
    OrganisationFactory(name="Eastmoor", slug="eastmoor")
    open_now.register(
        open_now.OpenSection(
            "surveys",
            "Consultations",
            10,
            lambda **kwargs: [
                open_now.OpenItem("Bus lanes", "/x/1", "Northbridge", "Tell us", "Closes soon")
            ],
        )
    )
    html = assert_page(client.get("/"), heading="Have your say")
    heading = re.search(r'<h1 class="govuk-heading-xl">(.*?)</h1>', html, re.S).group(1)
    assert " ".join(heading.split()) == "Have your say"
    assert "govuk-tag" not in html
    assert re.search(r'<p class="[^"]*civic-item__status[^"]*">Closes soon</p>', html)

    chosen = client.get("/", {"organisation": "eastmoor"}).content.decode()
    heading = re.search(r'<h1 class="govuk-heading-xl">(.*?)</h1>', chosen, re.S).group(1)
    assert re.sub(r"<[^>]+>", " ", heading).split() == ["Eastmoor", "Have", "your", "say"]


def test_the_server_error_page_says_what_happened_without_the_session_or_the_database():
    """No django_db mark: any query would fail the test."""
    from django.test import RequestFactory

    from civic.views import server_error

    request = RequestFactory().get("/consultations/")  # no session, no user: as when all fails
    response = server_error(request)

    page = " ".join(response.content.decode().split())
    assert response.status_code == 500
    assert "<title> Sorry, there is a problem with the service </title>" in page
    assert '<h1 class="govuk-heading-l"> Sorry, there is a problem with the service </h1>' in page
    assert "what you sent may not have been saved" in page
    assert 'href="#main-content"' in page and 'id="main-content"' in page
