"""Formatted text written by staff (consultation bodies, outcomes, campaign messages): Markdown,
rendered by markdown-it-py and cleaned by nh3, so that no script or event handler reaches a page
or a mailbox whatever is pasted in. And dates in words as GOV.UK writes them, in the site's time
zone, for every app's pages: day() "1 June 2027", when() "14 March 2027, 5pm"."""

from __future__ import annotations

from collections.abc import Callable

import nh3
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
    "code", "pre", "hr",
}  # fmt: skip


# What residents may write (a debate's comments): links, emphasis and lists; no headings, code or
# images, whose text stays as words.
LIGHT_TAGS = {"a", "p", "br", "strong", "em", "ul", "ol", "li"}


def markdown_light_to_html(text: str) -> SafeString:
    """Sanitised Markdown-light for text residents write. Every link carries rel="nofollow ugc",
    so the council's site lends no standing to links that residents post."""
    return mark_safe(  # noqa: S308 - nh3 has just removed everything not on the allow-list
        nh3.clean(
            _markdown.render(text or ""),
            tags=LIGHT_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"https", "http", "mailto"},
            link_rel="nofollow ugc",
        )
    )


def markdown_to_html(text: str, *, link_filter: Callable | None = None) -> SafeString:
    """Sanitised HTML; headings start at h2 (a page has its own h1)."""
    html = _markdown.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return mark_safe(  # noqa: S308 - nh3 has just removed everything not on the allow-list
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"https", "http", "mailto"},
            attribute_filter=link_filter,
        )
    )


def day(moment) -> str:
    """A date as GOV.UK writes it, in the site's time zone: "1 June 2027"."""
    if moment is None:
        return ""
    if hasattr(moment, "hour"):
        moment = timezone.localtime(moment)
    return date_filter(moment, "j F Y")


def when(moment) -> str:
    """A date and time as GOV.UK writes them, in the site's time zone: "14 March 2027, 5pm"."""
    local = timezone.localtime(moment)
    if (local.hour, local.minute) == (0, 0):
        time = _("midnight")
    elif (local.hour, local.minute) == (12, 0):
        time = _("midday")
    else:
        time = date_filter(local, "g:iA" if local.minute else "gA").lower()
    return f"{date_filter(local, 'j F Y')}, {time}"
