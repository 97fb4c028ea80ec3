"""seed_demo gives facilitators a sent campaign with figures to look at, and a draft to try."""

import pytest
from django.core.management import call_command

from contacts.models import ConsentPurpose, Contact
from mailing.models import Campaign, DeliveryEvent


@pytest.mark.django_db
def test_seed_demo_has_a_sent_newsletter_with_figures_and_a_draft():
    call_command("seed_demo")
    call_command("seed_demo")

    sent = Campaign.objects.get(name="October newsletter")
    draft = Campaign.objects.get(name="November newsletter")
    newsletter = ConsentPurpose.objects.get(slug="newsletter")
    readers = Contact.objects.with_live_consent(newsletter).count()
    figures = sent.deliveries.figures()
    assert (sent.status, draft.status) == ("sent", "draft")
    assert readers == 181  # 200 agreed, 19 of them withdrew later
    assert figures["total"] == figures["sent"] == readers
    assert figures["delivered"] + figures["bounced"] == readers
    assert (figures["bounced"], figures["opened"], figures["clicked"]) == (7, 59, 8)
    assert DeliveryEvent.objects.filter(event_type="clicked").count() == 8
