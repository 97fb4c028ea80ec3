"""A campaign's Markdown turned into a branded HTML part and a plain-text part, once per campaign,
then filled in per recipient with nothing more than string joins.

Markdown is rendered and cleaned by civic.formatting (markdown-it-py and nh3), so a pasted
<script> or an `onclick` never reaches a mailbox. Merge fields are parsed here rather than by
Django's template engine: a facilitator's text must not be able to run template tags, and a fixed
set of fields compiles into literal pieces that make sending 100,000 messages cheap. Values from
contacts are escaped in the HTML part.
"""

from __future__ import annotations

import binascii
import email.utils
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from functools import lru_cache
from html import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from civic import formatting

MERGE_FIELD = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
FIELD_SYNTAX = re.compile(r'^\s*([a-z_]+(?:\.[a-z_]+)?)\s*(?:\|\s*default\s*:\s*"([^"{}]*)"\s*)?$')
FIELDS = {
    "contact.first_name",
    "contact.name",
    "contact.email",
    "organisation.name",
    "site_url",
    "unsubscribe_url",
}
# Placeholders that pass through Markdown and the sanitiser untouched: letters and digits only.
PLACEHOLDER = "civicmergefield{}x"
PLACEHOLDER_PATTERN = re.compile(r"civicmergefield(\d+)x")

_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def merge_field_errors(text: str) -> list[str]:
    """What is wrong with the merge fields in a subject or body, in words for the facilitator."""
    errors = []
    for match in MERGE_FIELD.finditer(text):
        syntax = FIELD_SYNTAX.match(match.group(1))
        if syntax is None or syntax.group(1) not in FIELDS:
            errors.append(
                _("“%(field)s” is not a merge field. Use one of: %(fields)s.")
                % {
                    "field": match.group(0)[:60],
                    "fields": ", ".join(f"{{{{ {name} }}}}" for name in sorted(FIELDS)),
                }
            )
    if "{%" in text:
        errors.append(_("Template tags ({% … %}) cannot be used in a message."))
    return errors


def validate_merge_fields(text: str) -> None:
    errors = merge_field_errors(text)
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class Compiled:
    """Literal pieces with merge fields between them: pieces[0], field[0], pieces[1], ..."""

    pieces: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (field name, default)
    escape_html: bool

    def fill(self, values: dict[str, str]) -> str:
        out = [self.pieces[0]]
        for (name, default), piece in zip(self.fields, self.pieces[1:], strict=True):
            value = values.get(name) or default
            out.append(escape(value) if self.escape_html else value)
            out.append(piece)
        return "".join(out)


def _with_placeholders(text: str) -> tuple[str, list[tuple[str, str]]]:
    fields: list[tuple[str, str]] = []

    def replace(match: re.Match) -> str:
        syntax = FIELD_SYNTAX.match(match.group(1))
        if syntax is None or syntax.group(1) not in FIELDS:
            return ""  # validation refuses these before a campaign can be saved
        fields.append((syntax.group(1), syntax.group(2) or ""))
        return PLACEHOLDER.format(len(fields) - 1)

    return MERGE_FIELD.sub(replace, text), fields


def _compile(text: str, fields: list[tuple[str, str]], *, escape_html: bool) -> Compiled:
    parts = PLACEHOLDER_PATTERN.split(text)
    # split() alternates literal text and the captured placeholder number.
    pieces = tuple(parts[0::2])
    used = tuple(fields[int(number)] for number in parts[1::2])
    return Compiled(pieces=pieces, fields=used, escape_html=escape_html)


def _absolute(url: str) -> str:
    relative = url.startswith("/") and not url.startswith("//")
    return settings.CIVIC_SITE_URL + url if relative else url


def _link_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return _absolute(value)
    return value


def markdown_to_html(markdown: str) -> str:
    return str(formatting.markdown_to_html(markdown, link_filter=_link_filter))


def markdown_to_text(markdown: str) -> str:
    """Markdown reads well as plain text; links become 'words (address)'."""
    return _MARKDOWN_LINK.sub(lambda m: f"{m.group(1)} ({_absolute(m.group(2))})", markdown)


@dataclass(frozen=True)
class Template:
    subject: Compiled
    text: Compiled
    html: Compiled


def footer() -> tuple[str, SafeString]:
    """The line every e-mail ends with, as text and as HTML: where a person sees, downloads or
    deletes the data held about them ("My data"). Campaigns carry it in their templates, and
    mailing.services.transactional_message adds it to every other message."""
    return _footer(get_language(), settings.CIVIC_SITE_NAME, settings.CIVIC_SITE_URL)


@lru_cache(maxsize=16)
def _footer(language: str | None, site_name: str, site_url: str) -> tuple[str, SafeString]:
    # Rendered once per language: a petition's confirmations are sent in thousands at once.
    context = {"site_name": site_name, "my_data_url": site_url + reverse("contacts:my_data")}
    text = render_to_string("mailing/email/footer.txt", context).strip()
    html = render_to_string("mailing/email/footer.html", context).strip()
    return text, mark_safe(html)  # noqa: S308 - our own template, autoescaped


def compile_message(*, subject: str, body: str, organisation) -> Template:
    """Compile once per campaign; Template.fill per recipient is string joins only."""
    subject_text, subject_fields = _with_placeholders(subject)
    body_text, body_fields = _with_placeholders(body)
    html_body = markdown_to_html(body_text)
    footer_text, footer_html = footer()
    html = render_to_string(
        "mailing/email/campaign.html",
        {
            "footer_html": footer_html,
            "organisation": organisation,
            "body": html_body,
            "subject": subject_text,
            "unsubscribe_placeholder": PLACEHOLDER.format(len(body_fields)),
        },
    )
    text = render_to_string(
        "mailing/email/campaign.txt",
        {
            "footer_text": footer_text,
            "organisation": organisation,
            "body": markdown_to_text(body_text),
            "unsubscribe_placeholder": PLACEHOLDER.format(len(body_fields)),
        },
    )
    body_fields = [*body_fields, ("unsubscribe_url", "")]
    return Template(
        subject=_compile(subject_text, subject_fields, escape_html=False),
        text=_compile(text, body_fields, escape_html=False),
        html=_compile(html, body_fields, escape_html=True),
    )


def merge_values(*, contact, organisation, unsubscribe_url: str) -> dict[str, str]:
    name = (contact.name or "").strip() if contact is not None else ""
    return {
        "contact.first_name": name.split()[0] if name else "",
        "contact.name": name,
        "contact.email": contact.email if contact is not None else "",
        "organisation.name": organisation.name,
        "site_url": settings.CIVIC_SITE_URL,
        "unsubscribe_url": unsubscribe_url,
    }


# A MIME message built from strings: the email package's generator costs more than the sending.

_UNSAFE_HEADER = re.compile(r"[\r\n\x00]+")


def header_value(value: str) -> str:
    """One line, encoded when not ASCII; a newline in a name cannot inject a header."""
    value = _UNSAFE_HEADER.sub(" ", value).strip()
    return value if value.isascii() else Header(value, "utf-8").encode()


def address(name: str, email_address: str) -> str:
    return email.utils.formataddr((_UNSAFE_HEADER.sub(" ", name).strip(), email_address), "utf-8")


def _quoted_printable(text: str) -> bytes:
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    return encoded.replace(b"\n", b"\r\n")


def _alternative(text: str, html: str, boundary: str) -> bytes:
    """The multipart/alternative body (its Content-Type line, a blank line, the two parts)."""
    return b"".join(
        [
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
            f"--{boundary}\r\n".encode(),
            b"Content-Type: text/plain; charset=utf-8\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            _quoted_printable(text),
            f"\r\n--{boundary}\r\n".encode(),
            b"Content-Type: text/html; charset=utf-8\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            _quoted_printable(html),
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )


def mime_bytes(
    *,
    headers: list[tuple[str, str]],
    text: str,
    html: str,
    boundary: str | None = None,
) -> bytes:
    """A multipart/alternative message with CRLF line ends, ready for SMTP DATA."""
    boundary = boundary or "civic-" + secrets.token_hex(12)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return b"".join(
        [head.encode("ascii"), b"MIME-Version: 1.0\r\n", _alternative(text, html, boundary)]
    )


# What an attachment's file name may hold as it is; anything else becomes "_".
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def mixed_bytes(
    *,
    headers: list[tuple[str, str]],
    text: str,
    html: str,
    attachments: list[tuple[str, bytes, str]],
) -> bytes:
    """A multipart/mixed message: the text (and HTML, as alternatives) and then each attachment,
    given as (file name, content, content type), in base64 with CRLF line ends."""
    boundary = "civic-" + secrets.token_hex(12)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    if html:
        body = _alternative(text, html, "civic-" + secrets.token_hex(12))
    else:
        body = (
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + _quoted_printable(text)
        )
    parts = [
        head.encode("ascii"),
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode(),
        f"--{boundary}\r\n".encode(),
        body,
    ]
    for filename, content, content_type in attachments:
        name = _FILENAME_UNSAFE.sub("_", filename) or "attachment"
        encoded = binascii.b2a_base64(content, newline=False)
        lines = b"\r\n".join(encoded[at : at + 76] for at in range(0, len(encoded), 76))
        parts += [
            f"\r\n--{boundary}\r\n".encode(),
            f'Content-Type: {_UNSAFE_HEADER.sub(" ", content_type)}; name="{name}"\r\n'.encode(),
            f'Content-Disposition: attachment; filename="{name}"\r\n'.encode(),
            b"Content-Transfer-Encoding: base64\r\n\r\n",
            lines,
        ]
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts)
