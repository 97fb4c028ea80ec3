"""Screenshots for the staff guides in docs/, taken from the demo data in Chromium at 1280 px.

    DATABASE_URL=postgres://... .venv/bin/python docs/screenshots.py

It makes a throwaway database (as the tests do, named after DATABASE_URL's with "_screenshots"
after it, so that the tests' own is left alone), loads the demo data into it (`seed_demo`),
adds the few things the guides show that the demo leaves out (a draft whose survey cannot be
finished, a finished contact import), serves the site from this process, and writes one PNG per
staff flow to docs/images/, cropped to the page's main content. Nothing is changed in any
database but the throwaway one, which is removed at the end. Run it again after changing a page
the guides show, and commit the PNGs. Queued background work goes to CELERY_BROKER_URL and is
never run: point it at a broker no worker reads.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
WIDTH = 1280
# Taller pages are cut at this height: the guides show the top of each page.
MOST_HEIGHT = 1300

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic.settings")
os.environ.setdefault("CIVIC_TESTING", "1")


@contextmanager
def served():
    """The site, served by this process on a free port, as Django's live-server tests serve it."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()


def signed_in(browser, base_url: str, email: str, *, javascript: bool = True):
    """A page of a new browser context, signed in as the demo's member of staff `email`."""
    from django.conf import settings
    from django.test import Client

    from civic.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 900},
        base_url=base_url,
        java_script_enabled=javascript,
    )
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def shoot(page, name: str) -> Path:
    """The page's main content (the admin's #content), at most MOST_HEIGHT px of it."""
    box = page.locator("#content").bounding_box()
    clip = {
        "x": box["x"],
        "y": box["y"],
        "width": min(box["width"], WIDTH - box["x"]),
        "height": min(box["height"], MOST_HEIGHT),
    }
    path = IMAGES / f"{name}.png"
    page.screenshot(path=str(path), clip=clip, full_page=True)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
    return path


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


# What the guides show, besides the demo data ------------------------------------------------------


def unfinishable_draft():
    """A draft with a choice question that has no answers and no contact details."""
    from datetime import timedelta

    from django.utils import timezone

    from civic.models import Department
    from consultations.models import Consultation, Question, SurveyPage

    now = timezone.now()
    draft = Consultation.objects.create(
        department=Department.objects.get(organisation__slug="northbridge", slug="transport"),
        title="Bridge Street crossing",
        slug="bridge-street-crossing",
        summary="Where should the new crossing on Bridge Street go?",
        opens_at=now + timedelta(days=3),
        closes_at=now + timedelta(days=40),
    )
    page = SurveyPage.objects.create(consultation=draft, title="The crossing", position=0)
    Question.objects.create(
        page=page, position=0, kind="single_choice", text="Which end of the street?"
    )
    SurveyPage.objects.create(consultation=draft, title="About you", position=1)
    return draft


def finished_import():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civic.models import Organisation, User
    from contacts.services import imports

    facilitator = User.objects.get(email="facilitator@northbridge.example")
    council = Organisation.objects.get(slug="northbridge")
    rows = (
        "Email,Name,Postcode,Tag\n"
        "amal.h@example.org,Amal Hussain,M4 6AA,cyclists\n"
        "jo.p@example.org,Jo Parker,M3 4AB,parents\n"
        "not-an-address,Lee Wong,,\n"
        "kit.m@example.org,Kit Morris,M15 4AA,cyclists\n"
    )
    contact_import = imports.contact_import_upload(
        actor=facilitator,
        organisation=council,
        uploaded_file=SimpleUploadedFile("summer-fair.csv", rows.encode()),
    )
    imports.contact_import_start(
        actor=facilitator,
        contact_import=contact_import,
        mapping={"Email": "email", "Name": "name", "Postcode": "postcode", "Tag": "tag"},
    )
    imports.contact_import_run(contact_import_id=contact_import.pk)
    return contact_import


# The flows ----------------------------------------------------------------------------------------


def take(browser, base_url: str) -> None:
    from consultations.models import Consultation
    from mailing.models import Campaign

    IMAGES.mkdir(parents=True, exist_ok=True)
    officer, facilitator = "officer@northbridge.example", "facilitator@northbridge.example"

    # The segment builder: conditions chosen from lists, and the count (without JavaScript, the
    # buttons draw the page again; it looks the same with it).
    page = signed_in(browser, base_url, facilitator, javascript=False)
    page.goto("/admin/contacts/segment/add/")
    page.get_by_label("Name:").fill("Ancoats cyclists who want transport news")
    for index, (field, value) in enumerate(
        [("Tag", "cyclists"), ("Consented to", "Transport consultations"), ("Ward", "Ancoats Ward")]
    ):
        if index:
            submit(page, page.get_by_role("button", name="Add a condition"))
        page.locator(f"#id_c{index}-field").select_option(label=field)
        page.locator(f"#id_c{index}-value").select_option(label=value)
    submit(page, page.get_by_role("button", name="Show count"))
    shoot(page, "segment-builder")
    page.context.close()

    # The survey builder: one survey page with its questions inline.
    page = signed_in(browser, base_url, officer)
    consultation = (
        Consultation.objects.filter(department__slug="transport", pages__questions__isnull=False)
        .order_by("pk")
        .first()
    )
    first_page = consultation.pages.order_by("position").first()
    page.goto(f"/admin/consultations/consultation/{consultation.pk}/survey/pages/{first_page.pk}/")
    shoot(page, "survey-builder-page")
    page.goto(f"/admin/consultations/consultation/{consultation.pk}/survey/")
    shoot(page, "survey-builder")

    # The check before publishing, with problems.
    draft = unfinishable_draft()
    page.goto(f"/admin/consultations/consultation/{draft.pk}/publish/")
    shoot(page, "publish-check")

    page.context.close()

    # A consultation's outcome, on its own page (the organisation's admin runs every
    # department's).
    page = signed_in(browser, base_url, "orgadmin@northbridge.example")
    closed = Consultation.objects.filter(decisions__isnull=False).order_by("pk").first()
    page.goto(f"/admin/consultations/consultation/{closed.pk}/outcome/")
    shoot(page, "outcome")
    page.context.close()

    # A finished import's summary, and the confirmation before sending a campaign.
    page = signed_in(browser, base_url, facilitator)
    contact_import = finished_import()
    page.goto(f"/admin/contacts/contactimport/{contact_import.pk}/change/")
    shoot(page, "import-summary")
    campaign = Campaign.objects.filter(status=Campaign.Status.DRAFT).order_by("pk").first()
    page.goto(f"/admin/mailing/campaign/{campaign.pk}/send/confirm/")
    shoot(page, "campaign-send-confirm")
    page.context.close()


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment, teardown_test_environment
    from playwright.sync_api import sync_playwright

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_screenshots"
    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)
    databases = runner.setup_databases()
    try:
        call_command("seed_demo", verbosity=0)
        # Playwright's sync API runs an event loop in this thread; the ORM calls stay synchronous.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        with served() as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                take(browser, base_url)
            finally:
                browser.close()
                # The ORM's connections made inside Playwright's context, before the database
                # they use is removed.
                connections.close_all()
    finally:
        runner.teardown_databases(databases)
        teardown_test_environment()


if __name__ == "__main__":
    main()
