"""An SMTP sink in a process of its own, for bench/mailing_send.py: accepts every message, counts.

    .venv/bin/python bench/smtp_sink_server.py [--port 0] [--server plain|aiosmtpd]

Listens on 127.0.0.1 and answers 250 to everything. A message counts once the sink has read its
end-of-data line, as a real mail server's 250 would; a connection dropped in the middle of a
message leaves nothing counted. A second port answers one command per line:

    stats   ->  {"messages": ..., "recipients": ..., "distinct": ..., "duplicates": ..., ...}
    reset   ->  ok          (the counts start again at zero, between the ceiling and the campaign)

Two servers: `plain` (the default), a few dozen lines of asyncio that read each message's data in
one search for the end-of-data line, and `aiosmtpd`, the library tests/smtp_sink.py runs in a
thread. aiosmtpd parses every address with the email package and reads data a line at a time:
about a millisecond of CPU per message here, so it, not the sender, would set the pace, and
the benchmark would measure the sink.

When both ports listen it prints one line, `ready <smtp port> <control port>`; it stops on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time

LOCALHOST = "127.0.0.1"
END_OF_DATA = b"\r\n.\r\n"


class Counter:
    """What the sink accepted since it started or was last reset."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.bytes = 0
        self.duplicates = 0
        self.seen: set[str] = set()
        self.first_at: float | None = None
        self.last_at: float | None = None

    def accept(self, recipients: list[str], size: int) -> None:
        now = time.monotonic()
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.messages += 1
        self.bytes += size
        for recipient in recipients:
            self.recipients += 1
            address = recipient.lower()
            if address in self.seen:
                self.duplicates += 1
            else:
                self.seen.add(address)

    def stats(self) -> dict:
        return {
            "messages": self.messages,
            "recipients": self.recipients,
            "distinct": len(self.seen),
            "duplicates": self.duplicates,
            "bytes": self.bytes,
            # time.monotonic() of this machine, comparable with the same clock in another process.
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


class PlainSmtp(asyncio.Protocol):
    """Just enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def __init__(self, counter: Counter):
        self.counter = counter
        self.buffer = bytearray()
        self.recipients: list[str] = []
        self.in_data = False
        self.scanned = 0  # how far into the buffer the end-of-data line has been looked for

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink.localhost ESMTP civic bench sink\r\n")

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while buffer:
            if self.in_data:
                if buffer.startswith(b".\r\n"):  # an empty message
                    end, size = 0, 0
                else:
                    end = buffer.find(END_OF_DATA, max(0, self.scanned - 4))
                    if end < 0:
                        self.scanned = len(buffer)
                        return
                    size, end = end + 2, end + 2
                del buffer[: end + 3]
                self.in_data, self.scanned = False, 0
                self.counter.accept(self.recipients, size)
                self.recipients = []
                self.transport.write(b"250 OK\r\n")
                continue
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                return
            line = bytes(buffer[:line_end])
            del buffer[: line_end + 2]
            self.command(line)

    def command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"RCPT":
            start, end = line.find(b"<"), line.rfind(b">")
            self.recipients.append(line[start + 1 : end].decode(errors="replace"))
            self.transport.write(b"250 OK\r\n")
        elif verb == b"MAIL" or verb == b"RSET":
            self.recipients = []
            self.transport.write(b"250 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"EHLO":
            # PIPELINING (RFC 2920): commands that arrive together are answered in turn.
            self.transport.write(
                b"250-sink.localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            )
        elif verb == b"HELO" or verb == b"NOOP":
            self.transport.write(b"250 OK\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
        else:
            self.transport.write(b"502 Command not implemented\r\n")


class AiosmtpdCounter:
    """The aiosmtpd handler: every RCPT is accepted (aiosmtpd's default), every DATA counted."""

    def __init__(self, counter: Counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        self.counter.accept(envelope.rcpt_tos, len(envelope.original_content or b""))
        return "250 OK"


async def control(counter: Counter, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    try:
        while line := await reader.readline():
            command = line.strip().decode()
            if command == "stats":
                writer.write(json.dumps(counter.stats()).encode() + b"\n")
            elif command == "reset":
                counter.reset()
                writer.write(b"ok\n")
            else:
                writer.write(b"unknown command\n")
            await writer.drain()
    except (asyncio.CancelledError, ConnectionError):
        pass
    finally:
        writer.close()


def _protocol_factory(server: str, counter: Counter):
    if server == "aiosmtpd":
        from aiosmtpd.smtp import SMTP

        # aiosmtpd logs every connection and, at DEBUG, every line: none of it is wanted here.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = AiosmtpdCounter(counter)
        # hostname given so that aiosmtpd does not look up the machine's name per connection.
        return lambda: SMTP(handler, hostname="sink.localhost", ident="civic bench sink")
    return lambda: PlainSmtp(counter)


async def serve(port: int, server: str) -> None:
    loop = asyncio.get_running_loop()
    counter = Counter()
    smtp = await loop.create_server(_protocol_factory(server, counter), host=LOCALHOST, port=port)
    controller = await asyncio.start_server(
        lambda reader, writer: control(counter, reader, writer), host=LOCALHOST, port=0
    )
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    smtp_port = smtp.sockets[0].getsockname()[1]
    control_port = controller.sockets[0].getsockname()[1]
    print(f"ready {smtp_port} {control_port}", flush=True)
    await stopped.wait()
    smtp.close()
    controller.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="SMTP port (0: any free one)")
    parser.add_argument("--server", choices=["plain", "aiosmtpd"], default="plain")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments.port, arguments.server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
