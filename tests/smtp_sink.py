"""A real SMTP server for tests and benchmarks: aiosmtpd in a thread, recording what it accepted.

A message counts only once the server has answered the end of its data, as a real mail server
would; a connection dropped in the middle of a message leaves nothing behind. Answers can be
scripted per recipient to test retries and refusals, and the server can hold a recipient's
conversation at a chosen step until the test lets it go (`hold`), so that a test kills or pauses
the client at exactly that step rather than at a random moment.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Hold:
    """The first conversation that reaches `step` for `address` waits there until released:
    "rcpt" before RCPT TO is answered (the message is not complete: nothing is delivered if
    the client goes), "data" after the end of data is received and the message recorded, but
    before the 250 that tells the client so."""

    address: str
    step: str
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    client_port: int = 0  # the client's end of the held connection
    taken: bool = False

    def wait(self, timeout: float = 60) -> Hold:
        if not self.reached.wait(timeout):
            pytest.fail(f"no conversation reached {self.step} for {self.address}")
        return self

    def release(self) -> None:
        self.released.set()

    async def _stop_here(self, session) -> None:
        self.client_port = session.peer[1]
        self.reached.set()
        while not self.released.is_set():
            await asyncio.sleep(0.01)


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
        if hold := self.sink._take_hold(address, "rcpt"):
            await hold._stop_here(session)
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
        for address in envelope.rcpt_tos:
            if hold := self.sink._take_hold(address, "data"):
                await hold._stop_here(session)
        return "250 Message accepted"


class _CountingSMTP(SMTP):
    """The server, counting the client connections it has open, so that a test can wait until
    it has seen a client go instead of sleeping."""

    def __init__(self, handler, *, sink: SmtpSink, **kwargs):
        super().__init__(handler, **kwargs)
        self.sink = sink

    def connection_made(self, transport) -> None:
        with self.sink.lock:
            self.sink.open_connections += 1
        super().connection_made(transport)

    def connection_lost(self, error) -> None:
        try:
            super().connection_lost(error)
        finally:
            with self.sink.lock:
                self.sink.open_connections -= 1


class _Controller(Controller):
    def __init__(self, sink: SmtpSink, *args, **kwargs):
        self.sink = sink
        super().__init__(*args, **kwargs)

    def factory(self):
        return _CountingSMTP(self.handler, sink=self.sink, **self.SMTP_kwargs)


class SmtpSink:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        # Per recipient, the answers to give to RCPT in turn (the last one repeats).
        self.answers: dict[str, list[str]] = defaultdict(list)
        self.delay = 0.0
        self.holds: list[Hold] = []
        self.open_connections = 0
        self.controller = _Controller(
            self,
            _Handler(self),
            hostname="127.0.0.1",
            port=_free_port(),
            data_size_limit=10_000_000,
        )

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

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

    def hold(self, address: str, step: str) -> Hold:
        """Hold the first conversation that reaches `step` ("rcpt" or "data") for `address`."""
        assert step in {"rcpt", "data"}
        hold = Hold(address.lower(), step)
        with self.lock:
            self.holds.append(hold)
        return hold

    def _take_hold(self, address: str, step: str) -> Hold | None:
        with self.lock:
            for hold in self.holds:
                if not hold.taken and (hold.address, hold.step) == (address.lower(), step):
                    hold.taken = True
                    return hold
        return None

    def wait_closed(self, timeout: float = 30) -> None:
        """Wait until the server has seen every client connection close: after that, a message
        it has not received will not arrive."""
        deadline = time.monotonic() + timeout
        while self.open_connections:
            if time.monotonic() >= deadline:
                pytest.fail(f"{self.open_connections} connection(s) to the sink stayed open")
            time.sleep(0.01)

    def stop(self) -> None:
        for hold in self.holds:  # a test that failed half way leaves nothing waiting
            hold.release()
        self.controller.stop()

    def message_ids(self, address: str) -> list[str]:
        """The Message-ID of every copy received for `address`."""
        with self.lock:
            return [
                message.message["Message-ID"]
                for message in self.received
                if address in message.recipients
            ]

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
