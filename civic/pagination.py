"""One page of a list: for a public page, with what templates/includes/pagination.html draws; and
for the API (DEFAULT_PAGINATION_CLASS; not in civic.api_base, which DRF's settings cannot import
while DRF itself is loading)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from civic import pagecache


def paginate(request: HttpRequest, items, *, per_page: int) -> dict:
    """The page `?page=` asks for (the last one when it asks past the end, the first when it is
    not a number) as `page`, with `page_range`, elided on either side, and the `ellipsis` it
    holds: the context of the pagination include. A page other than the one asked for is not
    kept in the shared page cache under the address that asked (civic.pagecache.not_kept)."""
    paginator = Paginator(items, per_page)
    asked = request.GET.get("page")
    page = paginator.get_page(asked)
    if asked is not None and asked != str(page.number):
        pagecache.not_kept(request)
    return {
        "page": page,
        "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)),
        "ellipsis": Paginator.ELLIPSIS,
    }


class ApiPagination(pagination.PageNumberPagination):
    """A page that is not a whole number of 1 or more is a 400 naming `page`, not a 404."""

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param)
        if number is None:
            return 1
        if number in self.last_page_strings:
            return paginator.num_pages
        if not number.isascii() or not number.isdigit() or int(number) < 1:
            raise ValidationError(
                {self.page_query_param: [_("Enter a whole number of 1 or more.")]}
            )
        return number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters
