"""anymail's webhook URLs (civic/urls.py mounts them at /anymail/), answered only for the ESP this
installation sends through.

anymail routes every ESP it knows. An ESP that is not configured has none of its keys, so its
views fail to start and answer 500 to anyone who posts to them, and a malformed body to the one
that is configured fails deep in its parser, again with a 500 that tells the ESP to try again for
ever. Here each of anymail's URL patterns is kept (same paths and names), but its view answers 404
unless its ESP is the one in MAILERS["outbound"] (the EMAIL_BACKEND setting), and a body that
fails to parse, or holds text PostgreSQL cannot store, is a 400. The ESP is read at request time,
not at import, so that a test (or a reconfigured process) sees the setting it runs with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager

import requests
from anymail import urls as anymail_urls
from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailImproperlyInstalled,
    AnymailRequestsAPIError,
)
from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent
from django.conf import settings
from django.core import checks
from django.core.exceptions import BadRequest, ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.urls import URLPattern
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from civic.middleware import UNSTORABLE

logger = logging.getLogger(__name__)

app_name = "anymail"


def configured_esp_name() -> str | None:
    """anymail's name for the ESP that sends this installation's mail ("Postmark", ...), or None
    when mail leaves by SMTP or files."""
    backend = import_string(settings.MAILERS["outbound"]["BACKEND"])
    return getattr(backend, "esp_name", None)


@contextmanager
def _malformed_is_a_bad_request(esp_name: str, *, parsing: bool):
    """What anymail's parsers raise on a body they cannot read (KeyError, ValueError, ...) is the
    sender's fault: 400, so the ESP does not retry it; so is a parser's guess from the body that
    it came to the wrong URL (a configuration error raised while parsing). A failed check of
    credentials is already a 400; a missing setting or package, and a failed call back to the
    ESP's API, are ours or passing, so they stay a 500 and the ESP tries again later."""
    try:
        yield
    except (SuspiciousOperation, AnymailImproperlyInstalled):
        raise
    except (AnymailRequestsAPIError, requests.RequestException):
        raise
    except ImproperlyConfigured as error:
        if not parsing or not isinstance(error, AnymailConfigurationError):
            raise
        logger.warning("Refused a %s webhook sent to the wrong URL: %s", esp_name, error)
        raise BadRequest(f"Malformed {esp_name} webhook") from error
    except Exception as error:
        logger.warning("Refused a malformed %s webhook: %r", esp_name, error)
        raise BadRequest(f"Malformed {esp_name} webhook") from error


def _unstorable(event: AnymailTrackingEvent | AnymailInboundEvent) -> bool:
    values: list = [value for value in vars(event).values() if isinstance(value, str)]
    values += [*(getattr(event, "tags", None) or [])]
    metadata = getattr(event, "metadata", None) or {}
    values += [*metadata.keys(), *metadata.values()]
    return any(isinstance(value, str) and UNSTORABLE.search(value) for value in values)


class StrictWebhookMixin:
    """Put before one of anymail's webhook views: its checks and its parser, with what they
    raise on a malformed body turned into a 400, and events whose text we could not store
    refused likewise."""

    def run_validators(self, request):
        with _malformed_is_a_bad_request(self.esp_name, parsing=False):
            super().run_validators(request)

    def parse_events(self, request):
        with _malformed_is_a_bad_request(self.esp_name, parsing=True):
            events = list(super().parse_events(request))
        if any(_unstorable(event) for event in events):
            logger.warning("Refused a %s webhook with a NUL character", self.esp_name)
            raise BadRequest(f"Malformed {self.esp_name} webhook")
        return events


def _only_when_configured(callback: Callable) -> Callable:
    view_class = callback.view_class
    strict_class = type(view_class.__name__, (StrictWebhookMixin, view_class), {})
    strict_view = strict_class.as_view(**callback.view_initkwargs)

    @csrf_exempt
    def view(request, *args, **kwargs):
        if configured_esp_name() != view_class.esp_name:
            raise Http404(f"{view_class.esp_name} is not this installation's ESP")
        return strict_view(request, *args, **kwargs)

    view.view_class = strict_class
    view.view_initkwargs = callback.view_initkwargs
    view.esp_name = view_class.esp_name
    return view


urlpatterns = [
    URLPattern(
        pattern.pattern, _only_when_configured(pattern.callback), pattern.default_args, pattern.name
    )
    for pattern in anymail_urls.urlpatterns
]


def esp_webhooks_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The configured ESP's webhooks can start: its keys are set and its packages installed
    (`pip install "django-anymail[<esp>]"`). Otherwise every event it posts would be a 500."""
    esp_name = configured_esp_name()
    errors = []
    for pattern in urlpatterns:
        if pattern.callback.esp_name != esp_name:
            continue
        try:
            pattern.callback.view_class(**pattern.callback.view_initkwargs)
        except ImproperlyConfigured as error:
            errors.append(
                checks.Error(
                    f"The {esp_name} webhook at /anymail/ cannot start: {error}",
                    hint="Set the ESP's webhook keys as ANYMAIL_* variables (docs/operations.md).",
                    id="mailing.E001",
                )
            )
    return list({error.msg: error for error in errors}.values())
