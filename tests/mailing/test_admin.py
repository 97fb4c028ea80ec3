"""The campaign admin: the audience before sending, the actions through the services, the preview,
the live progress page, and what a facilitator of another council cannot do."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civic.formatting import when as when_in_words
from civic.models import AuditEntry, Role
from contacts.models import ConsentEvent, Contact
from mailing.models import Campaign, Delivery, DeliveryEvent, RateLimit, Suppression
from tests.browser import assert_accessible, assert_no_csp_errors, assert_on_page, submit
from tests.factories import RoleFactory, UserFactory
from tests.mailing.conftest import make_newsletter
from tests.pages import assert_page

pytestmark = pytest.mark.django_db

FIGURE_ROW = re.compile(
    r'<tr id="figure-(\w+)">\s*<th scope="row">[^<]*</th>\s*'
    r'<td class="campaign-figure">(\d+)</td>'
)
LINK_ROW = re.compile(
    r'<td class="campaign-link-url">([^<]*)</td>\s*'
    r'<td class="campaign-figure">(\d+)</td>\s*<td class="campaign-figure">(\d+)</td>'
)


def _url(campaign: Campaign, page: str = "change") -> str:
    return {
        "change": f"/admin/mailing/campaign/{campaign.pk}/change/",
        "send": f"/admin/mailing/campaign/{campaign.pk}/send/",
        "send_confirm": f"/admin/mailing/campaign/{campaign.pk}/send/confirm/",
        "schedule_confirm": f"/admin/mailing/campaign/{campaign.pk}/schedule/confirm/",
        "progress": f"/admin/mailing/campaign/{campaign.pk}/progress/",
        "figures": f"/admin/mailing/campaign/{campaign.pk}/progress/figures/",
    }[page]


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _form_data(campaign: Campaign, **changes) -> dict:
    data = {
        "name": campaign.name,
        "identity": campaign.identity_id,
        "purpose": campaign.purpose_id,
        "segments": [segment.pk for segment in campaign.segments.all()],
        "subject": campaign.subject,
        "body": campaign.body,
        "scheduled_for_0": "",
        "scheduled_for_1": "",
    }
    return {**data, **changes}


def _contact_without_consent(newsletter) -> Contact:
    return Contact.objects.create(
        organisation=newsletter.council,
        email="no-consent@example.org",
        name="Nobody Asked",
        source=Contact.Source.TYPED_IN,
    )


def _subscriber(newsletter, *, name: str, email: str) -> Contact:
    contact = Contact.objects.create(
        organisation=newsletter.council, email=email, name=name, source=Contact.Source.SIGN_UP
    )
    ConsentEvent.objects.create(
        contact=contact,
        purpose=newsletter.purpose,
        action=ConsentEvent.Action.GIVEN,
        method="sign-up form",
        wording="Send me the newsletter",
        created_at=timezone.now(),
    )
    return contact


# The audience and the actions -----------------------------------------------------------------


def test_the_change_page_counts_the_audience_before_sending(newsletter, client):
    newsletter.subscribe(3)
    _contact_without_consent(newsletter)
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    response = client.get(_url(campaign))

    assert response.status_code == 200
    assert response.context["audience_count"] == 3
    content = response.content.decode()
    assert "The campaign would go to 3 people now." in content
    assert "Send now to 3 people" in content


def test_the_owner_sends_now_and_the_audience_is_frozen(
    newsletter, client, django_capture_on_commit_callbacks
):
    subscribers = newsletter.subscribe(3)
    _contact_without_consent(newsletter)
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_url(campaign, "send_confirm"))

    assert response.status_code == 302
    assert response.url == _url(campaign, "progress")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    deliveries = Delivery.objects.filter(campaign=campaign)
    assert sorted(deliveries.values_list("to_email", flat=True)) == sorted(
        contact.email for contact in subscribers
    )
    assert set(deliveries.values_list("status", flat=True)) == {Delivery.Status.QUEUED}
    # Each of the tasks that send in parallel is queued once the audience is committed.
    assert len(callbacks) == settings.CIVIC_MAIL_PARALLEL_TASKS == 2
    entry = AuditEntry.objects.get(summary="Send campaign")
    assert entry.actor_id == newsletter.facilitator.pk
    page = client.get(response.url)
    assert _messages(page) == ["Sending has started: 3 messages are queued."]


def test_send_now_asks_once_more_naming_the_recipients_purpose_and_sender(
    newsletter, client, django_capture_on_commit_callbacks
):
    newsletter.subscribe(3)
    _contact_without_consent(newsletter)
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)
    confirm = _url(campaign, "send_confirm")

    change = assert_page(client.get(_url(campaign)), heading="Change campaign")
    assert re.search(rf'id="campaign-send-now"\s+href="{confirm}">\s*Send now to 3 people', change)
    # The send page's old button no longer sends: it leads to the question.
    with django_capture_on_commit_callbacks() as callbacks:
        skipped = client.post(_url(campaign, "send"), {"action": "send_now"})
    assert (skipped.status_code, skipped.url) == (302, confirm)
    asked = client.get(confirm)

    html = assert_page(asked, heading="Send November newsletter now")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert callbacks == []
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.exists()
    assert _text_of(html, "confirm-recipients") == "3 people"
    assert _text_of(html, "confirm-purpose") == "the newsletter (Monthly news)"
    assert _text_of(html, "confirm-sender") == (
        "Northbridge City Council &lt;news@northbridge.example&gt; "
        "(replies go to help@northbridge.example)"
    )
    assert re.search(r'id="campaign-confirm">\s*Send to 3 people\s*</button>', html)
    assert f'<form method="post" action="{confirm}"' in html

    with django_capture_on_commit_callbacks():
        sent = client.post(confirm, follow=True)

    assert sent.redirect_chain[-1][0] == _url(campaign, "progress")
    assert _messages(sent) == ["Sending has started: 3 messages are queued."]
    assert Delivery.objects.filter(campaign=campaign).count() == 3


def test_scheduling_asks_once_more_naming_the_time(newsletter, client):
    newsletter.subscribe(2)
    when = timezone.now().replace(microsecond=0) + timedelta(days=2)
    campaign = newsletter.campaign(scheduled_for=when)
    client.force_login(newsletter.facilitator)
    confirm = _url(campaign, "schedule_confirm")

    change = assert_page(client.get(_url(campaign)), heading="Change campaign")
    assert f'id="campaign-schedule"\n                       href="{confirm}"' in change
    html = assert_page(client.get(confirm), heading="Schedule November newsletter")

    assert _text_of(html, "confirm-time") == when_in_words(when)
    assert _text_of(html, "confirm-recipients").startswith("2 people now")
    assert _text_of(html, "confirm-purpose") == "the newsletter (Monthly news)"
    assert re.search(rf'id="campaign-confirm">\s*Schedule for {when_in_words(when)}', html)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not AuditEntry.objects.exists()


def test_a_campaign_already_sending_is_not_offered_for_sending_again(newsletter, client):
    campaign = _sent_campaign(newsletter)
    client.force_login(newsletter.facilitator)

    html = assert_page(
        client.get(_url(campaign, "send_confirm")), heading="Send November newsletter now"
    )

    assert "The campaign is “Sending”, so it cannot be sent or scheduled now." in html
    assert 'id="campaign-confirm"' not in html
    before = Delivery.objects.filter(campaign=campaign).count()
    refused = client.post(_url(campaign, "send_confirm"), follow=True)
    assert refused.status_code == 200
    assert Delivery.objects.filter(campaign=campaign).count() == before


def _text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(.*?)</dd>', html, re.DOTALL)
    assert found, element_id
    return " ".join(found.group(1).split())


def test_a_facilitator_of_another_council_can_neither_see_nor_send_the_campaign(
    newsletter, client, django_capture_on_commit_callbacks
):
    newsletter.subscribe(3)
    campaign = newsletter.campaign()
    stranger = make_newsletter("Eastmoor Council", "eastmoor").facilitator
    client.force_login(stranger)

    pages = ("change", "send", "send_confirm", "schedule_confirm", "progress", "figures")
    for page in pages:
        assert client.get(_url(campaign, page)).status_code in (403, 404), page
    listing = client.get("/admin/mailing/campaign/")
    assert list(listing.context["cl"].result_list) == []
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(_url(campaign, "send_confirm"))
        scheduling = client.post(_url(campaign, "schedule_confirm"))

    assert response.status_code in (403, 404)
    assert scheduling.status_code in (403, 404)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not Delivery.objects.exists()
    assert callbacks == []
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(object_id=str(campaign.pk)).exists()


def test_pausing_a_draft_is_refused_with_a_message_and_changes_nothing(newsletter, client):
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    response = client.post(_url(campaign, "send"), {"action": "pause"}, follow=True)

    assert response.status_code == 200
    assert _messages(response) == ["Only a campaign that is sending can be paused."]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    assert not AuditEntry.objects.exists()


def test_an_unknown_action_is_a_message_not_an_error(newsletter, client):
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    response = client.post(_url(campaign, "send"), {"action": "explode"}, follow=True)

    assert response.status_code == 200
    assert _messages(response) == ["Choose one of the buttons to act on the campaign."]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_scheduling_uses_the_saved_time_and_asks_for_one_when_there_is_none(newsletter, client):
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    asked = client.get(_url(campaign, "schedule_confirm"))
    html = assert_page(asked, heading="Schedule November newsletter")
    assert "Choose a time in “send at”" in html
    assert 'id="campaign-confirm"' not in html
    refused = client.post(_url(campaign, "schedule_confirm"), follow=True)
    assert _messages(refused)[0].startswith("Choose a time in “send at”")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT

    when = timezone.now() + timedelta(days=2)
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_for=when)
    response = client.post(_url(campaign, "schedule_confirm"), {"return_to": "change"}, follow=True)
    assert response.redirect_chain[-1][0] == _url(campaign)
    assert _messages(response) == ["The campaign is scheduled."]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_for) == (Campaign.Status.SCHEDULED, when)


def test_a_test_goes_to_the_facilitator_only(
    newsletter, client, django_capture_on_commit_callbacks
):
    newsletter.subscribe(2)
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    with django_capture_on_commit_callbacks():
        response = client.post(_url(campaign, "send"), {"action": "test"}, follow=True)

    assert _messages(response) == [f"A test is on its way to {newsletter.facilitator.email}."]
    test = Delivery.objects.get()
    assert (test.kind, test.to_email) == (Delivery.Kind.TRANSACTIONAL, newsletter.facilitator.email)
    assert test.message["subject"] == "[Test] News for you"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


# The form -------------------------------------------------------------------------------------


def test_a_merge_field_error_is_shown_next_to_the_body(newsletter, client):
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    response = client.post(
        _url(campaign), _form_data(campaign, body="Hello {{ contact.shoe_size }}")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["body"]
    assert errors["body"][0].startswith("“{{ contact.shoe_size }}” is not a merge field.")
    campaign.refresh_from_db()
    assert campaign.body.startswith("Hello {{ contact.first_name")


def test_identity_purpose_and_segments_must_be_of_the_campaigns_organisation(newsletter, client):
    campaign = newsletter.campaign()
    eastmoor = make_newsletter("Eastmoor Council", "eastmoor")
    site_admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(site_admin)

    response = client.post(
        _url(campaign),
        _form_data(
            campaign,
            identity=eastmoor.identity.pk,
            purpose=eastmoor.purpose.pk,
            segments=[eastmoor.everyone.pk],
        ),
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["identity"] == ["Choose an identity of the campaign's organisation."]
    assert errors["purpose"] == ["Choose a consent purpose of the campaign's organisation."]
    assert errors["segments"] == ["Choose segments of the campaign's organisation only."]
    campaign.refresh_from_db()
    assert campaign.identity_id == newsletter.identity.pk


def test_a_facilitator_chooses_only_from_their_own_organisation(newsletter, client):
    eastmoor = make_newsletter("Eastmoor Council", "eastmoor")
    client.force_login(newsletter.facilitator)

    response = client.get("/admin/mailing/campaign/add/")

    form = response.context["adminform"].form
    assert list(form.fields["identity"].queryset) == [newsletter.identity]
    assert list(form.fields["purpose"].queryset) == [newsletter.purpose]
    assert list(form.fields["segments"].queryset) == [newsletter.everyone]
    assert form.initial["organisation"] == newsletter.council.pk
    assert eastmoor.identity not in form.fields["identity"].queryset


def test_adding_a_campaign_records_who_wrote_it(newsletter, client):
    client.force_login(newsletter.facilitator)

    response = client.post(
        "/admin/mailing/campaign/add/",
        {
            "organisation": newsletter.council.pk,
            "name": "Winter news",
            "identity": newsletter.identity.pk,
            "purpose": newsletter.purpose.pk,
            "segments": [newsletter.everyone.pk],
            "subject": "Winter",
            "body": "Hello {{ contact.name }}",
            "scheduled_for_0": "",
            "scheduled_for_1": "",
        },
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.name, campaign.status) == ("Winter news", Campaign.Status.DRAFT)
    assert (campaign.organisation, campaign.created_by) == (
        newsletter.council,
        newsletter.facilitator,
    )
    assert list(campaign.segments.all()) == [newsletter.everyone]


def test_only_a_draft_can_be_deleted(newsletter, client):
    draft = newsletter.campaign(name="Draft")
    sent = _sent_campaign(newsletter, status=Campaign.Status.SENT)
    client.force_login(newsletter.facilitator)

    refused = client.post(
        "/admin/mailing/campaign/",
        {"action": "delete_selected", "_selected_action": [draft.pk, sent.pk], "post": "yes"},
    )

    assert refused.status_code == 403
    assert Campaign.objects.count() == 2
    assert (
        client.post(f"/admin/mailing/campaign/{sent.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    response = client.post(f"/admin/mailing/campaign/{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert list(Campaign.objects.all()) == [sent]
    assert Delivery.objects.filter(campaign=sent).count() == 9


def test_a_campaign_that_has_started_is_read_only(newsletter, client):
    campaign = newsletter.campaign(status=Campaign.Status.SENDING)
    client.force_login(newsletter.facilitator)

    page = client.get(_url(campaign))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    response = client.post(_url(campaign), _form_data(campaign, name="Rewritten"))

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "November newsletter"


# The preview ----------------------------------------------------------------------------------


def test_the_preview_shows_the_contacts_name_escaped(newsletter, client):
    ann = _subscriber(newsletter, name="<b>Ann</b> Smith", email="ann@example.org")
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    response = client.post(_url(campaign, "send"), {"action": "preview", "contact": ann.pk})

    assert_page(response, heading="Send November newsletter")
    preview = response.context["preview"]
    assert preview["subject"] == "News for <b>Ann</b>"
    content = response.content.decode()
    assert '<p id="campaign-preview-subject">News for &lt;b&gt;Ann&lt;/b&gt;</p>' in content
    assert "Hello &lt;b&gt;Ann&lt;/b&gt;," in content  # the plain-text part
    assert "<b>Ann" not in content
    frame_tag = re.search(r"<iframe[^>]*>", content).group(0)
    assert 'sandbox=""' in frame_tag
    assert f'src="{preview["frame_url"]}"' in frame_tag
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW)
    assert entry.summary == f"Previewed the campaign as contact #{ann.pk}"

    frame = client.get(preview["frame_url"])

    assert_page(frame, heading=None)
    html = frame.content.decode()
    assert "Hello &lt;b&gt;Ann&lt;/b&gt;," in html
    assert "<b>Ann" not in html
    # Its own policy: the mail's inline styles apply, nothing runs, only the admin may frame it.
    policy = frame.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_preview_frame_shows_only_a_preview_the_user_asked_for(newsletter, client):
    ann = _subscriber(newsletter, name="Ann Smith", email="ann@example.org")
    campaign = newsletter.campaign()
    other_campaign = newsletter.campaign(name="Another")
    client.force_login(newsletter.facilitator)
    response = client.post(_url(campaign, "send"), {"action": "preview", "contact": ann.pk})
    frame_url = response.context["preview"]["frame_url"]
    token = frame_url.rstrip("/").rsplit("/", 1)[1]

    tampered = frame_url.replace(token, token[:-2] + "xx")
    assert client.get(tampered).status_code == 404
    moved = f"/admin/mailing/campaign/{other_campaign.pk}/preview/{token}/"
    assert client.get(moved).status_code == 404
    colleague = RoleFactory(organisation=newsletter.council, kind=Role.Kind.FACILITATOR).user
    client.force_login(colleague)
    assert client.get(frame_url).status_code == 404
    client.force_login(make_newsletter("Eastmoor Council", "eastmoor").facilitator)
    assert client.get(frame_url).status_code == 404


def test_the_preview_looks_a_contact_up_by_address(newsletter, client):
    _subscriber(newsletter, name="Ann Smith", email="ann@example.org")
    campaign = newsletter.campaign()
    client.force_login(newsletter.facilitator)

    found = client.post(_url(campaign, "send"), {"action": "preview", "email": "ANN@example.org"})
    missing = client.post(_url(campaign, "send"), {"action": "preview", "email": "x@example.org"})

    assert found.context["preview"]["subject"] == "News for Ann"
    assert missing.context["preview"] is None
    assert (
        missing.context["form"]
        .errors["email"][0]
        .startswith("No contact of Northbridge City Council has this address.")
    )


# Progress -------------------------------------------------------------------------------------


def _sent_campaign(newsletter, status=Campaign.Status.SENDING) -> Campaign:
    contacts = newsletter.subscribe(9)
    campaign = newsletter.campaign(status=status)
    now = timezone.now()
    rows = [
        # (status, delivered, bounced, complained, opened, clicked, unsubscribed)
        ("queued", 0, 0, 0, 0, 0, 0),
        ("sending", 0, 0, 0, 0, 0, 0),
        ("sent", 1, 0, 0, 1, 1, 0),
        ("sent", 1, 0, 0, 1, 1, 1),
        ("sent", 1, 0, 1, 0, 0, 0),
        ("sent", 0, 1, 0, 0, 0, 0),
        ("failed", 0, 0, 0, 0, 0, 0),
        ("skipped", 0, 0, 0, 0, 0, 0),
        ("cancelled", 0, 0, 0, 0, 0, 0),
    ]
    events = ("delivered", "bounced", "complained", "opened", "clicked", "unsubscribed")
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            organisation=newsletter.council,
            campaign=campaign,
            contact=contact,
            to_email=contact.email,
            status=row[0],
            sent_at=now if row[0] == "sent" else None,
            **{
                f"{event}_at": now if flag else None
                for event, flag in zip(events, row[1:], strict=True)
            },
        )
        for contact, row in zip(contacts, rows, strict=True)
    )
    clicks = [
        (deliveries[2], "https://northbridge.example/bins"),
        (deliveries[2], "https://northbridge.example/bins"),
        (deliveries[3], "https://northbridge.example/bins"),
        (deliveries[3], "https://northbridge.example/parks"),
    ]
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(
            delivery=delivery,
            event_key=f"click-{number}",
            event_type="clicked",
            occurred_at=now,
            url=url,
        )
        for number, (delivery, url) in enumerate(clicks)
    )
    DeliveryEvent.objects.create(
        delivery=deliveries[2], event_key="open-0", event_type="opened", occurred_at=now
    )
    return campaign


EXPECTED_FIGURES = {
    "queued": 2,
    "sent": 4,
    "delivered": 3,
    "bounced": 1,
    "complained": 1,
    "opened": 2,
    "clicked": 2,
    "unsubscribed": 1,
    "failed": 1,
    "skipped": 2,
}
EXPECTED_LINKS = [
    ("https://northbridge.example/bins", "3", "2"),
    ("https://northbridge.example/parks", "1", "1"),
]


def test_the_progress_page_shows_exact_figures_and_clicks_per_link(newsletter, client):
    campaign = _sent_campaign(newsletter)
    client.force_login(newsletter.facilitator)

    response = client.get(_url(campaign, "progress"))

    assert_page(response, heading="Progress of November newsletter")
    content = response.content.decode()
    assert {key: int(value) for key, value in FIGURE_ROW.findall(content)} == EXPECTED_FIGURES
    assert LINK_ROW.findall(content) == EXPECTED_LINKS
    assert "7 of 9 messages dealt with (78%)" in content
    assert '<progress id="campaign-progress-bar" max="9" value="7">' in content
    # Live: htmx polls the figures; without JavaScript a link refreshes (no timed refresh).
    assert (
        f'hx-get="{_url(campaign, "figures")}" hx-trigger="every 2s" hx-swap="outerHTML"' in content
    )
    assert '<script src="/static/build/htmx.min.js" defer></script>' in content
    assert 'content=\'{"includeIndicatorStyles": false, "allowEval": false}\'' in content
    assert 'http-equiv="refresh"' not in content
    assert f'<a href="{_url(campaign, "progress")}">Refresh</a>' in content
    assert "style=" not in content.split("<body", 1)[1]


def test_the_figures_partial_is_the_polled_element_with_the_same_counts(newsletter, client):
    campaign = _sent_campaign(newsletter)
    client.force_login(newsletter.facilitator)

    response = client.get(_url(campaign, "figures"), headers={"HX-Request": "true"})

    assert_page(response, heading=None)
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="campaign-figures"')
    assert "<html" not in content
    assert f'hx-get="{_url(campaign, "figures")}"' in content
    assert {key: int(value) for key, value in FIGURE_ROW.findall(content)} == EXPECTED_FIGURES
    assert LINK_ROW.findall(content) == EXPECTED_LINKS


def test_polling_and_the_timed_refresh_stop_when_the_campaign_has_finished(newsletter, client):
    campaign = _sent_campaign(newsletter, status=Campaign.Status.SENT)
    client.force_login(newsletter.facilitator)

    page = assert_page(
        client.get(_url(campaign, "progress")), heading="Progress of November newsletter"
    )
    partial = assert_page(client.get(_url(campaign, "figures")), heading=None)

    for content in (page, partial):
        assert "hx-get" not in content
        assert {key: int(value) for key, value in FIGURE_ROW.findall(content)} == EXPECTED_FIGURES
    assert 'http-equiv="refresh"' not in page
    assert "htmx.min.js" not in page


# The outbox and the list ----------------------------------------------------------------------


def test_the_outbox_is_read_only_and_found_by_address(newsletter, client):
    campaign = _sent_campaign(newsletter, status=Campaign.Status.SENT)
    delivery = Delivery.objects.filter(campaign=campaign).first()
    client.force_login(newsletter.facilitator)

    listing = client.get("/admin/mailing/delivery/", {"q": delivery.to_email.upper()})
    assert list(listing.context["cl"].result_list) == [delivery]
    assert client.get(f"/admin/mailing/delivery/{delivery.pk}/change/").status_code == 200
    assert client.get("/admin/mailing/delivery/add/").status_code == 403
    response = client.post(f"/admin/mailing/delivery/{delivery.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Delivery.objects.filter(pk=delivery.pk).exists()


@pytest.mark.parametrize(
    "model", ["campaign", "sendingidentity", "ratelimit", "suppression", "delivery"]
)
def test_each_mailing_list_shows_only_the_facilitators_organisation(newsletter, client, model):
    eastmoor = make_newsletter("Eastmoor Council", "eastmoor")
    for council in (newsletter, eastmoor):
        campaign = council.campaign()
        RateLimit.objects.create(organisation=council.council, per_second=10)
        Suppression.objects.create(
            organisation=council.council, email="gone@example.org", reason="bounced"
        )
        contact = council.subscribe(1, prefix=council.council.slug)[0]
        Delivery.objects.create(
            organisation=council.council, campaign=campaign, contact=contact, to_email=contact.email
        )
    client.force_login(newsletter.facilitator)

    response = client.get(f"/admin/mailing/{model}/")

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert len(rows) == 1
    assert rows[0].organisation_id == newsletter.council.pk
    if model != "delivery":
        assert client.get(f"/admin/mailing/{model}/add/").status_code == 200


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/admin/mailing/campaign/")
    assert response.status_code == 200
    return len(queries)


def test_the_campaign_list_costs_the_same_queries_for_one_campaign_or_five(newsletter, client):
    newsletter.campaign()
    client.force_login(newsletter.facilitator)
    one = _changelist_queries(client)
    for number in range(4):
        newsletter.campaign(name=f"Campaign {number}")

    five = _changelist_queries(client)

    assert one == five
    assert five <= 8


# In a browser ----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_progress_page_updates_itself_under_the_csp_and_stops_when_sent(
    newsletter, signed_in_page
):
    campaign = _sent_campaign(newsletter)
    page = signed_in_page(newsletter.facilitator)

    page.goto(_url(campaign, "progress"))
    assert page.locator("#figure-sent td").inner_text() == "4"
    Delivery.objects.filter(campaign=campaign, status__in=["queued", "sending"]).update(
        status="sent"
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)

    page.locator("#campaign-status", has_text="Sent").wait_for(timeout=10000)
    assert page.locator("#figure-sent td").inner_text() == "6"
    assert_on_page(page, heading="Progress of November newsletter")
    assert page.locator("#campaign-figures[hx-get]").count() == 0
    assert_no_csp_errors(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_preview_shows_the_message_in_a_sandboxed_frame(newsletter, signed_in_page):
    ann = _subscriber(newsletter, name="Ann Smith", email="ann@example.org")
    campaign = newsletter.campaign()
    page = signed_in_page(newsletter.facilitator)

    page.goto(_url(campaign, "send"))
    page.get_by_label("Someone in the audience").select_option(str(ann.pk))
    submit(page, page.get_by_role("button", name="Preview"))

    assert page.locator("#campaign-preview-subject").inner_text() == "News for Ann"
    body = page.frame_locator("iframe.campaign-preview-frame").locator("body")
    assert "Hello Ann," in body.inner_text()
    # The mail's own styles apply in its frame (the admin page's policy would refuse them).
    assert body.evaluate("element => getComputedStyle(element).backgroundColor") == (
        "rgb(243, 242, 241)"
    )
    assert_no_csp_errors(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sending_asks_once_more_and_works_without_javascript(newsletter, signed_in_page):
    newsletter.subscribe(2)
    campaign = newsletter.campaign()
    checking = signed_in_page(newsletter.facilitator, 1280)
    checking.goto(_url(campaign, "send_confirm"))
    assert_on_page(checking, heading="Send November newsletter now")
    assert_accessible(checking)
    assert_no_csp_errors(checking)
    page = signed_in_page(newsletter.facilitator, 1280, javascript_enabled=False)

    page.goto(_url(campaign))
    with page.expect_navigation():
        page.get_by_role("link", name="Send now to 2 people").click()

    assert_on_page(page, heading="Send November newsletter now")
    assert page.locator("#confirm-recipients").inner_text() == "2 people"
    assert page.locator("#confirm-purpose").inner_text() == "the newsletter (Monthly news)"
    assert page.locator("#confirm-sender").inner_text() == (
        "Northbridge City Council <news@northbridge.example> "
        "(replies go to help@northbridge.example)"
    )
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    submit(page, page.get_by_role("button", name="Send to 2 people"))

    assert_on_page(page, heading="Progress of November newsletter")
    messages = page.locator(".messagelist").inner_text()
    assert "Sending has started: 2 messages are queued." in messages
    campaign.refresh_from_db()
    assert campaign.status != Campaign.Status.DRAFT
    assert Delivery.objects.filter(campaign=campaign).count() == 2
