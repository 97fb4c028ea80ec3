"""Only the ESP that sends this installation's mail has webhooks: every other ESP's URL is a 404,
whatever credentials it brings; the configured ESP's refuses wrong credentials and malformed bodies
with a 4xx, never a 500 (which would tell the ESP to send the same thing again for ever). Tried with
real requests through Django's test client, for every ESP anymail ships a webhook for."""

from __future__ import annotations

import base64
import importlib
import json
import pkgutil
import re

import anymail.backends
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.checks import run_checks
from django.test import Client

from mailing import webhook_urls
from mailing.models import DeliveryEvent

pytestmark = pytest.mark.django_db

SECRET = "civic:webhook-secret"
WRONG = "civic:not-the-secret"


def _backends() -> dict[str, str]:
    """anymail's name of each ESP, to the dotted path of its e-mail backend."""
    found = {}
    for module in pkgutil.iter_modules(anymail.backends.__path__):
        path = f"anymail.backends.{module.name}"
        backend = getattr(importlib.import_module(path), "EmailBackend", None)
        esp_name = getattr(backend, "esp_name", None)
        if isinstance(esp_name, str):
            found[esp_name] = f"{path}.EmailBackend"
    return found


BACKENDS = _backends()


def _path(pattern) -> str:
    text = str(pattern.pattern)
    return "/anymail/" + re.sub(r"\([^)]*\)\?", "", text).removeprefix("^").removesuffix("$")


WEBHOOKS = [(pattern.callback.esp_name, _path(pattern)) for pattern in webhook_urls.urlpatterns]
ESPS = sorted({esp_name for esp_name, _path in WEBHOOKS})


def _public_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return "".join(line for line in pem.splitlines() if "PUBLIC KEY" not in line)


# What each ESP's webhooks need to start (its signing keys), as an operator would set them.
ESP_SETTINGS = {
    "WEBHOOK_SECRET": SECRET,
    "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-signing-key",
    "MAILERSEND_SIGNING_SECRET": "mailersend-signing-secret",
    "MAILERSEND_INBOUND_SECRET": "mailersend-inbound-secret",
    "MAILTRAP_TRACKING_SECRET": "mailtrap-tracking-secret",
    "MAILTRAP_INBOUND_SECRET": "mailtrap-inbound-secret",
    "MAILTRAP_API_TOKEN": "mailtrap-api-token",
    "MANDRILL_WEBHOOK_KEY": "mandrill-webhook-key",
    "POSTAL_WEBHOOK_KEY": _public_key(),
    "RESEND_API_KEY": "resend-api-key",
    "UNISENDER_GO_API_KEY": "unisender-go-api-key",
    "BREVO_API_KEY": "brevo-api-key",
    "SENDINBLUE_API_KEY": "sendinblue-api-key",
    "AMAZON_SES_CLIENT_PARAMS": {"region_name": "eu-west-2"},
}

MALFORMED = [
    ("application/json", b""),
    ("application/json", b"not json"),
    ("application/json", b'{"RecordType": '),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'"a string"'),
    ("application/x-www-form-urlencoded", b"event=%ZZ&signature=&token"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nnot a part\r\n--xyz--\r\n"),
    ("text/plain", b"\xff\xfe\x00junk"),
]


def _auth(secret: str | None) -> dict:
    if secret is None:
        return {}
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


@pytest.fixture
def configure(settings):
    def configure(esp_name: str | None) -> None:
        settings.ANYMAIL = dict(ESP_SETTINGS)
        backend = BACKENDS[esp_name] if esp_name else "django.core.mail.backends.smtp.EmailBackend"
        settings.MAILERS = {**settings.MAILERS, "outbound": {"BACKEND": backend}}

    return configure


def test_every_esp_with_a_webhook_has_a_backend_to_configure_it():
    assert len(ESPS) >= 13
    assert set(ESPS) <= set(BACKENDS)
    assert "Postmark" in ESPS and "Mailgun" in ESPS and "Amazon SES" in ESPS


@pytest.mark.parametrize("secret", [None, SECRET, WRONG])
def test_without_an_esp_no_webhook_is_answered(configure, secret):
    configure(None)
    client = Client(raise_request_exception=False)

    for _esp_name, path in WEBHOOKS:
        response = client.post(path, b"{}", content_type="application/json", **_auth(secret))
        assert response.status_code == 404, path
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("esp_name", ESPS)
def test_only_the_configured_esps_webhooks_are_answered(configure, esp_name):
    configure(esp_name)
    client = Client(raise_request_exception=False)

    for other, path in WEBHOOKS:
        for secret in (None, WRONG, SECRET):
            response = client.post(path, b"{}", content_type="application/json", **_auth(secret))
            if other != esp_name:
                assert response.status_code == 404, (path, secret)
            else:
                assert response.status_code != 404, (path, secret)
                assert response.status_code < 500, (path, secret)
            if secret != SECRET:
                assert 400 <= response.status_code < 500, (path, secret)
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("esp_name", ESPS)
def test_a_malformed_body_with_the_right_credentials_is_a_400(configure, esp_name):
    configure(esp_name)
    client = Client(raise_request_exception=False)

    for path in [path for other, path in WEBHOOKS if other == esp_name]:
        for content_type, body in MALFORMED:
            response = client.post(path, body, content_type=content_type, **_auth(SECRET))
            assert response.status_code == 400, (path, content_type, body)
    assert not DeliveryEvent.objects.exists()


def test_a_postmark_event_holding_a_nul_is_a_400(configure):
    configure("Postmark")
    event = {
        "RecordType": "Delivery",
        "MessageID": "00000000-0000-0000-0000-\u0000",
        "Recipient": "ada@example.org",
        "DeliveredAt": "2025-11-05T09:00:00.0000000Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": {"civic_delivery": "1"},
    }

    response = Client(raise_request_exception=False).post(
        "/anymail/postmark/tracking/",
        json.dumps(event),
        content_type="application/json",
        **_auth(SECRET),
    )

    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists()


def test_the_configured_esps_missing_webhook_key_stops_the_checks(configure, settings):
    configure("Mailgun")
    assert [message.id for message in run_checks(tags=["security"])] == []

    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    messages = [
        message for message in run_checks(tags=["security"]) if message.id == "mailing.E001"
    ]
    assert len(messages) == 1
    assert "Mailgun webhook" in messages[0].msg
    assert "MAILGUN_WEBHOOK_SIGNING_KEY" in messages[0].msg
