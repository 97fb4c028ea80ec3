"""A real SMTP server for tests and benchmarks: aiosmtpd in a thread, recording what it accepted.

A message counts only once the server has answered the end of its data, as a real mail server
would; a connection dropped in the middle of a message leaves nothing behind. Answers can be
scripted per recipient to test retries and refusals.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    at: float

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        scripted = self.sink.answers.get(address.lower())
        if scripted:
            answer = scripted.pop(0) if len(scripted) > 1 else scripted[0]
            if answer != "250":
                return answer
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.sink.lock:
            self.sink.received.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=list(envelope.rcpt_tos),
                    data=envelope.original_content or envelope.content,
                    at=time.monotonic(),
                )
            )
        return "250 Message accepted"


class SmtpSink:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        # Per recipient, the answers to give to RCPT in turn (the last one repeats).
        self.answers: dict[str, list[str]] = defaultdict(list)
        self.delay = 0.0
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=_free_port(), data_size_limit=10_000_000
        )

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def env(self) -> dict[str, str]:
        """The settings that point a worker at this sink."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
        }

    def recipients(self) -> list[str]:
        with self.lock:
            return [address for message in self.received for address in message.recipients]


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()
