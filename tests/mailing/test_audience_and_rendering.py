"""Who a campaign reaches, and what each recipient receives: both parts, merge fields with the
contact's values escaped, and the headers mail programs act on."""

from __future__ import annotations

import email.policy
from email import message_from_bytes

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts.models import Segment, Tag
from contacts.services import consent_give, consent_withdraw, contact_for_email
from mailing.messages import CampaignContext
from mailing.models import Campaign, Delivery, Suppression
from mailing.rendering import merge_field_errors
from mailing.services import campaign_audience, campaign_send_now, unsubscribe
from tests.mailing.conftest import make_newsletter

pytestmark = pytest.mark.django_db


def _emails(queryset) -> list[str]:
    return sorted(queryset.values_list("email", flat=True))


def test_the_audience_is_the_segments_less_those_without_consent_unsubscribed_or_suppressed(
    newsletter,
):
    council, purpose = newsletter.council, newsletter.purpose
    cyclists = Tag.objects.create(organisation=council, name="cyclists")
    people = {}
    for name in ("ann", "ben", "cat", "dan", "eve", "fay"):
        people[name] = contact_for_email(
            organisation=council, email=f"{name}@example.org", source="sign_up"
        )
        people[name].tags.add(cyclists)
        consent_give(contact=people[name], purpose=purpose, method="form", wording="Yes")
    never_agreed = contact_for_email(
        organisation=council, email="gus@example.org", source="sign_up"
    )
    never_agreed.tags.add(cyclists)
    consent_withdraw(contact=people["ben"], purpose=purpose, method="my data page")
    unsubscribe(contact=people["cat"], purpose=None, method="Unsubscribe page")
    Suppression.objects.create(organisation=council, email="DAN@example.org", reason="bounced")
    # The same address at another council, subscribed and in a segment there, is not ours.
    eastmoor = make_newsletter("Eastmoor Council", "eastmoor")
    eastmoor.subscribe(1, prefix="eve")
    segment = Segment.objects.create(
        organisation=council,
        name="Cyclists",
        definition={"conditions": [{"field": "tag", "value": "cyclists"}]},
    )
    campaign = newsletter.campaign()
    campaign.segments.set([segment])

    assert _emails(campaign_audience(campaign)) == [
        "ann@example.org",
        "eve@example.org",
        "fay@example.org",
    ]
    # Two overlapping segments count each person once.
    campaign.segments.add(newsletter.everyone)
    assert campaign_audience(campaign).count() == 3
    assert campaign_send_now(campaign=campaign, actor=newsletter.facilitator) == 3
    frozen = Delivery.objects.filter(campaign=campaign).values_list("to_email", flat=True)
    assert sorted(frozen) == ["ann@example.org", "eve@example.org", "fay@example.org"]
    # Freezing again (a retried start) adds nobody.
    from mailing.services import audience_freeze

    assert audience_freeze(campaign) == 0
    assert Delivery.objects.filter(campaign=campaign).count() == 3


def test_a_facilitator_of_another_council_cannot_send_the_campaign(newsletter):
    newsletter.subscribe(2)
    campaign = newsletter.campaign()
    stranger = make_newsletter("Eastmoor Council", "eastmoor").facilitator

    with pytest.raises(PermissionDenied):
        campaign_send_now(campaign=campaign, actor=stranger)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not Delivery.objects.exists()


def test_a_campaign_cannot_be_sent_twice(newsletter):
    newsletter.subscribe(2)
    campaign = newsletter.campaign()
    campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    with pytest.raises(ValidationError):
        campaign_send_now(campaign=campaign, actor=newsletter.facilitator)
    assert Delivery.objects.count() == 2


def _received(newsletter, name: str, **campaign_fields):
    contact = contact_for_email(
        organisation=newsletter.council, email="ann@example.org", source="sign_up"
    )
    contact.name = name
    contact.save()
    campaign = newsletter.campaign(**campaign_fields)
    delivery = Delivery.objects.create(
        organisation=newsletter.council, campaign=campaign, contact=contact, to_email=contact.email
    )
    outgoing = CampaignContext.load(campaign).outgoing(delivery)
    return outgoing, message_from_bytes(outgoing.raw, policy=email.policy.default), delivery


def test_both_parts_carry_the_merge_fields_with_the_contacts_values_escaped_in_html(newsletter):
    _outgoing, message, _delivery = _received(
        newsletter,
        '<b>Ann</b> & "Co"',
        subject="News for {{ contact.first_name }}",
        body='Hello {{ contact.first_name|default:"there" }},\n\n'
        "Read [the plan](/consultations/riverside/) from {{ organisation.name }}.\n\n"
        "<script>alert(1)</script>",
    )
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()

    assert message["Subject"] == "News for <b>Ann</b>"
    assert "Hello &lt;b&gt;Ann&lt;/b&gt;," in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="http://127.0.0.1:8000/consultations/riverside/"' in html
    assert "Northbridge City Council" in html
    assert "Hello <b>Ann</b>," in text
    assert "the plan (http://127.0.0.1:8000/consultations/riverside/)" in text
    assert "/unsubscribe/" in text and "/unsubscribe/" in html


def test_a_missing_name_falls_back_to_the_greeting_default(newsletter):
    _outgoing, message, _delivery = _received(newsletter, "")
    assert "Hello there," in message.get_body(("plain",)).get_content()
    assert message["Subject"] == "News for you"


def test_bulk_messages_carry_one_click_unsubscribe_and_a_stable_message_id(newsletter):
    outgoing, message, delivery = _received(newsletter, "Ann Lee")
    again = CampaignContext.load(delivery.campaign).outgoing(delivery)

    assert message["From"] == "Northbridge City Council <news@northbridge.example>"
    assert message["To"] == "Ann Lee <ann@example.org>"
    assert message["Reply-To"] == "help@northbridge.example"
    https, mailto = (part.strip(" <>") for part in message["List-Unsubscribe"].split(","))
    assert https.startswith("http://127.0.0.1:8000/unsubscribe/")
    assert mailto.startswith("mailto:unsubscribe@127.0.0.1?subject=unsubscribe%20")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == again.message_id == outgoing.message_id
    assert message["Message-ID"].startswith(f"<civic.{delivery.pk}.")


def test_a_line_break_in_a_name_cannot_add_a_header(newsletter):
    _outgoing, message, _delivery = _received(newsletter, "Ann\r\nBcc: everyone@example.org")
    assert message["Bcc"] is None
    assert "everyone@example.org" in message["To"]  # kept as part of the display name


def test_unknown_merge_fields_and_template_tags_are_refused_in_words():
    errors = merge_field_errors("Hi {{ contact.password }} {% include 'x' %} {{ contact.name }}")
    assert len(errors) == 2
    assert "“{{ contact.password }}” is not a merge field" in errors[0]
    assert "Template tags" in errors[1]
