"""Every account page allauth routes speaks the service's own voice: no allauth default wording,
headings in sentence case, errors that name their field, e-mails that name the service, and
one success banner for one thing done."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import UserFactory
from tests.pages import ANY_HEADING, assert_page

# allauth's own words that the house never uses (title case, "finalize", Django's bare error).
ALLAUTH_PHRASES = [
    "Sign Up",
    "Signup",
    "Sign In",
    "Sign Out",
    "Remember Me",
    "finalize",
    "Your Email Address",
    "Email Addresses",
    "Email Address",
    "This field is required.",
    "Forgot your password?",
    "Password (again)",
    "Make Primary",
    "Re-send Verification",
    "Reset My Password",
    "Change Password",
    "Hello from",
    "Please",
]


class _Text(HTMLParser):
    """What a person reads or hears on a page: its text, and the attributes read out."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.h1: list[str] = []
        self._skip = 0
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        if tag == "h1":
            self._in_h1 = True
        for name, value in attrs:
            if name in {"placeholder", "title", "aria-label", "alt"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self._in_h1:
            self.h1.append(data)


def _read(html: str) -> tuple[str, str, str]:
    parser = _Text()
    parser.feed(html)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return (
        " ".join(" ".join(parser.parts).split()),
        " ".join(" ".join(parser.h1).split()),
        " ".join(title.split()),
    )


def _sentence_case(text: str) -> bool:
    """First word capitalised, no other word starting with a capital (but the site's name)."""
    words = text.replace("Error:", "").split()
    if not words or not words[0][0].isupper():
        return False
    allowed = {settings.CIVIC_SITE_NAME, "I"}
    return all(not word[0].isupper() or word in allowed for word in words[1:])


def _allauth_routes() -> list[tuple[str, URLPattern]]:
    """Every URL allauth routes here, found from the URL configuration itself."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif pattern.callback.__module__.startswith("allauth.") and pattern.name:
                found.append((prefix + str(pattern.pattern), pattern))

    walk(get_resolver().url_patterns)
    return found


def _url(name: str, user) -> list[str]:
    """Concrete addresses for a route: a working one and, where it takes a key, a spent one."""
    if name == "account_confirm_email":
        address = EmailAddress.objects.create(user=user, email="second@example.org")
        return [
            reverse(name, args=[EmailConfirmationHMAC(address).key]),
            reverse(name, args=["not-a-key"]),
        ]
    if name == "account_reset_password_from_key":
        uidb36 = user_pk_to_url_str(user)
        return [
            reverse(
                name, kwargs={"uidb36": uidb36, "key": default_token_generator.make_token(user)}
            ),
            reverse(name, kwargs={"uidb36": uidb36, "key": "spent-token"}),
        ]
    return [reverse(name)]


def _check(response, where: str) -> None:
    assert response.status_code < 500, where
    final = response.redirect_chain[-1][0] if getattr(response, "redirect_chain", None) else ""
    if (
        response.status_code != 200
        or "text/html" not in response.get("Content-Type", "")
        or (final and not final.startswith("/accounts/"))
    ):
        return  # a page outside the account pages (home, after signing out) is not theirs
    text, heading, title = _read(assert_page(response, heading=ANY_HEADING))
    for phrase in ALLAUTH_PHRASES:
        assert phrase not in text, f"{where} says {phrase!r}"
    assert _sentence_case(heading), f"{where}: heading {heading!r} is not in sentence case"
    page_title = title.rsplit(" \u2013 ", 1)[0]  # the page, a dash, the site name
    assert _sentence_case(page_title), f"{where}: title {title!r} is not in sentence case"


@pytest.mark.django_db
def test_the_walk_finds_every_page_allauth_routes():
    names = {pattern.name for _path, pattern in _allauth_routes()}
    assert {
        "account_login",
        "account_signup",
        "account_logout",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_email_verification_sent",
        "account_confirm_email",
        "account_email",
        "account_change_password",
        "account_set_password",
        "account_reauthenticate",
        "account_inactive",
    } <= names


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_no_routed_account_page_speaks_allauths_defaults_and_headings_are_sentence_case(
    client, signed_in
):
    user = UserFactory(email="resident@example.org")
    if signed_in:
        client.force_login(user)
    checked = 0
    for _path, pattern in _allauth_routes():
        for url in _url(pattern.name, user):
            shown = client.get(url, follow=True)
            _check(shown, f"GET {url}")
            # The same page with a form sent empty: its errors, in the house's words.
            sent = client.post(shown.redirect_chain[-1][0] if shown.redirect_chain else url, {})
            if sent.status_code == 302:
                sent = client.get(sent["Location"], follow=True)
                sent.redirect_chain.insert(0, (sent.request["PATH_INFO"], 302))
            _check(sent, f"POST {url}")
            checked += 1
            if signed_in and pattern.name == "account_logout":
                client.force_login(user)  # the empty POST signed out
    assert checked >= 16


@pytest.mark.django_db
def test_an_empty_sign_up_names_each_missing_field_once(client):
    response = client.post("/accounts/signup/", {})
    html = assert_page(response, heading="Create an account")
    summary = re.search(r'class="govuk-error-summary".*?</ul>', html, re.S).group(0)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("id_email", "Enter your email address"),
        ("id_password1", "Enter a password"),
        ("id_password2", "Enter the password again"),
    ]
    assert "This field is required." not in html


@pytest.mark.django_db
def test_different_passwords_are_named_in_the_houses_words(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "ann@example.org", "password1": "a long passphrase", "password2": "another one"},
    )
    assert "Enter the same password in both boxes" in response.content.decode()


@pytest.mark.django_db
def test_the_verification_email_names_the_service_not_the_host(client, settings):
    settings.CIVIC_SITE_NAME = "Northbridge Have Your Say"
    client.post(
        "/accounts/signup/",
        {
            "email": "ann@example.org",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
        HTTP_HOST="127.0.0.1:8201",
    )
    (message,) = mail.outbox
    assert message.subject == "Confirm your email address for Northbridge Have Your Say"
    assert "Northbridge Have Your Say" in message.body
    assert "Hello from" not in message.body
    assert "127.0.0.1:8201" not in message.body.replace("http://127.0.0.1:8201/accounts/", "")


def _banners(html: str) -> list[str]:
    return re.findall(r'<p class="govuk-notification-banner__heading">(.*?)</p>', html, re.S)


@pytest.mark.django_db
def test_confirming_an_address_shows_one_success_banner(client):
    client.post(
        "/accounts/signup/",
        {
            "email": "ann@example.org",
            "password1": "a long passphrase",
            "password2": "a long passphrase",
        },
        follow=True,  # to the page that says to check one's e-mail, as a browser does
    )
    path = re.search(r"https?://[^/]+(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    confirmed = client.post(path, follow=True)
    assert "_auth_user_id" in client.session
    assert [" ".join(text.split()) for text in _banners(confirmed.content.decode())] == [
        "Your email address ann@example.org is confirmed."
    ]


@pytest.mark.django_db
def test_a_password_reset_walks_through_pages_in_the_houses_words(client):
    UserFactory(email="ann@example.org")
    sent = client.post("/accounts/password/reset/", {"email": "ann@example.org"}, follow=True)
    assert _read(sent.content.decode())[1] == "Check your email"
    (message,) = mail.outbox
    assert message.subject == "Reset your password for civic"
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert _read(form.content.decode())[1] == "Choose a new password"
    labels = re.findall(
        r'<label class="govuk-label[^"]*" for="([^"]+)">\s*(.*?)\s*</label>', form.content.decode()
    )
    assert labels == [("id_password1", "New password"), ("id_password2", "Confirm new password")]
    done = client.post(
        form.redirect_chain[-1][0],
        {"password1": "a new long passphrase", "password2": "a new long passphrase"},
        follow=True,
    )
    assert _read(done.content.decode())[1] == "Your password has been changed"
    assert client.get(link, follow=True).content.decode().count("This link has expired") == 2
