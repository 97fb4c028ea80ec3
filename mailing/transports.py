"""How a rendered message leaves: straight over SMTP, or through a Django mailer (anymail's ESPs,
the file backend of `make run`).

The SMTP transport is written on the standard library's smtplib because it needs one thing no
mail backend offers: to write the end-of-data line only once the database has confirmed that
this worker still holds the row's claim (the fence, mailing.outbox.Fence), and to abandon the
message unfinished when it has not: a server discards a message whose connection is dropped
before its end-of-data line. The row is marked sent only after the server's 250 (RFC 5321 6.1;
RFC 1047): a worker killed before the end-of-data line leaves a discarded message and a row
still claimed, which goes again once its lease lapses; one killed between the server's 250 and
the mark leaves a message that goes twice, with the same Message-ID.

When the server offers PIPELINING (RFC 2920), MAIL FROM, RCPT TO and DATA go in one write and
their three answers are read after it: one round trip where there were three.

A Django mailer makes one call per message, which cannot be abandoned half way: the claim is
confirmed before the call and the row marked sent after it returns, so a worker killed during
the call, or paused past its lease in it, may send that one message again, with the same
Message-ID, which ESPs and mailbox providers use to drop the copy.
"""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers


@dataclass
class Outgoing:
    delivery_id: int
    from_address: str  # envelope sender
    to_address: str
    raw: bytes = b""  # the whole MIME message, for SMTP
    subject: str = ""
    text: str = ""
    html: str = ""
    from_header: str = ""
    reply_to: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    # (file name, content, content type), in `raw` already; for a Django mailer to attach.
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


@dataclass
class Outcome:
    sent: bool
    transient: bool = False  # try again later
    reason: str = ""
    esp_message_id: str = ""


class ClaimLost(Exception):
    """This worker no longer holds the row's claim (another worker may be sending it): its message
    must not be completed."""


# confirm() returns once the database has answered that this worker holds the row's claim with
# time to spare, and raises ClaimLost otherwise: the message must then not be completed.
Confirm = Callable[[], None]

_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
# What may not stand between the angle brackets of MAIL FROM or RCPT TO: it would end the command.
_ADDRESS_UNSAFE = re.compile(r"[\x00-\x20<>\x7f]")


def _data_payload(raw: bytes) -> bytes:
    """CRLF line ends and dot-stuffing (RFC 5321 4.5.2), ending in CRLF, without the final dot."""
    crlf = raw.count(b"\r\n")
    if raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:
        raw = _LINE_ENDS.sub(b"\r\n", raw)  # rendered messages are CRLF already; others may not be
    payload = raw.replace(b"\r\n.", b"\r\n..")
    if payload.startswith(b"."):
        payload = b"." + payload
    return payload if payload.endswith(b"\r\n") else payload + b"\r\n"


def _envelope_address(address: str) -> bytes | None:
    """The address as it goes between angle brackets, or None if it cannot go as it is."""
    if not address.isascii() or _ADDRESS_UNSAFE.search(address):
        return None
    return address.encode()


# The commands that open a message, with the answers that let it go on.
_ENVELOPE_STAGES = (("MAIL FROM", (250,)), ("RCPT TO", (250, 251)), ("DATA", (354,)))


class SmtpTransport:
    def __init__(self, *, host: str, port: int, username: str = "", password: str = "",
                 use_tls: bool = False, use_ssl: bool = False, timeout: float = 30):  # fmt: skip
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.use_tls, self.use_ssl, self.timeout = use_tls, use_ssl, timeout
        self.connection: smtplib.SMTP | None = None
        self.pipelining = False

    def open(self) -> None:
        if self.connection is not None:
            return
        klass = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        connection = klass(self.host, self.port, timeout=self.timeout)
        connection.ehlo()
        if self.use_tls:
            connection.starttls()
            connection.ehlo()
        if self.username:
            connection.login(self.username, self.password)
        # Nagle's algorithm would hold the short end-of-data line back; send it at once.
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pipelining = connection.has_extn("pipelining")
        self.connection = connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, message: Outgoing, confirm: Confirm) -> Outcome:
        sender = _envelope_address(message.from_address)
        recipient = _envelope_address(message.to_address)
        if sender is None or recipient is None:
            unsafe = message.to_address if sender else message.from_address
            return Outcome(sent=False, reason=f"Not an address SMTP can carry as it is: {unsafe!r}")
        envelope = (b"MAIL FROM:<%s>\r\n" % sender, b"RCPT TO:<%s>\r\n" % recipient, b"DATA\r\n")
        try:
            self.open()
            connection = self.connection
            refused = self._envelope(envelope)
            if refused is not None:
                return refused
            connection.send(_data_payload(message.raw))
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            return Outcome(sent=False, transient=True, reason=f"Connection: {error}")
        # The fence: the end-of-data line goes only with the database's word that the claim holds.
        try:
            confirm()
        except BaseException:
            # The end-of-data line will not follow: the server discards the half-received message.
            self._drop()
            raise
        try:
            connection.send(b".\r\n")
            code, reply = connection.getreply()
        except (smtplib.SMTPException, OSError) as error:
            # Without a 250 the message is still ours to send (RFC 5321 6.1): it goes again,
            # perhaps twice if the server had it, with the same Message-ID.
            self._drop()
            return Outcome(sent=False, transient=True, reason=f"End of data: {error}")
        if code != 250:
            return self._refused(code, reply, stage="end of data")
        return Outcome(sent=True, esp_message_id=message.message_id)

    def _envelope(self, commands: tuple[bytes, bytes, bytes]) -> Outcome | None:
        """MAIL FROM, RCPT TO and DATA: None when the server waits for the message, else why not."""
        connection = self.connection
        if not self.pipelining:
            for command, (stage, accepted) in zip(commands, _ENVELOPE_STAGES, strict=True):
                connection.send(command)
                code, reply = connection.getreply()
                if code not in accepted:
                    return self._refused(code, reply, stage=stage)
            return None
        connection.send(b"".join(commands))
        # Every answer is read, in turn (RFC 2920 3.1); the first refusal is the one that counts.
        refusal = None
        for stage, accepted in _ENVELOPE_STAGES:
            code, reply = connection.getreply()
            if code == 421 or code < 0:  # the server is closing: no further answer will come
                self._drop()
                return self._refused(*(refusal or (code, reply, stage)))
            if refusal is None and code not in accepted:
                refusal = (code, reply, stage)
            elif refusal is not None and code == 354:
                # DATA accepted although MAIL FROM or RCPT TO was not: end the message at once,
                # empty and with no recipient, as RFC 2920 asks, and read its refusal.
                connection.send(b".\r\n")
                connection.getreply()
        return None if refusal is None else self._refused(*refusal)

    def _refused(self, code: int, reply: bytes, stage: str) -> Outcome:
        reason = f"{stage}: {code} {reply.decode(errors='replace')}"
        if code == 421 or code < 0:
            self._drop()
        elif self.connection is not None:
            try:
                self.connection.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
        return Outcome(sent=False, transient=not 500 <= code < 600, reason=reason)


class MailerTransport:
    """Any Django mail backend: anymail's ESPs, the file backend, Django's own."""

    def __init__(self, alias: str = "outbound"):
        self.alias = alias
        self.connection = None

    def open(self) -> None:
        if self.connection is None:
            self.connection = mailers.create_connection(self.alias)
            self.connection.open()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def send(self, message: Outgoing, confirm: Confirm) -> Outcome:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=message.from_header,
            to=[message.to_address],
            reply_to=message.reply_to,
            headers={**message.headers, "Message-ID": message.message_id},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for filename, content, content_type in message.attachments:
            email.attach(filename, content, content_type.partition(";")[0].strip())
        # anymail carries metadata to the ESP and back in its tracking webhooks.
        email.metadata = {"civic_delivery": str(message.delivery_id)}
        confirm()  # nothing has gone yet: ClaimLost leaves nothing to undo
        try:
            self.open()
            self.connection.send_messages([email])
        except Exception as error:  # ESPs raise their own errors; anymail's say transient or not
            self.close()
            return Outcome(sent=False, transient=_is_transient(error), reason=str(error)[:2000])
        status = getattr(email, "anymail_status", None)
        esp_id = (getattr(status, "message_id", None) or message.message_id) if status else ""
        return Outcome(sent=True, esp_message_id=str(esp_id or message.message_id))


def _is_transient(error: Exception) -> bool:
    status = getattr(error, "status_code", None)
    if status is None:
        return not isinstance(error, (ValueError, TypeError))
    return status == 429 or status >= 500


def transport_from_settings():
    """SMTP when EMAIL_BACKEND is Django's SMTP backend; otherwise that backend itself (the
    "outbound" mailer: never "default", which is the outbox)."""
    if settings.EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
        options = settings.MAILERS["outbound"].get("OPTIONS", {})
        return SmtpTransport(
            host=options.get("host", "localhost"),
            port=int(options.get("port", 25)),
            username=options.get("username", ""),
            password=options.get("password", ""),
            use_tls=bool(options.get("use_tls")),
            use_ssl=bool(options.get("use_ssl")),
            timeout=float(options.get("timeout", 30)),
        )
    return MailerTransport()
