"""One page of a list for a public page, with what templates/includes/pagination.html draws."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, items, *, per_page: int) -> dict:
    """The page `?page=` asks for (the last one when it asks past the end, the first when it is
    not a number) as `page`, with `page_range`, elided on either side, and the `ellipsis` it
    holds: the context of the pagination include."""
    paginator = Paginator(items, per_page)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
        "ellipsis": Paginator.ELLIPSIS,
    }
