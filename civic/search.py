"""Word search where the database has no full-text search of its own (SQLite, for `make run`).

PostgreSQL's English full-text search matches forms of a word ("cycling" finds "cycle"); a plain
substring match does not. Here the words of each row and of the query are reduced to their stems
with the Snowball English stemmer, the algorithm PostgreSQL's `english` configuration uses, from
the `snowballstemmer` package (pure Python, kept by the Snowball project), and a row matches when
it has every stem of the query. Rows are read into Python to compare, which suits the small
local databases SQLite serves; production runs on PostgreSQL, which searches in its index.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import snowballstemmer
from django.db.models import QuerySet

WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
# Words too common to narrow a search, which PostgreSQL's English configuration also leaves out.
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of",
        "on", "or", "that", "the", "this", "to", "was", "with",
    }
)  # fmt: skip


@functools.cache
def _stemmer():
    return snowballstemmer.stemmer("english")


def stems(text: str) -> set[str]:
    """The stems of the words of `text`, without the commonest words."""
    words = [
        word for word in WORD.findall(text.lower().replace("\u2019", "'")) if word not in STOP_WORDS
    ]
    return set(_stemmer().stemWords(words))


def matching(queryset: QuerySet, text: str, fields: Sequence[str]) -> QuerySet:
    """The rows of `queryset` whose `fields` hold every word of `text`, in any of its forms."""
    wanted = stems(text)
    if not wanted:
        return queryset
    found = [
        pk
        for pk, *values in queryset.prefetch_related(None)
        .values_list("pk", *fields)
        .iterator(chunk_size=1000)
        if wanted <= stems(" ".join(value or "" for value in values))
    ]
    return queryset.filter(pk__in=found)
