"""anymail's webhook signals, handed to services. anymail's views check the WEBHOOK_SECRET basic
auth before sending a signal; an exception here answers 500, and the ESP tries again later."""

from __future__ import annotations

import logging
import re

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent

from mailing.services import unsubscribe, unsubscribe_target
from mailing.services.tracking import tracking_event_apply

logger = logging.getLogger(__name__)

# The subject of the List-Unsubscribe mailto in every bulk message: "unsubscribe <token>".
UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe\s+(?P<token>\S+)\s*$", re.IGNORECASE)
INBOUND_UNSUBSCRIBE_METHOD = "Unsubscribe e-mail (List-Unsubscribe mailto)"


def tracking_received(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    tracking_event_apply(event=event)


def inbound_received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """Mail to the unsubscribe address; anything else that arrives is not ours to act on."""
    subject = event.message.subject if event.message is not None else None
    match = UNSUBSCRIBE_SUBJECT.match(str(subject or ""))
    if match is None:
        return
    target = unsubscribe_target(match["token"])
    if target is None:
        logger.info("Ignored an unsubscribe e-mail with an invalid token (via %s)", esp_name)
        return
    contact, purpose = target
    unsubscribe(contact=contact, purpose=purpose, method=INBOUND_UNSUBSCRIBE_METHOD)
