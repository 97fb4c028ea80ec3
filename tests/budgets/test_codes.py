"""Voting codes (budgets.codes and the process's Voting codes page in the admin): a batch's codes
are random, in an alphabet without look-alikes, stored only as salted hashes (no table holds a
code in any form), shown once as cards to print and a CSV file, and each votes once per budget,
in its own process only; the audit log names the batch and the count, never a code; only the
officers who run the process make them."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time

import pytest
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from budgets.codes import (
    ALPHABET,
    SCRYPT_N,
    batch_usage,
    code_find,
    code_text,
    codes_make,
)
from budgets.models import Ballot, CodeBatch, Idea, Process, VotingCode
from budgets.voting import ballot_cast, elector_register
from civic.form_guard import Refused
from civic.models import AuditEntry
from tests.budgets.conftest import budget_of, make_idea, make_process
from tests.budgets.test_permissions import ROLES, person
from tests.concurrency import at_once
from tests.factories import AreaFactory
from tests.pages import assert_page

pytestmark = pytest.mark.django_db
Stage = Process.Stage
BATCH = {"name": "Library", "area": "choose", "count": "5", "ready": "on"}
CODE = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


@pytest.fixture
def voting(council):
    return make_process(council, Stage.VOTING, title="Northbridge decides 2027")


@pytest.fixture
def officer(council) -> Client:
    client = Client()
    client.force_login(council.officer)
    return client


def csv_form(html: str) -> tuple[str, dict[str, str]]:
    """Where the printout's "Save the codes as a CSV file" form posts, and what."""
    form = re.search(r'<form method="post" action="([^"]+)" id="codes-csv"(.*?)</form>', html, re.S)
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[2]))
    return form[1], fields


def save_csv(client: Client, html: str, **changed):
    action, fields = csv_form(html)
    return client.post(action, {**fields, **changed})


def csv_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff"))))


def on_ballot(process, area, cost, council, title="Swings"):
    return make_idea(process, proposer=council.resident, area=area, status=Idea.Status.ON_BALLOT,
                     final_cost=cost, title=title)  # fmt: skip


def database_holds(text: str) -> list[str]:
    """Every column of every table (text of any kind, JSON, bytes) that holds `text`."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'character', 'jsonb', 'json', 'bytea')"
        )
        for table, column, kind in cursor.fetchall():
            if kind == "bytea":
                condition = f'position(%s::bytea in "{column}") > 0'
                value = text.encode()
            else:
                condition = f'"{column}"::text ILIKE %s'
                value = f"%{text}%"
            query = f'SELECT count(*) FROM "{table}" WHERE {condition}'  # noqa: S608 (catalogue names)
            cursor.execute(query, [value])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_a_batch_is_random_codes_without_look_alikes_stored_only_as_salted_hashes(council, voting):
    batch, codes = codes_make(actor=council.officer, process=voting, name="Central library",
                              count=50, area=council.ancoats)  # fmt: skip
    assert len(codes) == len(set(codes)) == 50
    assert all(CODE.match(code) for code in codes)
    assert not set("01OIL") & set(ALPHABET)
    salt = bytes(batch.salt)
    assert len(salt) == 16
    stored = {bytes(digest) for digest in batch.codes.values_list("digest", flat=True)}
    assert stored == {
        hashlib.scrypt(code.replace("-", "").encode(), salt=salt, n=SCRYPT_N, r=8, p=1, dklen=32)
        for code in codes
    }
    # No table holds a code in any form: as printed, as typed, or as bytes.
    for code in codes[:5]:
        assert database_holds(code) == []
        assert database_holds(code_text(code)) == []
    # A second batch has its own salt: the same code would hash differently.
    other, _ = codes_make(actor=council.officer, process=voting, name="Town hall", count=1)
    assert bytes(other.salt) != salt


def test_the_audit_log_names_the_batch_and_the_count_never_a_code(council, voting):
    batch, codes = codes_make(actor=council.officer, process=voting, name="Central library",
                              count=20)  # fmt: skip
    entry = AuditEntry.objects.get(actor=council.officer)
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.object_id == str(batch.pk)
    assert entry.summary == (
        f"Made 20 voting codes in batch #{batch.pk} (voters choose their area)"
    )
    assert not any(code_text(code) in code_text(entry.summary) for code in codes)


def test_a_code_is_found_as_typed_loosely_and_only_in_its_own_process(council, voting):
    batch, codes = codes_make(actor=council.officer, process=voting, name="Library", count=3)
    codes_make(actor=council.officer, process=voting, name="Town hall", count=3)
    found = code_find(voting, " " + codes[1].lower().replace("-", " ") + " ")
    assert found is not None and found.batch == batch
    assert code_find(voting, codes[1].replace("-", "")) == found
    assert code_find(voting, codes[1].replace("-", "\u2013")) == found  # an en dash, pasted
    assert code_find(voting, "") is None
    assert code_find(voting, "2222-2222-2222") is None
    assert code_find(voting, "x" * 10_000) is None
    other = make_process(council, Stage.VOTING, title="Another process")
    codes_make(actor=council.officer, process=other, name="Library", count=1)
    assert code_find(other, codes[1]) is None
    with pytest.raises(Refused) as caught:
        elector_register(process=other, code=found)
    assert caught.value.code == "other_process"


def test_a_code_votes_once_in_each_budget_its_area_opens(council, voting):
    swings = on_ballot(voting, council.ancoats, 10_000, council)
    trees = on_ballot(voting, None, 20_000, council, title="Trees")
    _batch, codes = codes_make(actor=council.officer, process=voting, name="Library", count=2,
                               area=council.ancoats)  # fmt: skip
    code = code_find(voting, codes[0])
    elector = elector_register(process=voting, code=code)
    assert elector.area == council.ancoats
    ballot_cast(budget=budget_of(voting, council.ancoats), idea_ids=[swings.pk], code=code)
    with pytest.raises(Refused) as caught:
        ballot_cast(budget=budget_of(voting, council.ancoats), idea_ids=[swings.pk], code=code)
    assert caught.value.code == "used"
    ballot_cast(budget=budget_of(voting), idea_ids=[trees.pk], code=code)  # the citywide one
    with pytest.raises(Refused) as caught:
        ballot_cast(budget=budget_of(voting, council.hulme), idea_ids=[], code=code)
    assert caught.value.code == "not_yours"
    assert Ballot.objects.filter(code=code).count() == 2

    usage = batch_usage(voting)
    assert [(budget.name, used) for budget, used in usage[0]["used"]] == [
        ("Citywide", 1), ("Ancoats", 1), ("Hulme", 0),
    ]  # fmt: skip
    assert usage[0]["codes"] == 2


def test_a_batch_refused_by_field_makes_nothing(council, voting):
    codes_make(actor=council.officer, process=voting, name="Library", count=1)
    nowhere = AreaFactory(organisation=council.organisation, code="E05000009", name="Didsbury")
    cases = [
        ({"name": "Library", "count": 5}, "name", "already has a batch called “Library”"),
        ({"name": " ", "count": 5}, "name", "Enter a name for the batch"),
        ({"name": "New", "count": 0}, "count", "from 1 to 10,000"),
        ({"name": "New", "count": 10_001}, "count", "from 1 to 10,000"),
        ({"name": "New", "count": 5, "area": nowhere}, "area", "with a budget in this process"),
    ]
    for arguments, field, words in cases:
        with pytest.raises(ValidationError) as caught:
            codes_make(actor=council.officer, process=voting, **arguments)
        assert words in caught.value.message_dict[field][0], (arguments, caught.value)
    assert CodeBatch.objects.count() == 1 and VotingCode.objects.count() == 1
    closed = make_process(council, Stage.RESULTS, title="Closed")
    with pytest.raises(Refused):
        codes_make(actor=council.officer, process=closed, name="Late", count=5)
    assert CodeBatch.objects.count() == 1
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_the_officers_who_run_the_process_make_codes(council, role):
    process = make_process(council, Stage.VOTING)
    user = person(council, role)
    runs = role in {"officer", "admin", "superuser"}
    assert user.has_perm("budgets.make_codes", process) is runs
    assert user.has_perm("budgets.key_paper", process) is runs
    if runs:
        codes_make(actor=user, process=process, name="Library", count=1)
        assert CodeBatch.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            codes_make(actor=user, process=process, name="Library", count=1)
        assert not CodeBatch.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", ["other_officer", "other_council_officer", "other_council_admin"])
def test_the_codes_page_is_not_found_for_others_and_makes_nothing(council, voting, role):
    client = Client()
    client.force_login(getattr(council, role))
    page = f"/admin/budgets/process/{voting.pk}/codes/"
    assert client.get(page).status_code == 404
    response = client.post(page, BATCH)
    assert response.status_code == 404
    assert not CodeBatch.objects.exists()


def test_a_resident_has_no_access_to_the_codes_page(council, voting):
    client = Client()
    client.force_login(council.resident)
    response = client.post(f"/admin/budgets/process/{voting.pk}/codes/", BATCH)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not CodeBatch.objects.exists()


def test_an_officer_makes_a_batch_and_gets_its_codes_once_as_cards_and_a_csv(
    council, voting, officer
):
    voting.slug = "northbridge-decides"
    voting.save()
    change = assert_page(officer.get(f"/admin/budgets/process/{voting.pk}/change/"),
                         heading="Change budget process")  # fmt: skip
    page = f"/admin/budgets/process/{voting.pk}/codes/"
    assert f'href="{page}"' in change
    form = assert_page(officer.get(page), heading="Voting codes: Northbridge decides 2027")
    # the area is a choice among the process's budgets' areas, or the voter's
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', form)
    assert [name for _value, name in options] == [
        "Each voter chooses their area", "Ancoats", "Hulme",
    ]  # fmt: skip

    printed = officer.post(page, {"name": "Central library", "area": str(council.hulme.pk),
                                  "count": "12", "ready": "on"})  # fmt: skip
    html = assert_page(printed, heading="Voting codes: Central library")
    assert "no-store" in printed["Cache-Control"]
    codes = re.findall(r'<p class="voting-code">([^<]+)</p>', html)
    assert len(codes) == len(set(codes)) == 12 and all(CODE.match(code) for code in codes)
    assert html.count('class="voting-code-card"') == 12
    assert html.count(f"Vote at {settings.CIVIC_SITE_URL}/budgets/northbridge-decides/code/") == 12
    assert "shown only this once" in html
    batch = CodeBatch.objects.get()
    assert (batch.name, batch.area, batch.created_by) == (
        "Central library", council.hulme, council.officer,
    )  # fmt: skip
    assert all(code_find(voting, code) is not None for code in codes)

    assert "data:" not in html  # the file is a real download, whatever the number of codes
    saved = save_csv(officer, html)
    assert saved["Content-Disposition"] == (
        f'attachment; filename="voting-codes-northbridge-decides-{batch.pk}.csv"'
    )
    assert saved["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in saved["Cache-Control"]
    rows = csv_of(saved)
    assert rows[0] == ["process", "batch", "area", "code", "web_address", "voting_closes"]
    assert [row[3] for row in rows[1:]] == codes
    assert {row[2] for row in rows[1:]} == {"Hulme"}
    assert rows[1][4].endswith("/budgets/northbridge-decides/code/")

    # Afterwards the page lists the batch, never its codes again.
    again = assert_page(officer.get(page), heading="Voting codes: Northbridge decides 2027")
    assert "Central library" in again
    assert not any(code in again for code in codes)
    for code in codes[:3]:
        assert database_holds(code) == [] and database_holds(code_text(code)) == []


def test_a_csv_cell_that_could_run_as_a_formula_is_made_text(council, voting, officer):
    voting.title = "=HYPERLINK(1)"
    voting.save()
    printed = officer.post(f"/admin/budgets/process/{voting.pk}/codes/",
                           {**BATCH, "name": "+Library", "count": "1"})  # fmt: skip
    html = printed.content.decode()
    row = csv_of(save_csv(officer, html))[1]
    assert row[:3] == ["'=HYPERLINK(1)", "'+Library", "Voter chooses"]


def test_ten_thousand_codes_are_saved_as_a_file_not_a_link(council, voting, officer):
    printed = officer.post(f"/admin/budgets/process/{voting.pk}/codes/",
                           {**BATCH, "count": "10000"})  # fmt: skip
    html = assert_page(printed, heading="Voting codes: Library")
    codes = re.findall(r'<p class="voting-code">([^<]+)</p>', html)
    assert len(codes) == 10_000 and "data:text/csv" not in html
    rows = csv_of(save_csv(officer, html))
    assert [row[3] for row in rows[1:]] == codes


def test_the_codes_file_holds_only_codes_signed_for_the_officer_and_batch(council, voting, officer):
    page = f"/admin/budgets/process/{voting.pk}/codes/"
    html = officer.post(page, {**BATCH, "count": "3"}).content.decode()
    action, fields = csv_form(html)
    codes = fields["codes"].split(" ")
    assert action == f"{page}csv/" and len(codes) == 3
    refused = (
        "The codes could not be saved as a file: the page that showed them is more than an hour "
        "old, or was changed."
    )
    other = codes_make(actor=council.officer, process=voting, name="Other", count=1)[0]
    for changed in (
        {"codes": " ".join([*codes[:2], "AAAA-BBBB-CCCC"])},  # a code the batch does not have
        {"codes": " ".join(codes[:2])},  # fewer
        {"signature": fields["signature"][:-2] + "xx"},
        {"batch": str(other.pk)},  # the signature was for the first batch
        {"batch": "x"},
        {"batch": "9" * 30},  # beyond any id the database holds
    ):
        response = officer.post(action, {**fields, **changed}, follow=True)
        html = assert_page(response, heading="Voting codes: Northbridge decides 2027")
        assert refused in html and response["Content-Type"].startswith("text/html")
        assert not any(code in html for code in codes)
    # A GET goes back to the codes page; nothing is kept to fetch.
    assert officer.get(action)["Location"] == page

    # Another officer who may make codes cannot use this officer's signature.
    colleague = Client()
    colleague.force_login(council.admin)
    response = colleague.post(action, fields, follow=True)
    assert refused in assert_page(response, heading="Voting codes: Northbridge decides 2027")
    # Nor can an officer of another department reach it.
    outsider = Client()
    outsider.force_login(council.other_officer)
    assert outsider.post(action, fields).status_code in (403, 404)


@pytest.mark.parametrize("seconds_ago, saved", [(3590, True), (3610, False)])
def test_the_codes_file_can_be_saved_for_an_hour(
    council, voting, officer, monkeypatch, seconds_ago, saved
):
    # The page is drawn as if `seconds_ago`: its signature says so.
    drawn = int(time.time()) - seconds_ago
    with monkeypatch.context() as patched:
        patched.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(drawn)
        )
        html = officer.post(f"/admin/budgets/process/{voting.pk}/codes/",
                            {**BATCH, "count": "2"}).content.decode()  # fmt: skip
    response = save_csv(officer, html)
    if saved:
        assert len(csv_of(response)) == 3
        assert len(csv_of(save_csv(officer, html))) == 3  # and again, from the same page
    else:
        assert response.status_code == 302 and response["Location"].endswith("/codes/")


def test_the_codes_form_refused_shows_the_problem_next_to_the_field_and_makes_nothing(
    council, voting, officer
):
    page = f"/admin/budgets/process/{voting.pk}/codes/"
    codes_make(actor=council.officer, process=voting, name="Library", count=1)
    refused = officer.post(page, {"name": "Library", "area": "choose", "count": "20000"})
    html = assert_page(refused, heading="Voting codes: Northbridge decides 2027")
    assert "Enter how many codes to make, from 1 to 10,000" in html
    assert "Confirm that you are ready to print or save the codes" in html
    again = officer.post(page, {"name": "Library", "area": "choose", "count": "5", "ready": "on"})
    html = assert_page(again, heading="Voting codes: Northbridge decides 2027")
    assert "already has a batch called “Library”" in html
    assert 'class="voting-code"' not in html
    assert VotingCode.objects.count() == 1


def test_the_batches_list_counts_the_codes_used_in_each_budget(council, voting, officer):
    swings = on_ballot(voting, council.ancoats, 10_000, council)
    _batch, codes = codes_make(actor=council.officer, process=voting, name="Library", count=3,
                               area=council.ancoats)  # fmt: skip
    for text in codes[:2]:
        code = code_find(voting, text)
        elector_register(process=voting, code=code)
        ballot_cast(budget=budget_of(voting, council.ancoats), idea_ids=[swings.pk], code=code)
    html = officer.get(f"/admin/budgets/process/{voting.pk}/codes/").content.decode()
    assert "<li>Ancoats: 2</li>" in html and "<li>Hulme: 0</li>" in html
    assert "<li>Citywide: 0</li>" in html


def test_a_batch_is_inserted_in_bulk(council, voting, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        _batch, codes = codes_make(actor=council.officer, process=voting, name="Big", count=4_500)
    assert len(codes) == VotingCode.objects.count() == 4_500


def test_the_codes_page_reads_the_same_number_of_queries_for_more_batches(
    council, voting, officer, django_assert_num_queries
):
    page = f"/admin/budgets/process/{voting.pk}/codes/"
    codes_make(actor=council.officer, process=voting, name="Library", count=2)
    officer.get(page)  # the session and the content types, read once
    with CaptureQueriesContext(connection) as one:
        assert officer.get(page).status_code == 200
    for name in ("Town hall", "Drop-in", "Post"):
        codes_make(actor=council.officer, process=voting, name=name, count=2, area=council.hulme)
    with django_assert_num_queries(len(one.captured_queries)):
        assert officer.get(page).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_batches_of_one_name_made_at_the_same_moment_make_one(council, postgresql_only):
    process = make_process(council, Stage.VOTING)

    def make():
        try:
            codes_make(actor=council.officer, process=process, name="Library", count=200)
        except ValidationError as error:
            return error.error_dict["name"][0].code
        return "made"

    assert sorted(at_once(make, make)) == ["made", "unique"]
    assert CodeBatch.objects.get().codes.count() == VotingCode.objects.count() == 200
    assert AuditEntry.objects.count() == 1
