"""Signing a petition through its pages: the form, its mistakes next to their fields, the same
"check your e-mail" page whatever happened, confirming only with the button, and the refusals
(closed, spam, too many at once) that store nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from mailing.models import Delivery
from petitions.models import Petition, Signature
from petitions.services.signing import confirmations_send, start_token
from tests.pages import assert_page
from tests.petitions.conftest import drawn_token, make_petition

pytestmark = pytest.mark.django_db


def sign_data(**overrides) -> dict:
    data = {
        "name": "Ann Signer",
        "email": "ann@example.org",
        "postcode": "m4 6aa",
        "lives_here": "on",
        "started": drawn_token(),
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def sign_url(petition: Petition) -> str:
    return f"/petitions/{petition.pk}/sign/"


def confirm_path(delivery: Delivery) -> str:
    match = re.search(r"https?://[^/\s]+(/petitions/\d+/confirm/\S+/)", delivery.message["text"])
    assert match, delivery.message["text"]
    return match.group(1)


@pytest.fixture
def petition(council) -> Petition:
    return make_petition(council)


@pytest.mark.parametrize("where", ["detail", "sign"])
def test_the_petition_page_and_the_sign_page_draw_the_signing_form(client, petition, where):
    url = f"/petitions/{petition.pk}/" if where == "detail" else sign_url(petition)

    heading = petition.title if where == "detail" else "Sign this petition"
    html = assert_page(client.get(url), heading=heading)

    assert f'action="/petitions/{petition.pk}/sign/"' in html
    for name in ("name", "email", "postcode", "lives_here", "hears_progress", "website"):
        assert f'name="{name}"' in html
    assert re.search(r'name="started" value="[^"]+"', html)
    assert "I live, work or study in the area of Northbridge City Council" in html
    hears = re.search(r"<input[^>]*name=\"hears_progress\"[^>]*>", html, re.S).group(0)
    assert "checked" not in hears


def test_a_signature_is_stored_pending_and_the_confirmation_link_is_mailed(client, petition):
    response = client.post(sign_url(petition), sign_data(hears_progress="on"))

    assert response.status_code == 302
    assert response["Location"] == f"/petitions/{petition.pk}/signed/"
    signature = Signature.objects.get()
    assert (signature.petition, signature.status) == (petition, Signature.Status.PENDING)
    assert (signature.name, signature.email, signature.postcode) == (
        "Ann Signer",
        "ann@example.org",
        "M4 6AA",
    )
    assert signature.area.name == "Ancoats"
    assert signature.hears_progress is True
    assert signature.is_supporter is False
    confirmations_send()  # the worker, within a second of signing
    delivery = Delivery.objects.get()
    assert delivery.to_email == "ann@example.org"
    assert confirm_path(delivery).startswith(f"/petitions/{petition.pk}/confirm/")
    page = client.get(response["Location"])
    assert_page(page, heading="Check your e-mail")
    assert "Check your e-mail" in page.content.decode()
    assert "ann@example.org" not in page.content.decode()


def test_hearing_about_progress_is_off_unless_ticked(client, petition):
    client.post(sign_url(petition), sign_data())

    assert Signature.objects.get().hears_progress is False


def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_stored(client, petition):
    response = client.post(
        sign_url(petition),
        sign_data(name="  ", email="not-an-address", postcode="nowhere", lives_here=None),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>\s*Error:", html)
    start = html.index('class="govuk-error-summary"')
    summary = html[start : html.index("</ul>", start)]
    for field in ("name", "email", "postcode", "lives_here"):
        assert f'href="#id_{field}"' in summary
        assert f'id="id_{field}_error"' in html
    assert "Enter your name" in html
    assert "Enter an e-mail address in the correct format, like name@example.com" in html
    assert "Confirm that you live, work or study in the area to sign" in html
    assert 'value="not-an-address"' in html  # what was typed is kept
    assert Signature.objects.count() == 0
    confirmations_send()  # the worker, within a second of signing
    assert Delivery.objects.count() == 0


def test_a_repeat_signature_sees_the_same_page_and_stores_nothing_more(client, petition):
    first = client.post(sign_url(petition), sign_data())
    again = client.post(sign_url(petition), sign_data(name="Ann Signer"))

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/petitions/{petition.pk}/signed/"
    assert Signature.objects.count() == 1
    # The owner of the address is told of the attempt instead of the form saying so.
    confirmations_send()  # the worker, within a second of signing
    assert Delivery.objects.filter(to_email="ann@example.org").count() == 2


def test_the_link_opens_a_button_and_only_pressing_it_confirms(client, petition):
    client.post(sign_url(petition), sign_data())
    confirmations_send()  # the worker, within a second of signing
    path = confirm_path(Delivery.objects.get())

    page = client.get(path)

    assert page.status_code == 200
    assert "Confirm my signature" in page.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING

    pressed = client.post(path)

    assert pressed.status_code == 302
    assert pressed["Location"] == path
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    thanks = assert_page(client.get(path), heading="Thank you for signing")
    assert "Thank you for signing" in thanks
    assert f'href="/petitions/{petition.pk}/"' in thanks
    assert "Confirm my signature" not in thanks
    assert client.post(path).status_code == 302  # pressed twice: nothing more happens
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_a_bad_link_shows_a_clear_page_and_confirms_nothing(client, council, petition):
    client.post(sign_url(petition), sign_data())
    confirmations_send()  # the worker, within a second of signing
    path = confirm_path(Delivery.objects.get())
    token = path.rstrip("/").rsplit("/", 1)[1]
    other = make_petition(council, title="Another petition")

    for bad in (
        f"/petitions/{petition.pk}/confirm/nonsense/",
        f"/petitions/{petition.pk}/confirm/{token[:-3]}abc/",
        f"/petitions/{other.pk}/confirm/{token}/",
    ):
        for method in (client.get, client.post):
            response = method(bad)
            assert response.status_code == 404
            assert "This link does not work" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_an_expired_link_shows_a_clear_page(client, petition, settings):
    settings.CIVIC_PETITION_CONFIRM_DAYS = 7
    long_ago = timezone.now().timestamp() - 8 * 86400
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        client.post(sign_url(petition), sign_data())
        confirmations_send()  # the worker, within a second of signing
    path = confirm_path(Delivery.objects.get())

    response = client.post(path)

    assert response.status_code == 404
    assert "older than 7 days" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_a_closed_petition_takes_no_signatures(client, council):
    closed = make_petition(council, closes_at=timezone.now() - timedelta(days=1))

    page = assert_page(
        client.get(f"/petitions/{closed.pk}/"), heading="Plant more trees on Oxford Road"
    )
    refused = client.post(sign_url(closed), sign_data())

    assert 'name="email"' not in page
    assert "This petition is closed" in page
    assert_page(refused, heading="Sign this petition")
    assert "This petition is not open for signatures." in refused.content.decode()
    assert 'name="email"' not in refused.content.decode()
    assert Signature.objects.count() == 0
    confirmations_send()  # the worker, within a second of signing
    assert Delivery.objects.count() == 0


def test_a_rejected_petition_takes_no_signatures(client, council):
    rejected = make_petition(
        council,
        status=Petition.Status.REJECTED,
        rejection_reason=Petition.Reason.DUPLICATE,
        rejection_details="See the petition about trees.",
    )

    response = client.post(sign_url(rejected), sign_data())

    assert "This petition is not open for signatures." in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_confirmation_after_the_petition_closed_is_refused_clearly(client, petition):
    client.post(sign_url(petition), sign_data())
    confirmations_send()  # the worker, within a second of signing
    path = confirm_path(Delivery.objects.get())
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now())

    opened = client.get(path)
    pressed = client.post(path)

    for response in (opened, pressed):
        assert_page(response, heading="Confirm your signature")
        html = response.content.decode()
        assert "This petition closed before the signature was confirmed." in html
        assert "Confirm my signature" not in html
    assert Signature.objects.get().status == Signature.Status.PENDING


@pytest.mark.parametrize(
    "overrides",
    [{"website": "http://spam.example"}, {"started": ""}, {"started": "forged"}],
    ids=["honeypot", "no-token", "forged-token"],
)
def test_a_filled_honeypot_or_a_missing_token_stores_nothing(client, petition, overrides):
    response = client.post(sign_url(petition), sign_data(**overrides))

    assert response.status_code == 200
    assert "We could not accept that just now" in response.content.decode()
    assert Signature.objects.count() == 0
    confirmations_send()  # the worker, within a second of signing
    assert Delivery.objects.count() == 0


def test_a_form_sent_faster_than_a_person_could_stores_nothing(client, petition, settings):
    settings.CIVIC_PETITION_MIN_SECONDS = 3

    response = client.post(sign_url(petition), sign_data(started=start_token()))

    assert "We could not accept that just now" in response.content.decode()
    assert Signature.objects.count() == 0


def test_too_many_signatures_from_one_connection_answer_429(client, petition, settings):
    settings.CIVIC_PETITION_SIGN_BURST = "2/m"
    answers = [
        client.post(sign_url(petition), sign_data(email=f"person{number}@example.org"))
        for number in range(3)
    ]

    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert "too many signatures from your internet connection" in answers[2].content.decode()
    assert Signature.objects.count() == 2


def test_a_petition_gathering_supporters_is_not_signed_through_the_public_form(client, council):
    sponsoring = make_petition(council, status=Petition.Status.SPONSORING)

    assert client.get(sign_url(sponsoring)).status_code == 404
    assert client.post(sign_url(sponsoring), sign_data()).status_code == 404
    assert Signature.objects.count() == 0
