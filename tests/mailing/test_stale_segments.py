"""A campaign whose segment names a tag that has since been deleted: the segment engine refuses
it (contacts.segments) rather than quietly sending to fewer people, so the campaign's page says
why it cannot be sent, sending now is refused, and the sweep leaves it waiting and starts the
rest."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from contacts.models import Segment
from mailing.models import Campaign, Delivery
from mailing.services import mailing_sweep
from tests.pages import assert_page

pytestmark = pytest.mark.django_db

GONE = "There is no tag called 'knitters'"


@pytest.fixture
def stale(newsletter):
    newsletter.subscribe(3)
    tag = newsletter.council.tags.create(name="knitters")
    segment = Segment.objects.create(
        organisation=newsletter.council,
        name="Knitters",
        definition={"conditions": [{"field": "tag", "value": "knitters"}]},
    )
    tag.delete()
    return segment


def test_the_campaign_page_says_what_is_gone_and_sending_now_is_refused(newsletter, stale, client):
    campaign = newsletter.campaign()
    campaign.segments.set([stale])
    client.force_login(newsletter.facilitator)
    url = f"/admin/mailing/campaign/{campaign.pk}/change/"

    html = unescape(assert_page(client.get(url), heading="Change campaign"))
    assert GONE in html
    assert "cannot be sent" in html
    assert "Send now to" not in html
    response = client.post(f"/admin/mailing/campaign/{campaign.pk}/send/", {"action": "send_now"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not Delivery.objects.exists()


def test_the_sweep_leaves_a_campaign_with_a_stale_segment_waiting_and_starts_the_others(
    newsletter, stale
):
    due = timezone.now() - timedelta(minutes=1)
    waiting = newsletter.campaign(status=Campaign.Status.SCHEDULED, scheduled_for=due)
    waiting.segments.set([stale])
    fine = newsletter.campaign(status=Campaign.Status.SCHEDULED, scheduled_for=due)

    figures = mailing_sweep()

    assert figures["started"] == 1
    waiting.refresh_from_db()
    fine.refresh_from_db()
    assert (waiting.status, fine.status) == (Campaign.Status.SCHEDULED, Campaign.Status.SENDING)
    assert Delivery.objects.filter(campaign=fine).count() == 3
    assert not Delivery.objects.filter(campaign=waiting).exists()
