from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from contacts.models import ConsentEvent, ConsentPurpose, Contact
from contacts.services import (
    ConsentGiven,
    consent_give,
    consent_is_live,
    consent_withdraw,
    contact_for_email,
    participation_record,
    participation_with_consent,
)
from tests.factories import AreaFactory, DepartmentFactory, OrganisationFactory, UserFactory
from tests.scoped_feature.models import Notice

pytestmark = pytest.mark.django_db

WORDING = "Tell me about the outcome of this consultation"


@pytest.fixture
def council():
    return OrganisationFactory(name="Northbridge")


@pytest.fixture
def newsletter(council):
    return ConsentPurpose.objects.create(
        organisation=council, slug="newsletter", name="Newsletter", description="Monthly news"
    )


def test_one_contact_per_email_per_organisation_whatever_the_case(council):
    first = contact_for_email(organisation=council, email="Ann@Example.org", source="survey")
    again = contact_for_email(organisation=council, email="ann@example.ORG ", source="petition")
    other = contact_for_email(
        organisation=OrganisationFactory(), email="ann@example.org", source="survey"
    )
    assert first == again
    assert first.email == "ann@example.org"
    assert first.source == "survey"
    assert other != first
    with pytest.raises(IntegrityError):
        Contact.objects.create(organisation=council, email="ANN@example.org", source="import")


def test_a_contact_keeps_what_it_holds_and_fills_blanks_with_the_area_from_the_postcode(council):
    ward = AreaFactory(organisation=council, code="E05000001")
    ward.postcodes.create(organisation=council, postcode="M4 6AA")
    contact = contact_for_email(organisation=council, email="ann@example.org", source="survey")
    contact_for_email(
        organisation=council, email="ann@example.org", source="survey", name="Ann", postcode="m46aa"
    )
    contact_for_email(organisation=council, email="ann@example.org", source="survey", name="Bob")
    contact.refresh_from_db()
    assert (contact.name, contact.postcode, contact.area) == ("Ann", "M4 6AA", ward)


def test_consent_state_follows_the_latest_event_and_the_history_is_kept(council, newsletter):
    contact = contact_for_email(organisation=council, email="ann@example.org", source="survey")
    start = timezone.now() - timedelta(days=10)
    assert not consent_is_live(contact=contact, purpose=newsletter)

    consent_give(
        contact=contact, purpose=newsletter, method="sign-up form", wording="Yes", at=start
    )
    assert consent_is_live(contact=contact, purpose=newsletter)
    assert list(Contact.objects.with_live_consent(newsletter)) == [contact]

    consent_withdraw(
        contact=contact, purpose=newsletter, method="unsubscribe link", at=start + timedelta(days=1)
    )
    assert not consent_is_live(contact=contact, purpose=newsletter)
    assert list(Contact.objects.with_live_consent(newsletter)) == []

    consent_give(
        contact=contact,
        purpose=newsletter,
        method="my data page",
        wording="Yes again",
        at=start + timedelta(days=2),
    )
    assert list(Contact.objects.with_live_consent(newsletter)) == [contact]
    assert list(contact.consent_events.values_list("action", "method")) == [
        ("given", "sign-up form"),
        ("withdrawn", "unsubscribe link"),
        ("given", "my data page"),
    ]


def test_consent_for_another_organisations_purpose_is_refused(council, newsletter):
    stranger = contact_for_email(
        organisation=OrganisationFactory(), email="bob@example.org", source="survey"
    )
    with pytest.raises(ValueError, match="own organisation"):
        consent_give(contact=stranger, purpose=newsletter, method="form", wording="Yes")
    assert not ConsentEvent.objects.exists()


def test_a_feature_records_participation_once_with_the_consent_given(council):
    department = DepartmentFactory(organisation=council)
    notice = Notice.objects.create(department=department, title="Bus lanes")
    outcome = ConsentPurpose.objects.create(
        organisation=council,
        slug="bus-lanes-outcome",
        name="Bus lanes outcome",
        description=WORDING,
        item=notice,
    )
    for _attempt in range(2):  # a replayed submission records nothing new
        activity = participation_record(
            organisation=council,
            email="ann@example.org",
            name="Ann",
            kind="response",
            item=notice,
            item_title=notice.title,
            reference="response-17",
            source="survey",
            department=department,
            consents=[ConsentGiven(outcome, WORDING, "Bus lanes survey")],
        )
    contact = Contact.objects.get()
    assert contact.activities.count() == 1
    assert (activity.item, activity.item_title, activity.kind) == (notice, "Bus lanes", "response")
    assert consent_is_live(contact=contact, purpose=outcome)
    assert contact.consent_events.get().wording == WORDING


def test_taking_part_with_a_consent_is_recorded_under_the_items_department_and_council(council):
    department = DepartmentFactory(organisation=council)
    notice = Notice.objects.create(department=department, title="Bus lanes")
    outcome = ConsentPurpose.objects.create(
        organisation=council, slug="bus-lanes", name="Bus lanes", description=WORDING, item=notice
    )
    resident = UserFactory(email="ann@example.org", name="Ann Lee")

    # A signed-in resident, who asks to hear more: their account's address and name.
    signed_in = participation_with_consent(
        item=notice, item_title=notice.title, kind="point", reference="point-1", source="debate",
        user=resident, consent=ConsentGiven(outcome, WORDING, "Bus lanes debate"),
    )  # fmt: skip
    # Someone without an account (an event's registrant), who asks for nothing.
    visitor = participation_with_consent(
        item=notice, item_title=notice.title, kind="registration", reference="registration-1",
        source="event", email="bob@example.org", name="Bob", postcode="M1 1AE",
    )  # fmt: skip

    ann, bob = signed_in.contact, visitor.contact
    assert (ann.organisation, ann.user, ann.name) == (council, resident, "Ann Lee")
    assert (bob.organisation, bob.user, bob.name, bob.postcode) == (council, None, "Bob", "M1 1AE")
    assert {signed_in.department, visitor.department} == {department}
    assert consent_is_live(contact=ann, purpose=outcome)
    assert not bob.consent_events.exists()
