"""Responding to a consultation's survey (being built: issue 5)."""

from django.http import Http404


def start(request, slug):
    raise Http404


def page(request, slug, number):
    raise Http404


def check(request, slug):
    raise Http404


def done(request, slug, reference):
    raise Http404


def resume(request, slug, token):
    raise Http404
