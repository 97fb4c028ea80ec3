"""A feature app declares where its contacts come from and what they did (contacts.kinds), and
contacts offers and checks those kinds everywhere without a migration of its own."""

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from civic.models import Organisation
from contacts import kinds
from contacts.admin import ContactForm
from contacts.models import Activity, Contact
from contacts.segments import segment_queryset

pytestmark = pytest.mark.django_db


@pytest.fixture
def ballots():
    """The kinds a new app (a budget's ballots) declares, taken back after the test."""
    kinds.register_source("ballot", "Budget ballot")
    kinds.register_activity("vote", "Budget vote")
    yield
    kinds.forget("ballot")
    kinds.forget("vote")


@pytest.fixture
def voter():
    organisation = Organisation.objects.create(name="Northbridge", slug="northbridge")
    contact = Contact.objects.create(
        organisation=organisation, email="voter@example.org", source="ballot"
    )
    Activity.objects.create(
        contact=contact,
        kind="vote",
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=str(organisation.pk),
        item_title="Northbridge decides 2027",
        reference="V1",
        occurred_at=timezone.now(),
    )
    return contact


def test_the_apps_kinds_are_declared_with_their_words():
    assert dict(kinds.activity_choices())["response"] == "Survey response"
    assert dict(kinds.activity_choices())["signature"] == "Petition signature"
    assert dict(kinds.source_choices())["survey"] == "Survey"
    assert dict(kinds.source_choices())["import"] == "Import"


def test_a_new_apps_kinds_are_offered_checked_and_shown_without_a_migration(ballots, voter):
    activity = voter.activities.get()
    activity.full_clean()
    voter.full_clean()
    assert (activity.get_kind_display(), voter.get_source_display()) == (
        "Budget vote",
        "Budget ballot",
    )
    assert ("ballot", "Budget ballot") in ContactForm().fields["source"].choices
    organisation = voter.organisation
    for condition in ({"field": "took_part_kind", "value": "vote"},
                      {"field": "source", "value": "ballot"}):  # fmt: skip
        chosen = segment_queryset(organisation=organisation, definition={"conditions": [condition]})
        assert list(chosen) == [voter]
    changes = StringIO()
    call_command("makemigrations", "contacts", "--check", "--dry-run", stdout=changes)
    assert "No changes detected" in changes.getvalue()


def test_a_kind_no_app_declared_is_refused(voter):
    organisation = voter.organisation
    with pytest.raises(ValidationError):
        voter.activities.get().full_clean()  # "vote" is not declared in this test
    for condition, message in (
        ({"field": "took_part_kind", "value": "vote"}, "Unknown kind of participation"),
        ({"field": "source", "value": "ballot"}, "Unknown source"),
    ):
        with pytest.raises(ValidationError, match=message):
            segment_queryset(organisation=organisation, definition={"conditions": [condition]})


def test_a_kind_is_declared_once_with_one_meaning():
    with pytest.raises(ValueError, match="already declared"):
        kinds.register_activity("response", "Something else")
    with pytest.raises(ValueError, match="letters, digits or underscores"):
        kinds.register_source("far-too-long-a-source-name", "Long")
