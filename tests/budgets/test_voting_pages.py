"""The residents' ballot pages as a browser without JavaScript sends them: the first step
(postcode, area, age) and the list of a voter's budgets, a budget's ballot with its basket kept
between posts, each style's rules answered with an error summary and nothing cast, changing a
ballot, voting with a code, hostile input, another area's budget, and the ballot page's fixed
number of queries."""

from __future__ import annotations

import hashlib
import os
import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from budgets.codes import SCRYPT_N
from budgets.models import Ballot, Budget, CodeBatch, Elector, Idea, Process, VotingCode
from budgets.services import winners_purpose
from budgets.voting import VOTING_BY_CODE, elector_register
from civic.localcache import clear_all
from contacts.models import Activity, Contact
from contacts.services import consent_is_live
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.concurrency import at_once
from tests.factories import UserFactory
from tests.pages import assert_page, form_token

pytestmark = pytest.mark.django_db
Stage = Process.Stage
ON = Idea.Status.ON_BALLOT


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def on_ballot(process, area, *costs, proposer, **fields):
    return [
        make_idea(
            process,
            proposer=proposer,
            area=area,
            status=ON,
            final_cost=cost,
            title=f"Project costing {cost}",
            **fields,
        )
        for cost in costs
    ]


def make_code(process, text: str, *, area=None, name="Library") -> VotingCode:
    """A code as the codes' module stores it: scrypt of the code without spaces or hyphens, in
    capitals, salted with its batch's salt."""
    batch = CodeBatch.objects.filter(process=process, name=name).first()
    if batch is None:
        batch = CodeBatch.objects.create(process=process, name=name, area=area,
                                         salt=os.urandom(16))  # fmt: skip
    digest = hashlib.scrypt(text.replace("-", "").upper().encode(), salt=bytes(batch.salt),
                            n=SCRYPT_N, r=8, p=1, dklen=32)  # fmt: skip
    return VotingCode.objects.create(batch=batch, digest=digest)


def code_post(client, process, text: str, **extra):
    return client.post(
        f"/budgets/{process.slug}/code/",
        {
            "code": text,
            "website": "",
            "started": VOTING_BY_CODE.token(now=time.time() - 60),
            **extra,
        },
    )


@pytest.fixture
def voting(council):
    return make_process(council, Stage.VOTING, title="Northbridge decides 2027")


@pytest.fixture
def voter(council, voting):
    """The resident, signed in, who has told the process their postcode (Ancoats)."""
    elector_register(process=voting, user=council.resident, postcode="M4 6AA")
    return signed_in(council.resident)


def ballot_url(process, budget) -> str:
    return f"/budgets/{process.slug}/vote/{budget.pk}/"


# The first step and the list of budgets ---------------------------------------------------------


def test_the_process_page_links_to_voting_in_the_voting_phase_only(client, council, voting):
    html = assert_page(client.get(f"/budgets/{voting.slug}/"), heading=voting.title)
    assert f'href="/budgets/{voting.slug}/vote/"' in html
    ideas = make_process(council, Stage.IDEAS)
    html = assert_page(client.get(f"/budgets/{ideas.slug}/"), heading=ideas.title)
    assert "/vote/" not in html


def test_a_voter_gives_their_postcode_then_sees_their_budgets_and_the_method(council, voting):
    client = signed_in(council.resident)
    address = f"/budgets/{voting.slug}/vote/"
    html = assert_page(client.get(address), heading="Vote")
    assert "Voting is open until" in html and "Your postcode" in html
    assert "Method of Equal Shares" in html

    html = assert_page(client.post(address, {"postcode": "B1 1AA"}), heading="Vote")
    assert "govuk-error-summary" in html and 'href="#id_postcode"' in html
    assert "Enter a postcode in Northbridge City Council&#x27;s area" in html
    assert not Elector.objects.exists()

    response = client.post(address, {"postcode": "m4 6aa"})
    assert response.status_code == 302 and response["Location"] == address
    assert Elector.objects.get().area == council.ancoats
    html = assert_page(client.get(address), heading="Vote")
    assert "You vote as a resident of Ancoats" in html
    assert "Ancoats" in html and "Citywide" in html and "Hulme" not in html
    assert html.count("Not voted yet") == 2
    assert f'href="{ballot_url(voting, budget_of(voting, council.ancoats))}"' in html


def test_a_process_with_a_minimum_age_and_a_choice_of_area_asks_both_by_field(council, voting):
    voting.min_age, voting.voters = 16, Process.Voters.ANY_ONE_AREA
    voting.save()
    client = signed_in(council.resident)
    address = f"/budgets/{voting.slug}/vote/"
    html = assert_page(client.post(address, {"postcode": "M4 6AA"}), heading="Vote")
    assert "Choose the area whose budget you want to vote in" in html
    assert "Confirm that you are 16 or older to vote" in html
    assert 'href="#id_area_0"' in html and 'href="#id_age_confirmed"' in html
    assert not Elector.objects.exists()
    client.post(address, {"postcode": "M4 6AA", "area": council.hulme.pk, "age_confirmed": "on"})
    assert Elector.objects.get().area == council.hulme


def test_someone_not_signed_in_is_offered_a_sign_in_that_comes_back_and_a_code(client, voting):
    html = assert_page(client.get(f"/budgets/{voting.slug}/vote/"), heading="Vote")
    assert f"/accounts/login/?next=/budgets/{voting.slug}/vote/" in html
    assert f"/budgets/{voting.slug}/code/" in html
    budget = budget_of(voting)
    response = client.get(ballot_url(voting, budget))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unverified_account_is_told_to_confirm_its_address(council, voting):
    EmailAddress.objects.filter(user=council.resident).update(verified=False)
    client = signed_in(council.resident)
    html = assert_page(client.get(f"/budgets/{voting.slug}/vote/"), heading="Vote")
    assert "Confirm your e-mail address to vote" in html and "Your postcode" not in html
    client.post(f"/budgets/{voting.slug}/vote/", {"postcode": "M4 6AA"})
    assert not Elector.objects.exists()


@pytest.mark.parametrize("stage", [Stage.REVIEW, Stage.RESULTS])
def test_outside_the_voting_phase_the_pages_say_so_and_cast_nothing(council, stage):
    process = make_process(council, stage)
    idea = on_ballot(process, None, 1_000, proposer=council.supporter)[0]
    client = signed_in(council.resident)
    html = assert_page(client.get(f"/budgets/{process.slug}/vote/"), heading="Vote")
    assert "Your postcode" not in html
    response = client.post(ballot_url(process, budget_of(process)),
                           {"projects": [idea.pk], "submit": "1"})  # fmt: skip
    assert "closed" in response.content.decode() or "opens" in response.content.decode()
    assert not Ballot.objects.exists()


# A budget's ballot without JavaScript -----------------------------------------------------------


def test_adding_and_removing_keep_the_basket_between_pages_and_filters(council, voting, voter):
    budget = budget_of(voting, council.ancoats)
    parks = voting.categories.get(name="Parks")
    swings, bench = on_ballot(voting, council.ancoats, 20_000, 5_000, proposer=council.supporter,
                              category=parks)  # fmt: skip
    crossing = on_ballot(voting, council.ancoats, 12_000, proposer=council.supporter)[0]
    address = ballot_url(voting, budget)
    html = assert_page(voter.get(address), heading="Vote in Ancoats")
    assert "3 projects" in html and "£0 of £50,000" in html and "£50,000 left" in html

    response = voter.post(address, {"add": swings.pk})
    assert response.status_code == 302 and response["Location"] == f"{address}#project-{swings.pk}"
    response = voter.post(f"{address}?category={parks.pk}",
                          {"projects": [swings.pk], "add": bench.pk})  # fmt: skip
    assert response["Location"] == f"{address}?category={parks.pk}#project-{bench.pk}"
    html = assert_page(voter.get(f"{address}?category={parks.pk}"), heading="Vote in Ancoats")
    listed = html.split("Your choices")[0]
    assert "2 projects of 3" in html and "Project costing 12000" not in listed
    assert "£25,000 of £50,000" in html and "£25,000 left" in html
    assert re.search(rf'name="remove"\s+value="{swings.pk}"', html)

    voter.post(address, {"projects": [swings.pk, bench.pk], "remove": swings.pk})
    html = assert_page(voter.get(address), heading="Vote in Ancoats")
    assert "£5,000 of £50,000" in html
    assert re.search(rf'name="add"\s+value="{crossing.pk}"', html)
    assert not Ballot.objects.exists()  # nothing is cast until "Submit my vote"


def test_the_list_of_projects_drawn_for_one_voter_is_drawn_again_when_a_project_changes(
    council, voting, voter
):
    budget = budget_of(voting, council.ancoats)
    (swings,) = on_ballot(voting, council.ancoats, 20_000, proposer=council.supporter)
    address = ballot_url(voting, budget)
    assert swings.title in assert_page(voter.get(address), heading="Vote in Ancoats")
    Idea.objects.filter(pk=swings.pk).update(title="Swings for the little ones", final_cost=21_000)
    html = assert_page(voter.get(address), heading="Vote in Ancoats")
    assert "Swings for the little ones" in html and "£21,000" in html
    assert swings.title not in html


def test_a_basket_over_the_amount_gets_an_error_summary_is_kept_and_casts_nothing(
    council, voting, voter
):
    budget = budget_of(voting, council.ancoats)  # £50,000
    big, small = on_ballot(voting, council.ancoats, 40_000, 15_000, proposer=council.supporter)
    response = voter.post(ballot_url(voting, budget), {"projects": [big.pk, small.pk],
                                                       "submit": "1"})  # fmt: skip
    html = assert_page(response, heading="Vote in Ancoats")
    assert "govuk-error-summary" in html
    assert "cost £55,000, which is £5,000 more than its £50,000. Remove a project" in html
    assert "£5,000 over the budget: remove a project" in html
    assert re.search(rf'name="projects"\s+value="{big.pk}"', html)
    assert not Ballot.objects.exists()
    # the basket is kept for the next page too
    assert "£55,000 of £50,000" in assert_page(voter.get(ballot_url(voting, budget)),
                                               heading="Vote in Ancoats")  # fmt: skip


def test_a_basket_under_the_minimum_spend_gets_an_error_summary(council, voting, voter):
    budget = budget_of(voting, council.ancoats)
    Budget.objects.filter(pk=budget.pk).update(min_spend_percent=50)
    tiny = on_ballot(voting, council.ancoats, 5_000, proposer=council.supporter)[0]
    html = assert_page(voter.post(ballot_url(voting, budget), {"projects": [tiny.pk],
                                                               "submit": "1"}),
                       heading="Vote in Ancoats")  # fmt: skip
    assert "worth at least £25,000 (50% of its budget). Your choices come to £5,000" in html
    assert "Your choices must come to at least £25,000." in html
    assert not Ballot.objects.exists()


def test_an_approval_ballot_outside_its_least_and_most_gets_an_error_summary(
    council, voting, voter
):
    budget = budget_of(voting)
    Budget.objects.filter(pk=budget.pk).update(style=Budget.Style.APPROVAL, min_projects=2,
                                               max_projects=3)  # fmt: skip
    ideas = on_ballot(voting, None, 90_000, 80_000, 70_000, 60_000, proposer=council.supporter)
    address = ballot_url(voting, budget)
    html = assert_page(voter.get(address), heading="Vote in Citywide")
    assert "Choose between 2 and 3 projects." in html and "0 projects chosen" in html
    for chosen, words in ((ideas[:1], "Choose at least 2 projects"),
                          (ideas, "Choose no more than 3 projects")):  # fmt: skip
        html = assert_page(voter.post(address, {"projects": [i.pk for i in chosen],
                                                "submit": "1"}),
                           heading="Vote in Citywide")  # fmt: skip
        assert words in html and "govuk-error-summary" in html
        assert f"{len(chosen)} projects chosen" in html or "1 project chosen" in html
    assert not Ballot.objects.exists()
    response = voter.post(address, {"projects": [i.pk for i in ideas[:3]], "submit": "1"})
    assert response.status_code == 302
    assert Ballot.objects.get().choices.count() == 3  # costs do not matter


def test_one_post_casts_a_ballot_and_a_second_changes_it_until_voting_closes(
    council, voting, voter
):
    budget = budget_of(voting, council.ancoats)
    first, second = on_ballot(voting, council.ancoats, 20_000, 25_000, proposer=council.supporter)
    address = ballot_url(voting, budget)
    html = assert_page(voter.get(address), heading="Vote in Ancoats")
    assert "Tell me which projects win and how they are built" in html
    consent = html.split('name="hears_winners"')[1][:80]
    assert "checked" not in consent  # unticked until the voter ticks it
    response = voter.post(address, {"projects": [first.pk], "submit": "1",
                                    "hears_winners": "on"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/budgets/{voting.slug}/vote/"
    html = assert_page(voter.get(response["Location"]), heading="Vote")
    assert "Your vote in Ancoats is counted. You can change it until" in html
    assert "You voted on" in html and "Change your vote" in html

    html = assert_page(voter.get(address), heading="Vote in Ancoats")
    assert re.search(r"You voted on \d+ \w+ \d{4}\. You can change your vote until", html)
    assert re.search(rf'name="projects"\s+value="{first.pk}"', html)  # the basket is the ballot

    voter.post(address, {"projects": [second.pk], "submit": "1"})
    ballot = Ballot.objects.get()
    assert list(ballot.projects.all()) == [second] and ballot.channel == Ballot.Channel.ONLINE
    contact = Contact.objects.get(email="cara@example.org")
    assert Activity.objects.filter(contact=contact, kind="budget_vote").exists()
    assert consent_is_live(contact=contact, purpose=winners_purpose(voting))


def test_the_consent_is_not_given_unless_ticked(council, voting, voter):
    idea = on_ballot(voting, council.ancoats, 20_000, proposer=council.supporter)[0]
    voter.post(ballot_url(voting, budget_of(voting, council.ancoats)),
               {"projects": [idea.pk], "submit": "1"})  # fmt: skip
    contact = Contact.objects.get(email="cara@example.org")
    assert Ballot.objects.count() == 1
    assert not consent_is_live(contact=contact, purpose=winners_purpose(voting))


def test_with_javascript_the_basket_is_saved_in_the_background_without_a_page(
    council, voting, voter
):
    budget = budget_of(voting, council.ancoats)
    idea = on_ballot(voting, council.ancoats, 20_000, proposer=council.supporter)[0]
    response = voter.post(ballot_url(voting, budget), {"add": idea.pk},
                          headers={"X-Civic-Basket": "1"})  # fmt: skip
    assert response.status_code == 200 and response.json() == {"projects": [idea.pk]}
    assert "£20,000 of £50,000" in voter.get(ballot_url(voting, budget)).content.decode()


def test_another_areas_budget_is_refused_and_nothing_cast(council, voting, voter):
    hulme = budget_of(voting, council.hulme)
    idea = on_ballot(voting, council.hulme, 1_000, proposer=council.supporter)[0]
    html = assert_page(voter.get(ballot_url(voting, hulme)), heading="You cannot vote here",
                       status=403)  # fmt: skip
    assert "You cannot vote in the budget for Hulme" in html
    response = voter.post(ballot_url(voting, hulme), {"projects": [idea.pk], "submit": "1"})
    assert response.status_code == 403
    assert not Ballot.objects.exists()


def test_a_voter_who_has_not_given_a_postcode_is_sent_to_the_first_step(council, voting):
    client = signed_in(council.supporter)
    response = client.get(ballot_url(voting, budget_of(voting)))
    assert response.status_code == 302 and response["Location"] == f"/budgets/{voting.slug}/vote/"


@pytest.mark.parametrize(
    "data",
    [
        {"projects": ["x"], "submit": "1"},
        {"projects": ["99999999"], "submit": "1"},
        {"projects": ["-1", ""], "submit": "1"},
        {"submit": "1"},
        {},
        {"add": "nope"},
        {"add": "99999999"},
        {"remove": "1e9"},
        {"add": "²"},
        {"remove": "9" * 5000},
        {"projects": ["x", "y"], "add": "", "remove": ""},
    ],
)
def test_hostile_input_gets_an_answer_never_a_500_and_casts_nothing(council, voting, voter, data):
    budget = budget_of(voting, council.ancoats)
    on_ballot(voting, council.ancoats, 20_000, proposer=council.supporter)
    response = voter.post(ballot_url(voting, budget), data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "govuk-error-summary" in response.content.decode()
    assert not Ballot.objects.exists()


def test_another_budgets_projects_and_budgets_that_do_not_exist(council, voting, voter):
    ancoats = budget_of(voting, council.ancoats)
    citywide_idea = on_ballot(voting, None, 1_000, proposer=council.supporter)[0]
    html = assert_page(voter.post(ballot_url(voting, ancoats), {"projects": [citywide_idea.pk],
                                                                "submit": "1"}),
                       heading="Vote in Ancoats")  # fmt: skip
    assert "Choose only projects on the ballot for Ancoats" in html
    voter.post(ballot_url(voting, ancoats), {"add": citywide_idea.pk})
    assert "None yet" in voter.get(ballot_url(voting, ancoats)).content.decode()
    other = make_process(council, Stage.VOTING)
    assert voter.get(f"/budgets/{voting.slug}/vote/{budget_of(other).pk}/").status_code == 404
    assert voter.get(f"/budgets/{voting.slug}/vote/99999999/").status_code == 404
    assert not Ballot.objects.exists()


def test_the_ballot_page_keeps_to_a_fixed_number_of_queries(
    council, voting, voter, django_assert_num_queries
):
    budget = budget_of(voting, council.ancoats)
    parks = voting.categories.get(name="Parks")
    on_ballot(voting, council.ancoats, *[1_000] * 5, proposer=council.supporter, category=parks)
    voter.get(ballot_url(voting, budget))  # the session is warm, as in a voter's second page
    # Before they vote: their account, then their first step with whether its address is
    # verified and whether they have a ballot here, in one query.
    with django_assert_num_queries(2):
        assert voter.get(ballot_url(voting, budget)).status_code == 200
    idea = Idea.objects.filter(budget=budget).first()
    voter.post(ballot_url(voting, budget), {"projects": [idea.pk], "submit": "1"})
    clear_all()  # as the first page after a change: the process's rows are read again
    with django_assert_num_queries(7) as first:
        assert voter.get(ballot_url(voting, budget)).status_code == 200
    # While nothing shown changes, the process, its budgets and the projects on its ballots are
    # kept (civic.pagecache.read_unchanged): only the voter's own rows are read (their account,
    # their first step with whether its address is verified, their ballot and its choices).
    with django_assert_num_queries(4):
        assert voter.get(ballot_url(voting, budget)).status_code == 200
    on_ballot(voting, council.ancoats, *[1_000] * 35, proposer=council.supporter, category=parks)
    with django_assert_num_queries(len(first.captured_queries)):
        html = voter.get(ballot_url(voting, budget)).content.decode()
    assert "40 projects" in html


def test_the_projects_are_drawn_once_whatever_is_in_each_voters_basket(council, voting, voter):
    budget = budget_of(voting, council.ancoats)
    first, second, third = on_ballot(
        voting, council.ancoats, 1_000, 2_000, 3_000, proposer=council.supporter
    )
    page = voter.get(ballot_url(voting, budget))
    assert "budgets/_ballot_project.html" in [template.name for template in page.templates]

    voter.post(ballot_url(voting, budget), {"projects": [first.pk], "add": third.pk})
    page = voter.get(ballot_url(voting, budget))

    assert "budgets/_ballot_project.html" not in [template.name for template in page.templates]
    html = page.content.decode()
    buttons = re.findall(r'name="(add|remove)"\s+value="(\d+)"', html)
    assert buttons == [
        ("remove", str(first.pk)),
        ("add", str(second.pk)),
        ("remove", str(third.pk)),
    ]
    # The list is each voter's own: another voter with an empty basket is offered every project.
    elector_register(process=voting, user=council.supporter, postcode="M4 6AA")
    other = signed_in(council.supporter).get(ballot_url(voting, budget)).content.decode()
    assert re.findall(r'name="(add|remove)"\s+value="\d+"', other) == ["add"] * 3


def _drawn(page) -> bool:
    return "budgets/ballot.html" in [template.name for template in page.templates]


def test_voters_who_have_chosen_nothing_share_one_drawing_with_tokens_of_their_own(
    council, voting, voter
):
    budget = budget_of(voting, council.ancoats)
    idea = on_ballot(voting, council.ancoats, 1_000, proposer=council.supporter)[0]
    elector_register(process=voting, user=council.supporter, postcode="M4 6AA")
    other = Client(enforce_csrf_checks=True)
    other.force_login(council.supporter)
    first = voter.get(ballot_url(voting, budget))
    assert _drawn(first)

    second = other.get(ballot_url(voting, budget))

    assert not _drawn(second)
    assert second.content.decode().replace(form_token(second.content.decode()), "") == (
        first.content.decode().replace(form_token(first.content.decode()), "")
    )
    assert form_token(second.content.decode()) != form_token(first.content.decode())
    cast = other.post(
        ballot_url(voting, budget),
        {
            "projects": [idea.pk],
            "submit": "1",
            "csrfmiddlewaretoken": form_token(second.content.decode()),
        },
    )
    assert cast.status_code == 302
    assert Ballot.objects.filter(budget=budget, voter=council.supporter).exists()
    # Once they have voted, their page is their own ("You voted on …"), drawn for them.
    again = other.get(ballot_url(voting, budget))
    assert _drawn(again) and "You voted on" in again.content.decode()


def test_a_voter_with_a_message_or_a_filter_or_staff_gets_a_page_of_their_own(
    council, voting, voter
):
    budget = budget_of(voting, council.ancoats)
    on_ballot(voting, council.ancoats, 1_000, proposer=council.supporter)
    assert _drawn(voter.get(ballot_url(voting, budget)))
    assert not _drawn(voter.get(ballot_url(voting, budget)))
    assert _drawn(voter.get(ballot_url(voting, budget) + "?category="))

    # An officer who votes sees the admin's link: a page of its own for staff.
    elector_register(process=voting, user=council.officer, postcode="M4 6AA")
    officer = signed_in(council.officer)
    staff = officer.get(ballot_url(voting, budget))
    assert _drawn(staff) and 'href="/admin/"' in staff.content.decode()
    assert not _drawn(officer.get(ballot_url(voting, budget)))
    page = voter.get(ballot_url(voting, budget))
    assert not _drawn(page)
    assert 'href="/admin/"' not in assert_page(page, heading=f"Vote in {budget.name}")

    other = voter

    from django.contrib.messages import INFO
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage

    storage = CookieStorage(None)
    other.cookies["messages"] = storage._encode([Message(INFO, "Hello from the council")])
    page = other.get(ballot_url(voting, budget))
    assert _drawn(page) and "Hello from the council" in page.content.decode()


# Voting with a code ----------------------------------------------------------------------------


def test_a_code_votes_once_in_each_of_its_budgets_without_an_account(client, council, voting):
    make_code(voting, "ABCD-EFGH-JKLM", area=council.hulme)
    hulme, citywide = budget_of(voting, council.hulme), budget_of(voting)
    idea = on_ballot(voting, council.hulme, 10_000, proposer=council.supporter)[0]
    citywide_idea = on_ballot(voting, None, 10_000, proposer=council.supporter)[0]
    html = assert_page(client.get(f"/budgets/{voting.slug}/code/"), heading="Vote with a code")
    assert "Your voting code" in html

    response = code_post(client, voting, " abcd efgh-jklm ")
    assert response.status_code == 302 and response["Location"] == f"/budgets/{voting.slug}/vote/"
    assert "ABCD" not in response["Location"]
    html = assert_page(client.get(response["Location"]), heading="Vote")
    assert "You are voting with a voting code" in html and "You vote as a resident of Hulme" in html
    assert "hears_winners" not in client.get(ballot_url(voting, hulme)).content.decode()

    response = client.post(ballot_url(voting, hulme), {"projects": [idea.pk], "submit": "1"})
    assert response.status_code == 302
    ballot = Ballot.objects.get()
    assert ballot.channel == Ballot.Channel.CODE and ballot.voter is None
    html = assert_page(client.get(ballot_url(voting, hulme)), heading="Vote in Hulme")
    assert "This code has been used to vote in Hulme" in html and "Submit my vote" not in html
    client.post(ballot_url(voting, hulme), {"projects": [idea.pk], "submit": "1"})
    assert Ballot.objects.count() == 1

    client.post(ballot_url(voting, citywide), {"projects": [citywide_idea.pk], "submit": "1"})
    assert Ballot.objects.count() == 2
    # used in every budget: a new browser is told what a wrong code is told
    other = Client()
    html = assert_page(code_post(other, voting, "ABCDEFGHJKLM"), heading="Vote with a code")
    assert "This code is not valid or has been used" in html
    assert Ballot.objects.count() == 2


def test_a_code_without_an_area_asks_for_one_then_votes(client, council, voting):
    make_code(voting, "WXYZ-2345-6789", area=None)
    code_post(client, voting, "wxyz23456789")
    address = f"/budgets/{voting.slug}/vote/"
    html = assert_page(client.get(address), heading="Vote")
    assert "Which area&#x27;s budget do you want to vote in?" in html
    assert "Your postcode" not in html
    client.post(address, {"area": council.ancoats.pk})
    assert Elector.objects.get().area == council.ancoats and Elector.objects.get().user is None


def test_a_wrong_code_is_told_the_same_as_a_used_one_and_guessing_is_limited(
    client, council, voting, settings
):
    settings.CIVIC_BUDGET_CODE_BURST = "3/m"
    make_code(voting, "ABCD-EFGH-JKLM", area=council.hulme)
    for _attempt in range(3):
        html = assert_page(code_post(client, voting, "NOPE-NOPE-NOPE"), heading="Vote with a code")
        assert "This code is not valid or has been used" in html and 'href="#id_code"' in html
    response = code_post(client, voting, "ABCD-EFGH-JKLM")
    html = assert_page(response, heading="Vote with a code", status=429)
    assert "too many codes tried from your internet connection" in html
    assert not Elector.objects.exists()


def test_the_code_page_refuses_a_script_and_an_empty_code(client, council, voting):
    make_code(voting, "ABCD-EFGH-JKLM", area=council.hulme)
    html = assert_page(code_post(client, voting, "ABCD-EFGH-JKLM", website="http://spam"),
                       heading="Vote with a code")  # fmt: skip
    assert "We could not accept that just now" in html
    html = assert_page(code_post(client, voting, ""), heading="Vote with a code")
    assert "Enter the voting code from your letter" in html
    assert not Elector.objects.exists()


def test_a_browser_forgets_its_code(client, council, voting):
    make_code(voting, "ABCD-EFGH-JKLM", area=council.hulme)
    code_post(client, voting, "ABCD-EFGH-JKLM")
    client.post(f"/budgets/{voting.slug}/code/", {"forget": "1"})
    html = assert_page(client.get(f"/budgets/{voting.slug}/vote/"), heading="Vote")
    assert "Sign in to vote" in html


def test_a_code_used_in_every_budget_it_opens_is_forgotten_by_the_browser(client, council, voting):
    make_code(voting, "ABCD-EFGH-JKLM", area=council.hulme)
    hulme, citywide = budget_of(voting, council.hulme), budget_of(voting)
    idea = on_ballot(voting, council.hulme, 10_000, proposer=council.supporter)[0]
    citywide_idea = on_ballot(voting, None, 10_000, proposer=council.supporter)[0]
    code_post(client, voting, "ABCD-EFGH-JKLM")
    address = f"/budgets/{voting.slug}/vote/"
    client.post(ballot_url(voting, hulme), {"projects": [idea.pk], "submit": "1"})
    html = assert_page(client.get(address), heading="Vote")
    # one budget left: the code is still this browser's, with the button to forget it
    assert "You are voting with a voting code" in html and "forget my code" in html
    client.post(ballot_url(voting, citywide), {"projects": [citywide_idea.pk], "submit": "1"})
    html = assert_page(client.get(address), heading="Vote")
    assert "Your code has voted in every budget it can" in html and "forget my code" not in html
    html = assert_page(client.get(address), heading="Vote")
    assert "Sign in to vote" in html and "You are voting with a voting code" not in html


def test_a_code_left_unused_at_a_shared_computer_is_forgotten(client, council, voting, settings):
    settings.CIVIC_BUDGET_CODE_IDLE_MINUTES = 20
    make_code(voting, "ABCD-EFGH-JKLM", area=council.hulme)
    hulme = budget_of(voting, council.hulme)
    idea = on_ballot(voting, council.hulme, 10_000, proposer=council.supporter)[0]
    code_post(client, voting, "ABCD-EFGH-JKLM")
    address = f"/budgets/{voting.slug}/vote/"

    def last_used(minutes_ago: int) -> None:
        session = client.session
        key = f"budgets:code:{voting.pk}"
        code_id, _seen = session[key]
        session[key] = [code_id, int(time.time()) - minutes_ago * 60]
        session.save()

    last_used(19)  # used within the time: kept, and the time starts again
    html = assert_page(client.get(address), heading="Vote")
    assert "You are voting with a voting code" in html
    assert time.time() - client.session[f"budgets:code:{voting.pk}"][1] < 60

    last_used(21)
    html = assert_page(client.get(address), heading="Vote")
    assert "forgotten your voting code, because it was not used for 20 minutes" in html
    assert "Sign in to vote" in html
    client.post(ballot_url(voting, hulme), {"projects": [idea.pk], "submit": "1"})
    assert not Ballot.objects.exists()


def test_a_code_of_another_process_is_not_valid_here(client, council, voting):
    other = make_process(council, Stage.VOTING)
    make_code(other, "ABCD-EFGH-JKLM", area=council.hulme)
    html = assert_page(code_post(client, voting, "ABCD-EFGH-JKLM"), heading="Vote with a code")
    assert "This code is not valid or has been used" in html


def test_a_signed_in_voter_who_enters_nothing_is_not_confused_with_another(council, voting):
    """Two residents' sessions never share a basket."""
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        elector_register(process=voting, user=user, postcode="M4 6AA")
    idea = on_ballot(voting, council.ancoats, 1_000, proposer=council.supporter)[0]
    budget = budget_of(voting, council.ancoats)
    signed_in(first).post(ballot_url(voting, budget), {"add": idea.pk})
    assert "None yet" in signed_in(second).get(ballot_url(voting, budget)).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"postcode": "M4 6AA" * 20},
        {"postcode": "M4 6AA", "area": "abc"},
        {"postcode": ["M4 6AA", "M15 5AA"], "age_confirmed": "maybe"},
        {},
    ],
)
def test_the_first_step_answers_hostile_input_by_field(council, voting, data):
    voting.voters = Process.Voters.ANY_ONE_AREA
    voting.save()
    client = signed_in(council.resident)
    html = assert_page(client.post(f"/budgets/{voting.slug}/vote/", data), heading="Vote")
    assert "govuk-error-summary" in html
    assert not Elector.objects.exists()


def test_a_code_too_long_to_be_one_is_told_what_a_wrong_code_is(client, voting):
    html = assert_page(code_post(client, voting, "A" * 200), heading="Vote with a code")
    assert "This code is not valid or has been used" in html


@pytest.mark.django_db(transaction=True)
def test_posts_of_one_voter_through_the_page_at_the_same_moment_make_one_ballot(
    council, postgresql_only
):
    process = make_process(council, Stage.VOTING)
    ideas = on_ballot(process, council.ancoats, 10_000, 20_000, 30_000, 40_000,
                      proposer=council.supporter)  # fmt: skip
    elector_register(process=process, user=council.resident, postcode="M4 6AA")
    address = ballot_url(process, budget_of(process, council.ancoats))
    clients = [signed_in(council.resident) for _idea in ideas]

    def send(client, idea):
        return lambda: client.post(address, {"projects": [idea.pk], "submit": "1"}).status_code

    answers = at_once(*[send(client, idea) for client, idea in zip(clients, ideas, strict=True)])
    assert answers == [302] * len(ideas)
    ballot = Ballot.objects.get()
    assert ballot.choices.count() == 1
