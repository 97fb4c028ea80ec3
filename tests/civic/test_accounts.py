"""Accounts by e-mail with django-allauth: verification, scanner-safe confirmation, rate limits."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command

from civic.models import User
from tests.factories import UserFactory


def _confirmation_path(message) -> str:
    return re.search(r"https?://[^/]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


@pytest.mark.django_db
def test_signing_up_by_email_sends_a_verification_link_and_no_username_is_asked(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Resident@Example.org",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "resident@example.org"
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["resident@example.org"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_mail_scanner_following_the_link_confirms_nothing_but_the_button_does(client):
    client.post(
        "/accounts/signup/",
        {
            "email": "resident@example.org",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
    )
    path = _confirmation_path(mail.outbox[0])
    scanner = client.get(path)
    assert scanner.status_code == 200
    assert EmailAddress.objects.get().verified is False
    assert b'method="post"' in scanner.content

    confirmed = client.post(path)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get().verified is True


@pytest.mark.django_db
def test_an_unverified_account_cannot_sign_in(client):
    UserFactory(email="new@example.org", verified=False)
    response = client.post(
        "/accounts/login/", {"login": "new@example.org", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_failed_sign_ins_are_refused_even_with_the_right_password(client):
    UserFactory(email="resident@example.org")
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": "resident@example.org", "password": "wrong one"})
    response = client.post(
        "/accounts/login/", {"login": "resident@example.org", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200  # the form again, with the refusal beside it
    assert "_auth_user_id" not in client.session
    assert "Too many failed attempts to sign in" in response.content.decode()


@pytest.mark.django_db
def test_a_bad_sign_in_shows_the_error_summary_and_signs_nobody_in(client):
    response = client.post("/accounts/login/", {"login": "not-an-email", "password": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_sends_a_link_without_revealing_whether_the_account_exists(client):
    UserFactory(email="resident@example.org")
    known = client.post("/accounts/password/reset/", {"email": "resident@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [message.to for message in mail.outbox] == [
        ["resident@example.org"],
        ["nobody@example.org"],
    ]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


@pytest.mark.django_db
def test_a_site_admin_created_as_the_operations_guide_says_can_sign_in_at_once(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long admin passphrase")
    call_command("createsuperuser", "--noinput", "--email", "Admin@Council.example")

    response = client.post(
        "/accounts/login/",
        {"login": "admin@council.example", "password": "a long admin passphrase"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)
    assert client.get("/admin/").status_code == 200
    assert mail.outbox == []  # nothing to verify: the operator typed the address on the server
