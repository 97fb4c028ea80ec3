"""A delivery's message as it goes out: its identity (a Message-ID that stays the same however
often the row is tried) and its headers and body, drawn from a campaign's template and the
contact (`CampaignContext`, compiled once per campaign) or from a transactional row.
"""

from __future__ import annotations

import base64
import email.utils
import hmac
import secrets
import time
from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mailing.models import Campaign, Delivery
from mailing.rendering import (
    Template,
    address,
    compile_message,
    header_value,
    merge_values,
    mime_bytes,
    mixed_bytes,
)
from mailing.services.unsubscribe import unsubscribe_token
from mailing.transports import Outgoing


def message_id(delivery_id: int, domain: str) -> str:
    """The same Message-ID however often a delivery is tried, so receivers can drop a copy."""
    signature = hmac.new(
        settings.SECRET_KEY.encode(), f"delivery:{delivery_id}".encode(), sha256
    ).hexdigest()[:16]
    return f"<civic.{delivery_id}.{signature}@{domain}>"


@dataclass
class CampaignContext:
    campaign: Campaign
    template: Template
    from_header: str
    envelope_from: str
    domain: str
    boundary: str
    unsubscribe_prefix: str

    @classmethod
    def load(cls, campaign: Campaign) -> CampaignContext:
        identity = campaign.identity
        return cls(
            campaign=campaign,
            template=compile_message(
                subject=campaign.subject, body=campaign.body, organisation=campaign.organisation
            ),
            from_header=address(identity.from_name, identity.from_email),
            envelope_from=identity.from_email,
            domain=identity.from_email.rpartition("@")[2] or "civic.localhost",
            boundary="civic-" + secrets.token_hex(12),
            # reverse() once per campaign: per message it costs more than rendering the body.
            unsubscribe_prefix=settings.CIVIC_SITE_URL
            + reverse("mailing:unsubscribe", args=["TOKEN"]).removesuffix("TOKEN/"),
        )

    def outgoing(self, delivery: Delivery) -> Outgoing:
        campaign = self.campaign
        token = unsubscribe_token(contact=delivery.contact, purpose=campaign.purpose)
        unsubscribe_url = self.unsubscribe_prefix + token + "/"
        values = merge_values(
            contact=delivery.contact,
            organisation=campaign.organisation,
            unsubscribe_url=unsubscribe_url,
        )
        subject = self.template.subject.fill(values)
        text = self.template.text.fill(values)
        html = self.template.html.fill(values)
        mid = message_id(delivery.pk, self.domain)
        mailto = f"mailto:{settings.CIVIC_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{token}"
        list_headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<campaign-{campaign.pk}.{self.domain}>",
        }
        name = delivery.contact.name if delivery.contact else ""
        headers = [
            ("From", self.from_header),
            ("To", address(name, delivery.to_email)),
            ("Subject", header_value(subject)),
            ("Date", _date_header()),
            ("Message-ID", mid),
            *([("Reply-To", campaign.identity.reply_to)] if campaign.identity.reply_to else []),
            *list_headers.items(),
        ]
        return Outgoing(
            delivery_id=delivery.pk,
            from_address=self.envelope_from,
            to_address=delivery.to_email,
            raw=mime_bytes(headers=headers, text=text, html=html, boundary=self.boundary),
            subject=subject,
            text=text,
            html=html,
            from_header=self.from_header,
            reply_to=[campaign.identity.reply_to] if campaign.identity.reply_to else [],
            headers=list_headers,
            message_id=mid,
        )


_date_cache: tuple[int, str] = (0, "")


def _date_header() -> str:
    """The Date header, formatted once a second rather than once a message."""
    global _date_cache
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache = (second, email.utils.formatdate(second, localtime=False))
    return _date_cache[1]


def transactional_outgoing(delivery: Delivery) -> Outgoing:
    message = delivery.message or {}
    from_header = message.get("from") or settings.DEFAULT_FROM_EMAIL
    envelope = email.utils.parseaddr(from_header)[1]
    domain = envelope.rpartition("@")[2] or "civic.localhost"
    mid = message_id(delivery.pk, domain)
    reply_to = list(message.get("reply_to") or [])
    extra = dict(message.get("headers") or {})
    headers = [
        ("From", header_value(from_header)),
        ("To", delivery.to_email),
        ("Subject", header_value(message.get("subject", ""))),
        ("Date", email.utils.format_datetime(timezone.now())),
        ("Message-ID", mid),
        *([("Reply-To", ", ".join(reply_to))] if reply_to else []),
        *((name, header_value(value)) for name, value in extra.items()),
    ]
    text, html = message.get("text", ""), message.get("html", "")
    attachments = stored_attachments(message)
    if attachments:
        raw = mixed_bytes(headers=headers, text=text, html=html, attachments=attachments)
    elif html:
        raw = mime_bytes(headers=headers, text=text, html=html)
    else:
        raw = (
            "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
            + b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + b"Content-Transfer-Encoding: 8bit\r\n\r\n"
            + text.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        )
    return Outgoing(
        delivery_id=delivery.pk,
        from_address=envelope,
        to_address=delivery.to_email,
        raw=raw,
        subject=message.get("subject", ""),
        text=text,
        html=html,
        from_header=from_header,
        reply_to=reply_to,
        headers=extra,
        message_id=mid,
        attachments=attachments,
    )


def stored_attachments(message: dict) -> list[tuple[str, bytes, str]]:
    """A transactional message's attachments as the outbox row holds them (base64 in its JSON,
    mailing.services.transactional_message), as (file name, content, content type)."""
    return [
        (item["filename"], base64.b64decode(item["content"]), item["content_type"])
        for item in message.get("attachments") or []
    ]
