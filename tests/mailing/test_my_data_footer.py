"""A campaign ends with the same "My data" footer as every other e-mail, and its test send
carries it once."""

from __future__ import annotations

import pytest

from mailing.models import Delivery
from mailing.services import campaign_preview, campaign_test_send

SITE = "https://participate.example.gov.uk"


@pytest.mark.django_db
def test_a_campaign_and_its_test_send_carry_the_my_data_link_once(newsletter, settings):
    settings.CIVIC_SITE_URL = SITE
    settings.MAILERS = {
        "default": {"BACKEND": "mailing.backends.OutboxBackend"},
        "outbound": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    campaign = newsletter.campaign()

    preview = campaign_preview(campaign=campaign, contact=None)
    assert preview["text"].rstrip().splitlines()[-1] == (
        f"My data: see, download or delete what civic holds about you, or stop e-mails, at "
        f"{SITE}/my-data/"
    )
    assert f'<a href="{SITE}/my-data/" style="color:#1d70b8;">My data</a>' in preview["html"]

    campaign_test_send(campaign=campaign, actor=newsletter.facilitator)
    sent = Delivery.objects.get().message
    assert sent["text"].count(f"{SITE}/my-data/") == 1
    assert sent["html"].count(f"{SITE}/my-data/") == 1
