""" "My data" (see, download or delete what is held about you) is reachable from the header of a
signed-in resident, every page's footer, the privacy notice and the foot of every e-mail."""

from __future__ import annotations

import re

import pytest

from mailing.models import Delivery
from mailing.services import transactional_enqueue_many
from tests.factories import UserFactory
from tests.pages import assert_page

MY_DATA = '<a class="{cls}" href="/my-data/">My data</a>'
OUTBOX = {
    "default": {"BACKEND": "mailing.backends.OutboxBackend"},
    "outbound": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
}


def _header(html: str) -> str:
    return re.search(r"<header.*?</header>", html, re.S).group(0)


def _footer(html: str) -> str:
    return re.search(r"<footer.*?</footer>", html, re.S).group(0)


@pytest.mark.django_db
def test_a_signed_in_resident_finds_my_data_in_the_header(client):
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert MY_DATA.format(cls="govuk-service-navigation__link") in _header(html)


@pytest.mark.django_db
def test_the_header_of_someone_not_signed_in_leaves_it_to_the_footer(client):
    html = assert_page(client.get("/"), heading="Have your say")
    assert "/my-data/" not in _header(html)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/privacy/", "/accounts/login/", "/my-data/"])
def test_every_pages_footer_links_to_my_data(client, path):
    html = client.get(path).content.decode()
    assert MY_DATA.format(cls="govuk-footer__link") in _footer(html)


@pytest.mark.django_db
def test_the_privacy_notice_says_how_to_use_my_data(client):
    html = client.get("/privacy/").content.decode()
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    assert '<a class="govuk-link" href="/my-data/">My data</a>' in main


def _ends_with_my_data(text: str, site_url: str) -> bool:
    last = text.rstrip().splitlines()[-1]
    return last.startswith("My data:") and last.endswith(f"{site_url}/my-data/")


@pytest.mark.django_db
def test_mail_sent_through_the_outbox_ends_with_the_my_data_link(client, settings):
    settings.MAILERS = OUTBOX
    settings.CIVIC_SITE_URL = "https://participate.example.gov.uk"
    UserFactory(email="ann@example.org")
    client.post("/accounts/password/reset/", {"email": "ann@example.org"})  # allauth's mail
    transactional_enqueue_many(
        [
            {
                "organisation": None,
                "to_email": "bob@example.org",
                "subject": "Confirm your signature",
                "text": "Open the link.",
                "html": "<html><body><p>Open the link.</p></body></html>",
            }
        ]
    )
    reset, confirmation = Delivery.objects.order_by("pk")
    for delivery in (reset, confirmation):
        assert _ends_with_my_data(delivery.message["text"], settings.CIVIC_SITE_URL)
    html = confirmation.message["html"]
    assert html.endswith('">My data</a></p></body></html>')
    assert html.count("https://participate.example.gov.uk/my-data/") == 1
