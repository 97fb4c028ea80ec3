"""The shell pages in headless Chromium at phone and desktop widths, checked by axe-core."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from civic import open_now
from tests.browser import WIDTHS, assert_accessible, assert_no_csp_errors, submit
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHELL_PAGES = [
    ("/", "Have your say"),
    ("/accessibility/", "Accessibility statement"),
    ("/privacy/", "Privacy notice"),
    ("/cookies/", "Cookies"),
    ("/accounts/login/", "Sign in"),
    ("/accounts/signup/", "Create an account"),
    ("/accounts/password/reset/", "Reset your password"),
]


@pytest.fixture
def open_items():
    def items(*, organisation=None, limit=5):
        return [
            open_now.OpenItem(
                "Bus lanes on Oxford Road", "/", "Northbridge City Council", "Tell us", "Open"
            )
        ]

    kept = dict(open_now._sections)
    open_now.register(open_now.OpenSection("surveys", "Consultations", 10, items))
    yield
    open_now._sections.clear()
    open_now._sections.update(kept)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "heading"), SHELL_PAGES)
def test_each_shell_page_passes_axe_at_phone_and_desktop_width(
    page_at, open_items, path, heading, width
):
    OrganisationFactory(name="Northbridge City Council", slug="northbridge")
    OrganisationFactory(name="Eastmoor Borough Council", slug="eastmoor")
    page = page_at(width)
    response = page.goto(path)
    assert response.status == 200
    assert heading.lower() in page.locator("h1").inner_text().lower()
    assert page.locator("h1").count() == 1
    assert page.locator("main#main-content").count() == 1
    assert_accessible(page)
    assert_no_csp_errors(page)
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{path} scrolls sideways at {width} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_form_with_errors_passes_axe_and_links_the_summary_to_the_field(page_at, width):
    page = page_at(width)
    page.goto("/accounts/login/")
    submit(page, page.get_by_role("button", name=re.compile("Sign in", re.I)))
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    assert_accessible(page)


def test_the_skip_link_is_the_first_thing_a_keyboard_reaches(page_at):
    page = page_at(1280)
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_verification_and_confirmation_pages_pass_axe(page_at, width):
    page = page_at(width)
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("resident@example.org")
    page.get_by_label("Create a password").fill("a long passphrase")
    page.get_by_label("Confirm password").fill("a long passphrase")
    submit(page, page.get_by_role("button", name="Create account"))
    assert page.locator("h1").inner_text() == "Check your email"
    assert_accessible(page)
    page.goto(_confirmation_path())
    assert "confirm" in page.locator("h1").inner_text().lower()
    assert_accessible(page)


def _confirmation_path() -> str:
    body = mail.outbox[-1].body
    return re.search(r"https?://[^/]+(/accounts/confirm-email/\S+/)", body).group(1)


def test_a_resident_signs_up_confirms_and_signs_in_with_javascript_off(page_at):
    page = page_at(390, javascript_enabled=False)
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("resident@example.org")
    page.get_by_label("Create a password").fill("a long passphrase")
    page.get_by_label("Confirm password").fill("a long passphrase")
    submit(page, page.get_by_role("button", name="Create account"))
    assert page.locator("h1").inner_text() == "Check your email"

    page.goto(_confirmation_path())
    assert EmailAddress.objects.get(email="resident@example.org").verified is False
    submit(page, page.get_by_role("button", name=re.compile("Confirm", re.I)))
    assert EmailAddress.objects.get(email="resident@example.org").verified is True
    assert page.get_by_role("button", name="Sign out").is_visible()


def test_an_officer_signs_in_and_out_with_javascript_off(page_at):
    UserFactory(email="officer@example.org", is_staff=True)
    page = page_at(1280, javascript_enabled=False)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("officer@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    submit(page, page.get_by_role("button", name=re.compile("Sign in", re.I)))
    assert page.get_by_role("link", name="Admin").is_visible()
    submit(page, page.get_by_role("button", name="Sign out"))
    assert page.get_by_role("link", name="Sign in").is_visible()


SIGNED_IN_ACCOUNT_PAGES = [
    ("/accounts/email/", "Email addresses"),
    ("/accounts/password/change/", "Change your password"),
    ("/accounts/logout/", "Sign out"),
    ("/accounts/reauthenticate/", "Enter your password to continue"),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_each_signed_in_account_page_passes_axe(page_at, width):
    UserFactory(email="resident@example.org")
    page = page_at(width)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("resident@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    submit(page, page.get_by_role("button", name="Sign in"))
    for path, heading in SIGNED_IN_ACCOUNT_PAGES:
        response = page.goto(path)
        assert response.status == 200
        assert page.locator("h1").inner_text() == heading
        assert_accessible(page)
        assert_no_csp_errors(page)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{path} scrolls sideways at {width} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_an_empty_sign_up_passes_axe_and_names_each_field(page_at, width):
    page = page_at(width)
    page.goto("/accounts/signup/")
    submit(page, page.get_by_role("button", name="Create account"))
    summary = page.locator(".govuk-error-summary a")
    assert summary.all_inner_texts() == [
        "Enter your email address",
        "Enter a password",
        "Enter the password again",
    ]
    assert_accessible(page)
