"""Formatted text written by staff (consultation bodies, outcomes, campaign messages): Markdown,
rendered by markdown-it-py and cleaned by nh3, so that no script or event handler reaches a page
or a mailbox whatever is pasted in."""

from __future__ import annotations

from collections.abc import Callable

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
    "code", "pre", "hr",
}  # fmt: skip


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
