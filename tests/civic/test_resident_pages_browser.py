"""Every page a resident can reach, on the demo data, reflows at 320, 390 and 1280 CSS pixels
(WCAG 2.2, 1.4.10): nothing scrolls sideways or runs out of its column, no word in a heading or
a table is broken across lines, and no tag wraps; and every one passes axe at phone and desktop
width.

The pages are not listed by hand. The demo data of every app (`manage.py seed_demo`) is loaded,
and the pages are found by following links from every page of the URL resolver that takes no
argument, once anonymously and once as the demo resident. Pages reached only from an e-mail or
a form are made below, one entry per route. The test fails for any route of a project app that
neither the crawl nor that list reaches, so a new app's pages are checked from the start.
"""

from __future__ import annotations

import html.parser
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from tests.browser import WIDTHS, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Parts of the URL space that are not for residents: the officers' admin, the API, and the
# webhooks the ESP posts to (mailing.webhook_urls).
NOT_FOR_RESIDENTS = ("admin/", "api/", "anymail/")
# Routes of project apps that answer with something other than a page.
NOT_PAGES = {
    "brand_css": "the stylesheet of the council's colours",
    "healthz": "the operators' health check",
    "petitions:list_json": "JSON",
    "petitions:detail_json": "JSON",
    "consultations:document": "a consultation's document file",
    "consultations:image": "a consultation's image file",
    "budgets:image": "an idea's picture file",
    "budgets:results_json": "JSON",
    "budgets:pabulib": "a Pabulib file to download, not a page",
    "budgets:milestone_photo": "a winning project's milestone photo file",
    "debates:conversation_json": "JSON",
    "events:event_ics": "an event's calendar file",
    "events:calendar": "a calendar feed",
    "events:organisation_calendar": "a calendar feed",
    "events:area_calendar": "a calendar feed",
}
# Examples kept for each route, so that pages in different states (a petition with signatures
# by ward, a rejected one, a debated one) are all seen without checking all of them.
EXAMPLES_PER_ROUTE = 4
BROKEN_WORDS_IN = "h1, h2, h3, h4, th, td, .govuk-tag"


@dataclass(frozen=True)
class Example:
    path: str
    signed_in: bool


def _project_app(module: str) -> bool:
    """Whether a view lives in this project's code rather than in an installed library."""
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        if module == config.name or module.startswith(config.name + "."):
            return base in Path(config.path).resolve().parents and ".venv" not in config.path
    return module.split(".")[0] == "civic"


def _routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) of every URL pattern whose view is the project's own."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            module = getattr(pattern.callback, "__module__", "")
            if route.startswith(NOT_FOR_RESIDENTS) or not _project_app(module):
                continue
            yield route, f"{namespace}{pattern.name}"


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "form" and attributes.get("action"):
            self.links.append(attributes["action"])


def _route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


def _crawl(client: Client, starts: list[str], *, signed_in: bool) -> dict[str, list[Example]]:
    found: dict[str, list[Example]] = {}
    queue = list(starts)
    seen: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        route = _route_of(urlsplit(path).path)
        if route is None or route.startswith(NOT_FOR_RESIDENTS):
            continue
        examples = found.setdefault(route, [])
        if len(examples) >= EXAMPLES_PER_ROUTE:
            continue
        examples.append(Example(path, signed_in))
        response = client.get(path)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for link in parser.links:
            target = urlsplit(urljoin(path, link))
            if target.netloc in ("", "testserver"):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return found


def _made_examples(resident) -> dict[str, list[Example]]:
    """Pages reached from an e-mail, or after a form: each made the way a resident gets there."""
    from budgets.models import Idea, Process
    from consultations.models import Consultation, Response
    from consultations.services.answers import survey_load
    from consultations.services.responding import start_token
    from consultations.services.resume import resume_token
    from contacts.models import ConsentPurpose, Contact
    from contacts.services.my_data import my_data_token
    from mailing.services.unsubscribe import unsubscribe_token
    from petitions.models import Petition, Signature
    from petitions.services import support_token
    from petitions.services.signing import confirm_token

    made: dict[str, list[Example]] = {}

    def add(name: str, path: str, *, signed_in: bool = False):
        made.setdefault(name, []).append(Example(path, signed_in))

    # A survey under way, page by page, and the check page, as the signed-in resident.
    client = Client()
    client.force_login(resident)
    consultation = Consultation.objects.open_at().first()
    start = f"/consultations/{consultation.slug}/respond/"
    response = client.post(start, {"started": start_token(now=time.time() - 60)})
    assert response.status_code == 302, "the demo resident could not start a survey"
    for number in range(1, len(survey_load(consultation).pages) + 1):
        add("consultations:respond_page", f"{start}page/{number}/", signed_in=True)
    add("consultations:respond_check", f"{start}check/", signed_in=True)
    draft = Response.objects.get(user=resident, status=Response.Status.DRAFT)
    add("consultations:respond_resume", f"{start}resume/{resume_token(draft)}/", signed_in=True)
    add("consultations:respond_resume", f"{start}resume/not-a-link/")
    submitted = Response.objects.filter(status=Response.Status.SUBMITTED).first()
    Response.objects.filter(pk=submitted.pk).update(user=resident)
    done = f"/consultations/{submitted.consultation.slug}/respond/done/{submitted.reference}/"
    add("consultations:respond_done", done, signed_in=True)

    pending = Signature.objects.filter(status=Signature.Status.PENDING).first()
    if pending is None:
        pending = Signature.objects.first()
        Signature.objects.filter(pk=pending.pk).update(status=Signature.Status.PENDING)
    add("petitions:confirm", f"/petitions/{pending.petition_id}/confirm/{confirm_token(pending)}/")
    add("petitions:confirm", f"/petitions/{pending.petition_id}/confirm/not-a-link/")
    petition = Petition.objects.first()
    add("petitions:support", f"/petitions/{petition.pk}/support/{support_token(petition)}/")
    add("petitions:support", f"/petitions/{petition.pk}/support/not-a-link/")
    add("petitions:signed", f"/petitions/{petition.pk}/signed/")
    created = Petition.objects.filter(creator=resident).first()
    if created is None:
        Petition.objects.filter(pk=petition.pk).update(creator=resident)
        created = petition
    add("petitions:share", f"/petitions/{created.pk}/share/", signed_in=True)

    # The page where a proposer withdraws their own idea, linked only from their idea's page.
    idea = Idea.objects.filter(
        status=Idea.Status.PROPOSED, process__in=Process.objects.taking_part_at()
    ).first()
    Idea.objects.filter(pk=idea.pk).update(proposer=resident)
    withdraw = f"/budgets/{idea.process.slug}/ideas/{idea.pk}/withdraw/"
    add("budgets:withdraw", withdraw, signed_in=True)
    # The winning projects of a process being built (its idea pages are linked from there).
    building = Process.objects.in_stage(Process.Stage.IMPLEMENTATION).first()
    add("budgets:projects", f"/budgets/{building.slug}/projects/")

    # The ballot pages of the process in its voting phase, once the resident has told it where
    # they live (the first step, on budgets:vote, which the crawl reaches).
    from budgets.models import Elector
    from budgets.voting import budgets_for

    voting = Process.objects.in_stage(Process.Stage.VOTING).first()
    area = voting.budgets.exclude(area=None).order_by("pk").first().area
    elector, _created = Elector.objects.get_or_create(
        process=voting, user=resident, defaults={"area": area}
    )
    for budget in budgets_for(elector):
        add("budgets:ballot", f"/budgets/{voting.slug}/vote/{budget.pk}/", signed_in=True)
    # A process's results: worked out by the worker once voting has closed, and before that.
    from budgets.results import results_sweep

    results_sweep()
    for stage in (Process.Stage.RESULTS, Process.Stage.VOTING):
        process = Process.objects.in_stage(stage).first()
        add("budgets:results", f"/budgets/{process.slug}/results/")

    # A comment the resident has just written: its edit and delete pages are linked only for its
    # author, within the edit window for editing.
    from debates.models import Comment, Debate

    debate = Debate.objects.open_at().filter(comments__isnull=False).distinct().first()
    mine = Comment.objects.create(
        debate=debate, stance="neutral", text="What happens to the market's vans?", author=resident
    )
    Comment.objects.filter(pk=mine.pk).update(thread=mine)
    for action in ("edit", "delete"):
        path = f"/debates/{debate.slug}/comments/{mine.pk}/{action}/"
        add(f"debates:comment_{action}", path, signed_in=True)
    # A debate's comment the resident reports (its "Report" link shows only to signed-in
    # residents), and one that reports have hidden, which keeps its place on the debate's page.
    from civic.models import User
    from debates.models import Comment, Debate, Report
    from debates.moderation import report_add

    debate = Debate.objects.open_at().first()
    supporters = list(User.objects.filter(email__startswith="supporter").order_by("pk")[:4])
    shown, comment = (
        Comment.objects.create(
            debate=debate, stance=Comment.Stance.FOR, text=text, author=supporters[0]
        )
        for text in ("Buses would run on time on Saturdays.", "Rude words about a neighbour.")
    )
    for written in (shown, comment):
        Comment.objects.filter(pk=written.pk).update(thread_id=written.pk)
    for reporter in supporters[1:]:
        report_add(user=reporter, comment=comment, reason=Report.Reason.ABUSE)
    add(
        "debates:comment_report",
        f"/debates/{debate.slug}/comments/{shown.pk}/report/",
        signed_in=True,
    )
    # Stopping following a debate: its page posts there, and only for someone who follows it.
    from debates.following import follow_start
    from debates.models import Debate

    followed = Debate.objects.open_at().first()
    follow_start(user=resident, debate=followed, consents=True)
    add("debates:unfollow", f"/debates/{followed.slug}/unfollow/", signed_in=True)
    # A booking's page from its e-mailed link: a confirmed place and a place on a waiting list,
    # and the page after registering.
    from events.models import Registration
    from events.services.registering import manage_token

    for status in (Registration.Status.CONFIRMED, Registration.Status.WAITING):
        booking = Registration.objects.filter(status=status).order_by("pk").first()
        add("events:manage", f"/events/bookings/{manage_token(booking)}/")
        add("events:registered", f"/events/{booking.event_id}/registered/")
    add("events:manage", "/events/bookings/not-a-link/")

    # Taking part in a conversation with an e-mail address: the form, and the e-mailed link.
    from debates.conversation_email import email_participation_ask, email_token, link_token
    from debates.models import Conversation

    talk = Conversation.objects.open_at().first()
    asked = email_participation_ask(
        conversation=talk,
        email="no-account@example.org",
        token=email_token(now=time.time() - 60),
        ip="203.0.113.77",
    )
    take_part = f"/debates/conversations/{talk.slug}/take-part/"
    add("debates:conversation_email", take_part)
    add("debates:conversation_email_confirm", f"{take_part}{link_token(asked)}/")
    add("debates:conversation_email_confirm", f"{take_part}not-a-link/")

    contact = Contact.objects.filter(email=resident.email).first() or Contact.objects.first()
    add("contacts:my_data_link", f"/my-data/link/{my_data_token(email=contact.email)}/")
    add("contacts:my_data_link", "/my-data/link/not-a-link/")
    add("contacts:data_download", "/my-data/download/not-a-link/")
    purpose = ConsentPurpose.objects.first()
    token = unsubscribe_token(contact=contact, purpose=purpose)
    add("mailing:unsubscribe", f"/unsubscribe/{token}/")
    add("mailing:unsubscribe", "/unsubscribe/not-a-link/")
    add("not found", "/no-such-page/")
    return made


@pytest.fixture
def resident_pages(settings) -> tuple[list[Example], Client]:
    """Every resident page of the demo, and a client signed in as the demo resident."""
    from civic.models import User

    call_command("seed_demo", stdout=io.StringIO())
    resident = User.objects.get(email="resident@example.org")
    starts = [
        "/" + route
        for route, name in _routes()
        if "<" not in route and name not in NOT_PAGES and "(?P" not in route
    ]
    anonymous = _crawl(Client(), starts, signed_in=False)
    signed_in_client = Client()
    signed_in_client.force_login(resident)
    signed_in = _crawl(signed_in_client, starts, signed_in=True)
    made = _made_examples(resident)

    reached = set(anonymous) | set(signed_in)
    made_routes = {
        _route_of(urlsplit(example.path).path) for examples in made.values() for example in examples
    }
    missing = [
        f"{name} ({route})"
        for route, name in _routes()
        if name not in NOT_PAGES and route not in reached and route not in made_routes
    ]
    assert not missing, (
        "no example of these resident pages: link to them from a page, or make one in "
        f"_made_examples, or list them in NOT_PAGES: {', '.join(missing)}"
    )
    anonymous_paths = {example.path for found in anonymous.values() for example in found}
    examples = [
        example
        for found in (anonymous, signed_in, made)
        for route_examples in found.values()
        for example in route_examples
        # a page seen anonymously is not seen again signed in, to keep the run short
        if not (example.signed_in and example.path in anonymous_paths)
        and (
            _route_of(urlsplit(example.path).path) is None
            or resolve(urlsplit(example.path).path).view_name not in NOT_PAGES
        )
    ]
    return list(dict.fromkeys(examples)), signed_in_client


# The words of every heading, table cell and tag, each measured with a Range over the word:
# a word laid out on one line gives one box; a word broken across lines gives one per line.
BROKEN_WORDS = """(selector) => {
  const broken = [];
  for (const element of document.querySelectorAll(selector)) {
    if (!element.getClientRects().length) continue;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.govuk-visually-hidden, [hidden]')) continue;
      for (const word of node.data.matchAll(/[^\\s\\-\\u2010\\u2013\\u2014\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const boxes = [...range.getClientRects()].filter((box) => box.width > 0);
        if (boxes.length > 1) broken.push(`${element.tagName.toLowerCase()} "${word[0]}"`);
      }
    }
  }
  return broken;
}"""
# Text that runs out of its column (an e-mail address past the edge of a sidebar) even where the
# page as a whole does not scroll: each piece of text against the content box of the block that
# holds it.
TEXT_OUTSIDE = """() => {
  const outside = [];
  const main = document.querySelector('main');
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.data.trim() || parent.closest('.govuk-visually-hidden, [hidden], select')) continue;
    let block = parent;
    while (block !== main && getComputedStyle(block).display.startsWith('inline')) {
      block = block.parentElement;
    }
    const style = getComputedStyle(block);
    const right = block.getBoundingClientRect().right - parseFloat(style.borderRightWidth)
      - parseFloat(style.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(node);
    const boxes = [...range.getClientRects()];
    if (boxes.length && Math.max(...boxes.map((box) => box.right)) > right + 1) {
      outside.push(`"${node.data.trim().slice(0, 40)}" in ${block.tagName.toLowerCase()}`
        + `${block.id ? '#' + block.id : ''}`);
    }
  }
  return outside;
}"""
# A tag is a label: it stays on one line rather than wrapping into a tall box.
WRAPPED_TAGS = """() => [...document.querySelectorAll('.govuk-tag')]
  .filter((tag) => tag.getClientRects().length
    && tag.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(tag).lineHeight))
  .map((tag) => tag.textContent.trim())"""


def _open(page_at, live_server, client: Client, example: Example, width: int):
    page = page_at(width)
    if example.signed_in:
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
    response = page.goto(example.path)
    assert response is not None
    return page, response


def _label(example: Example, width: int) -> str:
    return f"{example.path}{' (signed in)' if example.signed_in else ''} at {width} px"


def test_every_resident_page_reflows_at_320_390_and_1280_px_and_passes_axe(
    page_at, live_server, resident_pages
):
    """One pass over every page, so that the demo is loaded and crawled once: the reflow
    checks at each width, and axe at the phone and desktop widths of the other browser tests."""
    examples, client = resident_pages
    problems: list[str] = []
    checked = 0
    for example in examples:
        for width in (320, 390, 1280):
            page, response = _open(page_at, live_server, client, example, width)
            if "text/html" not in response.headers.get("content-type", ""):
                break
            checked += 1
            label = _label(example, width)
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                wide = page.evaluate("document.documentElement.scrollWidth")
                problems.append(f"{label} scrolls sideways ({wide} px wide)")
            for text in page.evaluate(TEXT_OUTSIDE):
                problems.append(f"{label}: {text} runs out of its column")
            for word in page.evaluate(BROKEN_WORDS, BROKEN_WORDS_IN):
                problems.append(f"{label}: {word} is broken across lines")
            for tag in page.evaluate(WRAPPED_TAGS):
                problems.append(f'{label}: the tag "{tag}" wraps')
            if width in WIDTHS:
                try:
                    assert_accessible(page)
                except AssertionError as failure:
                    problems.append(f"{label}: {failure}")
            page.context.close()
    assert checked >= 3 * 30, f"only {checked} pages were checked"
    assert not problems, "\n".join(problems)
