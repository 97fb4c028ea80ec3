"""A council with a newsletter, a sending identity and subscribed contacts, made fast enough for
campaigns of hundreds."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from civic.models import Role
from contacts.models import ConsentEvent, ConsentPurpose, Contact, Segment
from mailing.models import Campaign, SendingIdentity
from tests.contacts.factories import ConsentPurposeFactory, SegmentFactory
from tests.factories import OrganisationFactory, RoleFactory
from tests.mailing.factories import CampaignFactory, SendingIdentityFactory
from tests.smtp_sink import SmtpSink


@dataclass
class Newsletter:
    council: object
    purpose: ConsentPurpose
    identity: SendingIdentity
    everyone: Segment
    facilitator: object

    def subscribe(self, count: int, *, prefix: str = "resident") -> list[Contact]:
        contacts = Contact.objects.bulk_create(
            Contact(
                organisation=self.council,
                email=f"{prefix}{number}@example.org",
                name=f"Resident {number}",
                source=Contact.Source.SIGN_UP,
            )
            for number in range(count)
        )
        ConsentEvent.objects.bulk_create(
            ConsentEvent(
                contact=contact,
                purpose=self.purpose,
                action=ConsentEvent.Action.GIVEN,
                method="sign-up form",
                wording="Send me the newsletter",
                created_at=timezone.now(),
            )
            for contact in contacts
        )
        return contacts

    def campaign(self, **fields) -> Campaign:
        return CampaignFactory(
            organisation=self.council,
            identity=self.identity,
            purpose=self.purpose,
            created_by=self.facilitator,
            segments=[self.everyone],
            **fields,
        )


def make_newsletter(
    name: str = "Northbridge City Council", slug: str = "northbridge"
) -> Newsletter:
    council = OrganisationFactory(name=name, slug=slug)
    purpose = ConsentPurposeFactory(
        organisation=council, slug="newsletter", name="the newsletter", description="Monthly news"
    )
    identity = SendingIdentityFactory(organisation=council)
    everyone = SegmentFactory(organisation=council)
    facilitator = RoleFactory(organisation=council, kind=Role.Kind.FACILITATOR).user
    return Newsletter(council, purpose, identity, everyone, facilitator)


@pytest.fixture
def newsletter(db) -> Newsletter:
    return make_newsletter()


class _OffersPipelining:
    """The sink's handler, with PIPELINING added to its answer to EHLO."""

    def __init__(self, handler):
        self.handler = handler

    def __getattr__(self, name: str):
        return getattr(self.handler, name)

    def __dir__(self):  # aiosmtpd finds a handler's hooks with dir()
        return sorted({*super().__dir__(), *dir(self.handler)})

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class PipeliningSmtpSink(SmtpSink):
    """The test sink offering PIPELINING (RFC 2920), as most mail servers do: aiosmtpd answers
    commands that arrive together one by one, in turn, but does not say so in its EHLO."""

    def __init__(self):
        super().__init__()
        self.controller.handler = _OffersPipelining(self.controller.handler)


@pytest.fixture
def pipelining_smtp_sink():
    sink = PipeliningSmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(params=["pipelining", "one command at a time"])
def each_smtp_sink(request):
    """The test sink twice: offering PIPELINING, and not."""
    sink = (PipeliningSmtpSink() if request.param == "pipelining" else SmtpSink()).start()
    try:
        yield sink
    finally:
        sink.stop()
