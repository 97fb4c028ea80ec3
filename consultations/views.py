"""The consultation hub and a consultation's page (being built: issue 5)."""

from django.http import Http404


def hub(request):
    raise Http404


def detail(request, slug):
    raise Http404
