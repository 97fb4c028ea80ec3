"""The petition pages residents read: the listing by stage, search and area with a fixed number
of queries, a petition's page in each state (in two queries, and never naming who signed),
starting a petition and sharing it, and supporters signing through the shared link."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from civic import open_now
from civic.models import Area
from mailing.models import Delivery
from petitions.models import Petition, PetitionPolicy, Signature
from petitions.services import support_token
from tests.factories import DepartmentFactory, OrganisationFactory, UserFactory
from tests.pages import assert_page
from tests.petitions.conftest import add_signatures, drawn_token, make_petition

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _titles(response) -> list[str]:
    return [petition.title for petition in response.context["page"].object_list]


@pytest.fixture
def stages(council) -> dict[str, Petition]:
    """One petition in each state, with titles that say which."""
    now = timezone.now()
    make = make_petition
    return {
        "open": make(council, title="Open petition about parks", signature_count=1234,
                     area=council.ancoats, opened_days_ago=1),
        "awaiting": make(council, title="Awaiting petition", response_due_at=now,
                         opened_days_ago=2),
        "responded": make(council, title="Responded petition", response_due_at=now,
                          responded_at=now, response="We will.", opened_days_ago=3),
        "scheduled": make(council, title="Scheduled petition", debate_due_at=now,
                          debate_date=date(2027, 1, 20), opened_days_ago=4),
        "debated": make(council, title="Debated petition", debate_date=date(2026, 11, 2),
                        debated_at=now, debate_summary="Agreed.", opened_days_ago=5),
        "closed": make(council, title="Closed petition", opened_days_ago=200,
                       area=council.hulme),
        "rejected": make(council, title="Rejected petition", status=Petition.Status.REJECTED,
                         rejection_reason=Petition.Reason.DUPLICATE,
                         rejection_details="There is one about parks already.",
                         moderated_at=now - timedelta(days=6)),
        "hidden": make(council, title="Hidden petition", status=Petition.Status.HIDDEN),
        "removed": make(council, title="Removed petition", status=Petition.Status.REMOVED),
        "sponsoring": make(council, title="Sponsoring petition",
                           status=Petition.Status.SPONSORING),
        "pending": make(council, title="Pending petition", status=Petition.Status.PENDING),
    }  # fmt: skip


# The listing ------------------------------------------------------------------------------------


def test_the_listing_shows_published_and_rejected_petitions_newest_first(client, stages):
    response = client.get("/petitions/")

    assert response.status_code == 200
    assert _titles(response) == [
        "Open petition about parks",
        "Awaiting petition",
        "Responded petition",
        "Scheduled petition",
        "Debated petition",
        "Rejected petition",
        "Closed petition",
    ]
    html = assert_page(response, heading="Petitions")
    for hidden in ("Hidden", "Removed", "Sponsoring", "Pending"):
        assert f"{hidden} petition" not in html


def test_each_listed_petition_shows_its_stage_in_words_and_its_count(client, stages):
    html = client.get("/petitions/").content.decode()

    item = html[html.index("Open petition about parks") :]
    item = item[: item.index("</li>")]
    assert ">Open</strong>" in item
    assert "1,234 signatures" in item
    assert "Ancoats" in item
    for label in (
        "Awaiting a response",
        "Responded",
        "Scheduled for debate",
        "Debated",
        "Closed",
        "Rejected",
    ):
        assert f">{label}</strong>" in html


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("open", ["Open petition about parks"]),
        ("awaiting_response", ["Awaiting petition"]),
        ("responded", ["Responded petition"]),
        ("debate", ["Scheduled petition", "Debated petition"]),
        ("closed", ["Closed petition"]),
        ("rejected", ["Rejected petition"]),
    ],
)
def test_the_listing_filters_by_stage(client, stages, stage, expected):
    assert _titles(client.get("/petitions/", {"stage": stage})) == expected


def test_the_listing_searches_titles_and_backgrounds(client, council, stages):
    make_petition(council, title="Fix the library roof", background="Rain comes through it.")

    assert _titles(client.get("/petitions/", {"q": "library"})) == ["Fix the library roof"]
    assert _titles(client.get("/petitions/", {"q": "rain"})) == ["Fix the library roof"]
    nothing = client.get("/petitions/", {"q": "swimming"})
    assert _titles(nothing) == []
    assert "No petitions match" in nothing.content.decode()


def test_the_listing_filters_by_area_and_offers_the_areas_petitions_are_about(client, stages):
    response = client.get("/petitions/", {"area": stages["closed"].area_id})

    assert _titles(response) == ["Closed petition"]
    choices = [label for _value, label in response.context["form"].fields["area"].choices]
    assert choices == ["All", "Ancoats", "Hulme"]


def test_an_unknown_filter_is_shown_as_an_error_and_the_others_still_apply(client, stages):
    response = client.get("/petitions/", {"stage": "nonsense", "q": "parks"})

    assert "Choose a stage from the list" in response.content.decode()
    assert _titles(response) == ["Open petition about parks"]


def test_the_listing_shows_twenty_a_page(client, council):
    for number in range(23):
        make_petition(council, title=f"Petition {number:02}", opened_days_ago=number + 1)

    first = client.get("/petitions/")
    second = client.get("/petitions/", {"page": 2})

    assert len(_titles(first)) == 20
    assert _titles(second) == ["Petition 20", "Petition 21", "Petition 22"]
    assert 'href="?page=2"' in first.content.decode()


@pytest.mark.parametrize(
    "params", [{}, {"stage": "debate", "q": "petition", "area": "ancoats"}], ids=["all", "filters"]
)
def test_the_listing_reads_three_queries_for_three_petitions_or_thirty(
    client, council, django_assert_num_queries, params
):
    def fill(count: int) -> None:
        for number in range(count):
            make_petition(
                council, title=f"Petition {number}", area=council.ancoats,
                debate_date=date(2027, 1, 1), ward_counts=[[council.ancoats.pk, "Ancoats", 3]],
            )  # fmt: skip

    if "area" in params:
        params = {**params, "area": council.ancoats.pk}
    # The areas to filter by, the count, and the page with its councils and areas.
    fill(3)
    with django_assert_num_queries(3):
        assert client.get("/petitions/", params).status_code == 200
    fill(27)
    with django_assert_num_queries(3):
        response = client.get("/petitions/", params)
    assert len(_titles(response)) == 20


# A petition's page ------------------------------------------------------------------------------


def test_a_petition_page_says_what_it_asks_who_started_it_and_when_it_closes(client, council):
    petition = make_petition(
        council,
        details="Oxford Road has 12 trees in a mile.",
        area=council.hulme,
        opened_at=datetime(2026, 11, 30, 12, tzinfo=LONDON),
        closes_at=datetime(2027, 6, 1, 12, tzinfo=LONDON),
    )

    html = client.get(f"/petitions/{petition.pk}/").content.decode()

    assert "<h1" in html and "Plant more trees on Oxford Road</h1>" in html
    assert "The road has too few trees and too much traffic." in html
    assert "Oxford Road has 12 trees in a mile." in html
    assert "Cara Creator" in html
    assert "Hulme" in html
    assert "Opened on 30 November 2026" in html
    assert "Closes on 1 June 2027" in html
    assert ">Open</strong>" in html
    assert "Petition to Northbridge City Council" in html


def test_the_count_shows_with_a_progress_bar_to_the_next_threshold(client, council):
    counted = datetime(2026, 12, 1, 17, 0, tzinfo=LONDON)
    petition = make_petition(council, signature_count=4, counted_at=counted)

    html = assert_page(
        client.get(f"/petitions/{petition.pk}/"), heading="Plant more trees on Oxford Road"
    )

    assert re.search(r"<strong>4</strong>\s*signatures", html)
    assert "Counted at 1 December 2026, 5pm." in html
    assert "4 of the 10 signatures needed for a response from the council" in html
    assert re.search(
        r'<progress id="petition-progress"[^>]*max="10"\s+value="4">40%</progress>', html
    )
    assert "Reached." not in html


def test_past_the_response_the_bar_aims_at_the_debate_and_past_both_it_goes(client, council):
    halfway = make_petition(council, signature_count=15, response_due_at=timezone.now())
    past = make_petition(council, signature_count=1500, response_due_at=timezone.now(),
                         debate_due_at=timezone.now())  # fmt: skip

    halfway_html = assert_page(
        client.get(f"/petitions/{halfway.pk}/"), heading="Plant more trees on Oxford Road"
    )
    past_html = assert_page(
        client.get(f"/petitions/{past.pk}/"), heading="Plant more trees on Oxford Road"
    )

    assert "15 of the 20 signatures needed for a debate at full council" in halfway_html
    assert halfway_html.count("Reached.") == 1
    assert "<progress" not in past_html
    assert re.search(r"<strong>1,500</strong>\s*signatures", past_html)
    assert past_html.count("Reached.") == 2


def test_signatures_by_ward_are_a_table_and_a_chart_with_a_title(client, council):
    petition = make_petition(
        council,
        signature_count=7,
        ward_counts=[[council.ancoats.pk, "Ancoats", 4], [council.hulme.pk, "Hulme", 2],
                     [None, "Outside the council's wards", 1]],
    )  # fmt: skip

    html = client.get(f"/petitions/{petition.pk}/").content.decode()

    table = html[html.index('id="wards-table"') : html.index("</table>")]
    rows = re.findall(r'<th scope="row"[^>]*>([^<]+)</th>\s*<td[^>]*>(\d+)</td>', table)
    assert rows == [("Ancoats", "4"), ("Hulme", "2"), ("Outside the council&#x27;s wards", "1")]
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="wards-chart-title"', html)
    assert "Bar chart of signatures by ward; the table below gives the figures." in html


def test_a_petition_awaiting_a_response_or_scheduled_for_debate_says_so(client, council):
    awaiting = make_petition(council, response_due_at=timezone.now())
    scheduled = make_petition(council, debate_due_at=timezone.now(),
                              debate_date=date(2027, 1, 20))  # fmt: skip

    awaiting_html = client.get(f"/petitions/{awaiting.pk}/").content.decode()
    scheduled_html = client.get(f"/petitions/{scheduled.pk}/").content.decode()

    assert ">Awaiting a response</strong>" in awaiting_html
    assert "The council's response will appear here." in awaiting_html
    assert ">Scheduled for debate</strong>" in scheduled_html
    assert "Scheduled for debate on 20 January 2027." in scheduled_html


def test_a_petition_page_shows_the_response_and_the_debate(client, council):
    petition = make_petition(
        council,
        response="We will plant 200 trees.",
        responded_at=datetime(2026, 10, 5, 10, tzinfo=LONDON),
        debate_date=date(2026, 11, 2),
        debated_at=timezone.now(),
        debate_summary="The council agreed to plant the trees.",
        debate_minutes_url="https://council.example/minutes/2",
        debate_video_url="https://video.example/debate/2",
    )

    html = client.get(f"/petitions/{petition.pk}/").content.decode()

    assert ">Debated</strong>" in html
    assert "Responded on 5 October 2026" in html
    assert "We will plant 200 trees." in html
    assert "Debated on 2 November 2026" in html
    assert "The council agreed to plant the trees." in html
    assert 'href="https://council.example/minutes/2"' in html
    assert 'href="https://video.example/debate/2"' in html


def test_a_rejected_petition_shows_its_reason_and_no_form(client, council):
    petition = make_petition(
        council,
        status=Petition.Status.REJECTED,
        rejection_reason=Petition.Reason.NOT_COUNCIL,
        rejection_details="Trees on Oxford Road are the university's.",
    )

    response = client.get(f"/petitions/{petition.pk}/")

    html = assert_page(response, heading="Plant more trees on Oxford Road")
    assert response.status_code == 200
    assert ">Rejected</strong>" in html
    assert "It is not the council&#x27;s responsibility" in html
    assert "Trees on Oxford Road are the university&#x27;s." in html
    assert 'name="email"' not in html


def test_a_hidden_petition_is_not_found_and_a_removed_one_is_gone(client, council):
    hidden = make_petition(council, status=Petition.Status.HIDDEN)
    removed = make_petition(council, status=Petition.Status.REMOVED, removed_reason="Libel.")

    assert client.get(f"/petitions/{hidden.pk}/").status_code == 404
    gone = client.get(f"/petitions/{removed.pk}/")
    assert gone.status_code == 410
    assert_page(gone, heading="This petition has been removed", status=410)
    assert "This petition has been removed" in gone.content.decode()
    assert "Libel" not in gone.content.decode()
    assert "Plant more trees" not in gone.content.decode()


@pytest.mark.parametrize("status", [Petition.Status.SPONSORING, Petition.Status.PENDING])
def test_an_unpublished_petition_is_its_creators_alone(client, council, status):
    petition = make_petition(council, status=status)
    url = f"/petitions/{petition.pk}/"

    assert client.get(url).status_code == 404
    client.force_login(council.moderator)
    assert client.get(url).status_code == 404
    client.force_login(council.resident)
    response = client.get(url)
    assert response.status_code == 200
    html = assert_page(response, heading="Plant more trees on Oxford Road")
    assert "Only you can see this page." in html
    assert ">Gathering supporters</strong>" in html or ">Being checked</strong>" in html
    assert 'name="email"' not in html


def test_a_petition_page_reads_two_queries_for_a_visitor(
    client, council, django_assert_max_num_queries
):
    petition = make_petition(
        council, area=council.ancoats, signature_count=12, response_due_at=timezone.now(),
        ward_counts=[[council.ancoats.pk, "Ancoats", 8], [council.hulme.pk, "Hulme", 4]],
    )  # fmt: skip
    rejected = make_petition(
        council,
        status=Petition.Status.REJECTED,
        area=council.hulme,
        rejection_reason=Petition.Reason.OTHER,
        rejection_details="No.",
    )

    for shown in (petition, rejected):
        with django_assert_max_num_queries(2):
            assert client.get(f"/petitions/{shown.pk}/").status_code == 200


# A petition's page from the cache, for visitors who are not signed in


def form_values(response) -> tuple[str, str]:
    html = response.content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    started = re.search(r'name="started" value="([^"]+)"', html).group(1)
    return csrf, started


def test_a_visitor_gets_the_page_from_the_cache_with_no_query(
    client, council, django_assert_num_queries
):
    petition = make_petition(council, signature_count=12)
    first = client.get(f"/petitions/{petition.pk}/")

    with django_assert_num_queries(0):
        again = client.get(f"/petitions/{petition.pk}/")

    assert again.status_code == 200
    assert "Plant more trees on Oxford Road" in again.content.decode()
    assert re.sub(r'value="[^"]+"', "", again.content.decode()) == re.sub(
        r'value="[^"]+"', "", first.content.decode()
    )


def test_each_visitor_of_a_cached_page_gets_a_token_of_their_own_and_can_sign(council, settings):
    from django.test import Client

    petition = make_petition(council)
    ann, bob = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    with mock.patch("civic.ratelimits.time.time", return_value=time.time() - 30):
        ann_csrf, ann_started = form_values(ann.get(f"/petitions/{petition.pk}/"))
    bob_csrf, bob_started = form_values(bob.get(f"/petitions/{petition.pk}/"))

    assert ann_csrf != bob_csrf
    assert ann.cookies["csrftoken"].value != bob.cookies["csrftoken"].value
    assert bob_started != ann_started  # drawn for this request, not when the page was cached
    for visitor, csrf, started, name in ((ann, ann_csrf, ann_started, "Ann"),
                                         (bob, bob_csrf, bob_started, "Bob")):  # fmt: skip
        response = visitor.post(
            f"/petitions/{petition.pk}/sign/",
            {"csrfmiddlewaretoken": csrf, "started": started, "name": name,
             "email": f"{name}@example.org", "postcode": "M4 6AA", "lives_here": "on"},
        )  # fmt: skip
        assert response.status_code == 302
    assert Signature.objects.count() == 2


def test_a_new_count_and_an_officers_decision_show_at_once(
    client, council, django_capture_on_commit_callbacks
):
    from petitions.services import petition_remove, response_publish
    from petitions.services.counting import petition_count

    petition = make_petition(council, response_due_at=timezone.now())
    assert (
        "<strong>0</strong> signatures" in client.get(f"/petitions/{petition.pk}/").content.decode()
    )
    add_signatures(petition, 3, area=council.ancoats)
    with django_capture_on_commit_callbacks(execute=True):
        petition_count(petition_id=petition.pk)
    assert (
        "<strong>3</strong> signatures" in client.get(f"/petitions/{petition.pk}/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response_publish(actor=council.moderator, petition=petition, text="We will plant 40.")
    assert "We will plant 40." in client.get(f"/petitions/{petition.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        petition_remove(actor=council.moderator, petition=petition, reason="Court order")
    assert client.get(f"/petitions/{petition.pk}/").status_code == 410


def test_signed_in_visitors_and_query_strings_get_the_page_drawn_for_them(
    client, council, django_assert_max_num_queries
):
    petition = make_petition(council)
    client.get(f"/petitions/{petition.pk}/")  # now in the cache
    with django_assert_max_num_queries(2):
        assert client.get(f"/petitions/{petition.pk}/?from=twitter").status_code == 200

    client.force_login(council.resident)
    html = client.get(f"/petitions/{petition.pk}/").content.decode()
    assert "Sign out" in html


def test_a_petition_page_never_shows_who_signed(client, council):
    petition = make_petition(council, signature_count=3)
    add_signatures(petition, 3, area=council.ancoats)

    html = assert_page(
        client.get(f"/petitions/{petition.pk}/"), heading="Plant more trees on Oxford Road"
    )

    assert "Signer 0" not in html
    assert "signer0@example.org" not in html
    assert "creator@example.org" not in html
    assert "M4 6AA" not in html


def test_the_home_page_lists_open_petitions(client, stages):
    sections = dict(open_now.sections())
    titles = [
        item.title for section, items in sections.items() if section.key == "petitions"
        for item in items
    ]  # fmt: skip

    assert titles == [
        "Open petition about parks",
        "Awaiting petition",
        "Responded petition",
        "Scheduled petition",
        "Debated petition",
    ]
    assert "Open petition about parks" in client.get("/").content.decode()


# Starting a petition ----------------------------------------------------------------------------


def start_data(**overrides) -> dict:
    data = {
        "title": "Light the towpath",
        "background": "It is dark after four in winter.",
        "details": "",
        "area": "",
        "name": "Cara Creator",
        "postcode": "m15 5aa",
    }
    data.update(overrides)
    return data


def test_starting_a_petition_needs_signing_in(client, council):
    response = client.get("/petitions/start/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/petitions/start/"


def test_the_start_form_asks_for_no_council_when_only_one_takes_petitions(client, council):
    client.force_login(council.resident)

    html = assert_page(client.get("/petitions/start/"), heading="Start a petition")

    assert 'name="organisation"' not in html
    for name in ("title", "background", "details", "area", "name", "postcode", "hears_progress"):
        assert f'name="{name}"' in html
    assert "5 supporters need to sign it" in html
    assert re.search(r'<option value="\d+"[^>]*>\s*Ancoats\s*</option>', html)


def test_mistakes_in_the_start_form_are_shown_next_to_their_fields(client, council):
    client.force_login(council.resident)

    response = client.post(
        "/petitions/start/",
        start_data(title="", background="", name="", postcode="nowhere", details="x" * 2001),
    )

    html = response.content.decode()
    assert response.status_code == 200
    for field in ("title", "background", "details", "name", "postcode"):
        assert f'href="#id_{field}"' in html
        assert f'id="id_{field}_error"' in html
    assert "Enter what you want the council to do" in html
    assert "This must be 2000 characters or fewer" in html
    assert Petition.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_a_resident_starts_a_petition_and_is_shown_the_link_to_share(client, council):
    client.force_login(council.resident)

    response = client.post(
        "/petitions/start/", start_data(area=council.hulme.pk, hears_progress="on")
    )

    petition = Petition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/petitions/{petition.pk}/share/"
    assert (petition.status, petition.creator, petition.area) == (
        Petition.Status.SPONSORING,
        council.resident,
        council.hulme,
    )
    assert (petition.title, petition.creator_name) == ("Light the towpath", "Cara Creator")
    signature = Signature.objects.get()
    assert (signature.email, signature.status, signature.hears_progress) == (
        "creator@example.org",
        Signature.Status.CONFIRMED,
        True,
    )
    share = client.get(response["Location"]).content.decode()
    link = f"/petitions/{petition.pk}/support/{support_token(petition)}/"
    assert re.search(rf'id="support-link"[^>]*value="http[^"]+{re.escape(link)}"', share, re.S)
    assert "5 supporters need to sign it" in share
    assert "0 have so far; 5 more needed." in share
    assert Delivery.objects.get().to_email == "creator@example.org"


def test_the_share_page_is_the_creators_alone(client, council):
    petition = make_petition(council, status=Petition.Status.SPONSORING)
    url = f"/petitions/{petition.pk}/share/"

    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(council.resident)
    assert client.get(url).status_code == 200


def test_with_several_councils_the_resident_chooses_one(client, council):
    other = OrganisationFactory(name="Southport Council", slug="southport")
    team = DepartmentFactory(organisation=other, name="Petitions", slug="petitions")
    PetitionPolicy.objects.create(organisation=other, department=team, supporters_required=2)
    Area.objects.create(organisation=other, code="E05009999", name="Birkdale")
    client.force_login(council.resident)

    form = client.get("/petitions/start/").content.decode()
    missing = client.post("/petitions/start/", start_data())
    chosen = client.post("/petitions/start/", start_data(organisation=other.pk))

    assert 'name="organisation"' in form
    assert "Birkdale (Southport Council)" in form
    assert "Choose the council the petition is to" in missing.content.decode()
    assert chosen.status_code == 302
    assert Petition.objects.get().organisation == other


# Supporters -------------------------------------------------------------------------------------


def test_a_supporter_signs_through_the_shared_link(client, council):
    petition = make_petition(council, status=Petition.Status.SPONSORING)
    url = f"/petitions/{petition.pk}/support/{support_token(petition)}/"

    page = client.get(url)
    response = client.post(
        url,
        {"name": "Sam Supporter", "email": "sam@example.org", "postcode": "M4 6AA",
         "lives_here": "on", "started": drawn_token()},
    )  # fmt: skip

    assert page.status_code == 200
    assert "Plant more trees on Oxford Road" in page.content.decode()
    assert "Support this petition" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"/petitions/{petition.pk}/signed/"
    signature = Signature.objects.get()
    assert (signature.is_supporter, signature.status) == (True, Signature.Status.PENDING)
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()


def test_a_supporters_mistakes_are_shown_and_nothing_is_stored(client, council):
    petition = make_petition(council, status=Petition.Status.SPONSORING)
    url = f"/petitions/{petition.pk}/support/{support_token(petition)}/"

    response = client.post(url, {"name": "", "email": "", "started": drawn_token()})

    assert 'href="#id_email"' in response.content.decode()
    assert Signature.objects.count() == 0


def test_once_it_has_enough_supporters_the_link_says_it_is_being_checked(client, council):
    petition = make_petition(council, status=Petition.Status.PENDING)
    url = f"/petitions/{petition.pk}/support/{support_token(petition)}/"

    page = assert_page(client.get(url), heading="Plant more trees on Oxford Road")
    client.post(url, {"name": "Late", "email": "late@example.org", "postcode": "M4 6AA",
                      "lives_here": "on", "started": drawn_token()})  # fmt: skip

    assert "This petition has enough supporters. The council is checking it" in page
    assert 'name="email"' not in page
    assert Signature.objects.count() == 0


def test_a_support_link_that_is_wrong_finds_nothing_and_a_published_one_leads_on(client, council):
    petition = make_petition(council, status=Petition.Status.SPONSORING)
    other = make_petition(council, status=Petition.Status.SPONSORING)
    published = make_petition(council)

    assert client.get(f"/petitions/{petition.pk}/support/nonsense/").status_code == 404
    wrong = f"/petitions/{petition.pk}/support/{support_token(other)}/"
    assert client.get(wrong).status_code == 404
    onward = client.get(f"/petitions/{published.pk}/support/{support_token(published)}/")
    assert onward["Location"] == f"/petitions/{published.pk}/"


def _breadcrumbs(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]+)">([^<]+)</a>', nav)


def test_a_petitions_page_has_breadcrumbs_as_a_consultations_page_has(client, council):
    """GOV.UK breadcrumbs, drawn by one shared template, lead up from a petition (shown or
    removed) to the petitions as they lead up from a consultation to the consultations."""
    from consultations.models import Consultation, SurveyPage

    petition = make_petition(council)
    removed = make_petition(council, title="Advert", status=Petition.Status.REMOVED)
    consultation = Consultation.objects.create(
        department=DepartmentFactory(organisation=council.organisation),
        title="Bus lanes",
        slug="bus-lanes",
        summary="Where?",
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=9),
        published_at=timezone.now(),
    )
    SurveyPage.objects.create(consultation=consultation, position=0, title="Page")

    consultation_page = client.get("/consultations/bus-lanes/").content.decode()
    assert _breadcrumbs(consultation_page) == [("/", "Home"), ("/consultations/", "Consultations")]
    for page in (petition, removed):
        html = client.get(f"/petitions/{page.pk}/").content.decode()
        assert _breadcrumbs(html) == [("/", "Home"), ("/petitions/", "Petitions")]
