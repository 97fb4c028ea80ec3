"""The e-mail backend that Django, allauth and the contacts app send through: it writes each message
to the outbox as a transactional delivery and a worker sends it from the transactional queue.

So a web request never waits on a mail server, every message is recorded, and a mail server that
is down delays mail instead of losing it. The worker sends through the mailer named "outbound"
(SMTP, an anymail ESP or files; see MAILERS in civic/settings.py).
"""

from __future__ import annotations

import logging

from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

logger = logging.getLogger(__name__)


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from mailing.services import transactional_enqueue

        count = 0
        for message in email_messages:
            html = next(
                (
                    content
                    for content, kind in getattr(message, "alternatives", [])
                    if kind == "text/html"
                ),
                "",
            )
            headers = {
                name: str(value)
                for name, value in (message.extra_headers or {}).items()
                if name.lower() not in {"message-id", "date", "from", "to", "reply-to"}
            }
            with transaction.atomic():
                for recipient in message.recipients():
                    transactional_enqueue(
                        organisation=None,
                        to_email=recipient,
                        subject=str(message.subject),
                        text=str(message.body),
                        html=str(html),
                        from_email=message.from_email,
                        reply_to=list(message.reply_to),
                        headers=headers,
                    )
            if message.attachments:
                logger.warning("Attachments are not sent through the outbox: %s", message.subject)
            count += 1
        return count
