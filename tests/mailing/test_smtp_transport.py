"""The SMTP transport on its own, against aiosmtpd with and without PIPELINING and against a
server scripted line by line: what goes on the wire, where the fence falls, and what a refusal
reports."""

from __future__ import annotations

import socket
import threading

import pytest

from mailing.transports import ClaimLost, Outgoing, SmtpTransport, _data_payload

RAW = (
    b"From: news@northbridge.example\r\nTo: ann@example.org\r\nSubject: News\r\n\r\n"
    b"Hello Ann,\r\n.a line that starts with a dot\r\n..and one with two\r\nBye.\r\n"
)


def _message(to_address: str = "ann@example.org", delivery_id: int = 1) -> Outgoing:
    return Outgoing(
        delivery_id=delivery_id,
        from_address="news@northbridge.example",
        to_address=to_address,
        raw=RAW,
        message_id=f"<civic.{delivery_id}.test@northbridge.example>",
    )


class Confirms:
    """The fence's callback, counting its calls and what the server had received at each."""

    def __init__(self, sink=None):
        self.sink = sink
        self.received_at_confirm: list[int] = []

    def __call__(self) -> None:
        self.received_at_confirm.append(len(self.sink.received) if self.sink else 0)

    @property
    def count(self) -> int:
        return len(self.received_at_confirm)


def _transport(port: int) -> SmtpTransport:
    return SmtpTransport(host="127.0.0.1", port=port, timeout=5)


def test_a_server_offering_pipelining_gets_the_message_intact_after_the_confirm_point(
    pipelining_smtp_sink,
):
    transport = _transport(pipelining_smtp_sink.port)
    first, second = Confirms(pipelining_smtp_sink), Confirms(pipelining_smtp_sink)
    try:
        outcomes = [
            transport.send(_message("ann@example.org", 1), first),
            transport.send(_message("bob@example.org", 2), second),
        ]
        assert transport.pipelining is True
    finally:
        transport.close()

    assert [(outcome.sent, outcome.esp_message_id) for outcome in outcomes] == [
        (True, "<civic.1.test@northbridge.example>"),
        (True, "<civic.2.test@northbridge.example>"),
    ]
    # Each claim was confirmed before its end of data was written, so before the server had it.
    assert (first.received_at_confirm, second.received_at_confirm) == ([0], [1])
    received = pipelining_smtp_sink.received
    assert [(message.sender, message.recipients) for message in received] == [
        ("news@northbridge.example", ["ann@example.org"]),
        ("news@northbridge.example", ["bob@example.org"]),
    ]
    assert received[0].data == RAW  # dot-stuffed on the way, unstuffed by the server


@pytest.mark.parametrize(
    ("answer", "transient"),
    [("550 5.1.1 No such mailbox", False), ("451 4.3.0 Try again later", True)],
)
def test_a_pipelined_refused_recipient_fails_with_its_reason_and_the_connection_goes_on(
    pipelining_smtp_sink, answer, transient
):
    pipelining_smtp_sink.answers["nobody@example.org"] = [answer]
    transport = _transport(pipelining_smtp_sink.port)
    refused_confirm, next_confirm = Confirms(), Confirms()
    try:
        refused = transport.send(_message("nobody@example.org", 1), refused_confirm)
        following = transport.send(_message("ann@example.org", 2), next_confirm)
    finally:
        transport.close()

    assert (refused.sent, refused.transient) == (False, transient)
    assert refused.reason == f"RCPT TO: {answer}"
    assert refused_confirm.count == 0  # nothing to mark: the message never started
    assert (following.sent, next_confirm.count) == (True, 1)
    assert pipelining_smtp_sink.recipients() == ["ann@example.org"]


class ScriptedServer:
    """One SMTP connection, answered from a script by command; records every line it reads and
    every chunk as it arrived."""

    def __init__(self, answers: dict[str, str], *, end_of_data: str | None = "250 OK"):
        self.answers = {"MAIL": "250 OK", "RCPT": "250 OK", "DATA": "354 Go ahead",
                        "RSET": "250 OK", "QUIT": "221 Bye", **answers}  # fmt: skip
        self.end_of_data = end_of_data
        self.lines: list[bytes] = []
        self.chunks: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _address = self.listener.accept()
        with connection:
            connection.sendall(b"220 scripted ESMTP\r\n")
            buffer, in_data = b"", False
            while chunk := connection.recv(65536):
                self.chunks.append(chunk)
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    self.lines.append(line)
                    if in_data:
                        if line == b"." and self.end_of_data is None:
                            return  # gone without a word, as a server that crashed
                        if line == b".":
                            in_data = False
                            connection.sendall(self.end_of_data.encode() + b"\r\n")
                        continue
                    verb = line[:4].decode().upper()
                    if verb == "EHLO":
                        answer = self.answers.get("EHLO", "250-scripted\r\n250 PIPELINING")
                    else:
                        answer = self.answers.get(verb, "502 Not implemented")
                    connection.sendall(answer.encode() + b"\r\n")
                    in_data = verb == "DATA" and answer.startswith("354")
                    if verb == "QUIT":
                        return

    def stop(self) -> None:
        self.thread.join(timeout=5)
        self.listener.close()


def test_data_accepted_after_a_refused_recipient_ends_at_once_as_an_empty_message():
    """RFC 2920 3.1: a client that pipelines reads every answer; if DATA was accepted although
    no recipient was, it sends the lone dot, never the message."""
    server = ScriptedServer(
        {"RCPT": "550 5.1.1 No such mailbox"}, end_of_data="554 5.5.1 No valid recipients"
    )
    transport = _transport(server.port)
    confirms = Confirms()
    try:
        outcome = transport.send(_message(), confirms)
    finally:
        transport.close()
        server.stop()

    assert (outcome.sent, outcome.transient) == (False, False)
    assert outcome.reason == "RCPT TO: 550 5.1.1 No such mailbox"
    assert confirms.count == 0
    assert server.lines[1:] == [
        b"MAIL FROM:<news@northbridge.example>",
        b"RCPT TO:<ann@example.org>",
        b"DATA",
        b".",
        b"rset",  # as smtplib writes them
        b"quit",
    ]
    # The three commands went together, in one write.
    assert b"MAIL FROM:<news@northbridge.example>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n" in (
        server.chunks
    )


def test_a_refused_sender_is_the_reason_given_though_every_answer_is_read():
    server = ScriptedServer(
        {"MAIL": "451 4.7.1 Slow down", "RCPT": "503 5.5.1 Need MAIL", "DATA": "503 Need RCPT"}
    )
    transport = _transport(server.port)
    try:
        outcome = transport.send(_message(), Confirms())
    finally:
        transport.close()
        server.stop()

    assert (outcome.sent, outcome.transient) == (False, True)
    assert outcome.reason == "MAIL FROM: 451 4.7.1 Slow down"
    assert server.lines[-2:] == [b"rset", b"quit"]


def test_a_server_without_pipelining_gets_one_command_at_a_time():
    server = ScriptedServer({"EHLO": "250-scripted\r\n250 8BITMIME"})
    transport = _transport(server.port)
    confirms = Confirms()
    try:
        outcome = transport.send(_message(), confirms)
        assert transport.pipelining is False
    finally:
        transport.close()
        server.stop()

    assert (outcome.sent, confirms.count) == (True, 1)
    assert server.chunks[1:4] == [
        b"MAIL FROM:<news@northbridge.example>\r\n",
        b"RCPT TO:<ann@example.org>\r\n",
        b"DATA\r\n",
    ]
    assert server.lines[4:-1] == [*_data_payload(RAW).split(b"\r\n")[:-1], b"."]


def test_aiosmtpd_without_pipelining_refuses_a_recipient_and_takes_the_next(smtp_sink):
    smtp_sink.answers["nobody@example.org"] = ["550 5.1.1 No such mailbox"]
    transport = _transport(smtp_sink.port)
    try:
        refused = transport.send(_message("nobody@example.org", 1), Confirms())
        assert transport.pipelining is False
        sent = transport.send(_message("ann@example.org", 2), Confirms())
    finally:
        transport.close()

    assert (refused.sent, refused.transient, refused.reason) == (
        False,
        False,
        "RCPT TO: 550 5.1.1 No such mailbox",
    )
    assert sent.sent
    assert smtp_sink.recipients() == ["ann@example.org"]


def test_a_lost_claim_leaves_the_message_unfinished_and_the_server_discards_it(
    pipelining_smtp_sink,
):
    def confirm():
        raise ClaimLost(1)

    transport = _transport(pipelining_smtp_sink.port)
    with pytest.raises(ClaimLost):
        transport.send(_message(), confirm)
    assert transport.connection is None
    transport.close()
    pipelining_smtp_sink.wait_closed()
    assert pipelining_smtp_sink.received == []


def test_a_message_the_server_never_answers_is_not_counted_as_sent():
    """RFC 5321 6.1: the message is the sender's until the server has said 250 to its end of data;
    without that answer it goes again (a copy, at worst, with the same Message-ID)."""
    server = ScriptedServer({}, end_of_data=None)  # the connection closes after the dot
    transport = _transport(server.port)
    confirms = Confirms()
    try:
        outcome = transport.send(_message(), confirms)
    finally:
        transport.close()
        server.stop()

    assert (outcome.sent, outcome.transient, confirms.count) == (False, True, 1)
    assert outcome.reason.startswith("End of data: ")
    assert server.lines[-1] == b"."


def test_an_address_that_would_end_the_command_early_is_refused_before_anything_is_sent():
    transport = SmtpTransport(host="127.0.0.1", port=1)  # nothing listens: nothing may be tried
    outcome = transport.send(_message("ann@example.org>\r\nRCPT TO:<eve@example.org"), Confirms())

    assert (outcome.sent, outcome.transient) == (False, False)
    assert outcome.reason.startswith("Not an address SMTP can carry as it is:")
    assert transport.connection is None


@pytest.mark.parametrize(
    ("raw", "payload"),
    [
        (
            b".first\r\nplain\r\n.dot\r\n..two\r\nlast",
            b"..first\r\nplain\r\n..dot\r\n...two\r\nlast\r\n",
        ),
        (b"a\r\n.\r\n.\r\nb\r\n", b"a\r\n..\r\n..\r\nb\r\n"),
        (b"bare\nline\rends\n.dot", b"bare\r\nline\r\nends\r\n..dot\r\n"),
        (b"", b"\r\n"),
    ],
)
def test_the_data_is_dot_stuffed_with_crlf_line_ends(raw, payload):
    assert _data_payload(raw) == payload
