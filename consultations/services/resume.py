"""Save and come back later: a signed link to a resident's draft, and e-mailing it to them. The
link works for CIVIC_RESPONSE_RESUME_DAYS (consultations.services.responding.resume_days).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consultations.models import Consultation, Response
from consultations.services.answers import email_clean, text_value
from consultations.services.responding import (
    RESPONDING,
    draft_lock,
    require_open,
    resume_days,
)

RESUME_SALT = "consultations.respond-resume"


def resume_token(response: Response) -> str:
    """A signed link to a draft, naming it by id only (links land in mail and access logs)."""
    return signing.dumps({"response": response.pk}, salt=RESUME_SALT)


def resume_url(response: Response) -> str:
    path = reverse(
        "consultations:respond_resume",
        args=[response.consultation.slug, resume_token(response)],
    )
    return settings.CIVIC_SITE_URL + path


def response_from_resume_token(*, token: str, consultation: Consultation) -> Response | None:
    """The response a link was made for, or None when it is forged, too old or for another
    consultation. The caller decides what a submitted response means."""
    try:
        payload = signing.loads(token, salt=RESUME_SALT, max_age=resume_days() * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("response"), int):
        return None
    return consultation.responses.filter(pk=payload["response"]).first()


def resume_link_send(*, response: Response, email: str, ip: str | None = None) -> Response:
    """E-mail a link that resumes the draft (from a worker, once this transaction commits)."""
    from mailing.services import transactional_enqueue

    email = text_value(email)
    if not email:
        raise ValidationError({"email": _("Enter your e-mail address")})
    try:
        email_clean(email)
    except ValidationError as error:
        raise ValidationError({"email": error}) from None
    with transaction.atomic():
        locked = draft_lock(response)
        require_open(locked.consultation)
        RESPONDING.refuse_too_many(ip, step="resume-link")
        locked.email = email
        locked.saved_at = timezone.now()
        locked.save(update_fields=["email", "saved_at"])
        consultation = locked.consultation
        context = {
            "consultation": consultation,
            "link": resume_url(locked),
            "days": resume_days(),
            "closes_at": timezone.localtime(consultation.closes_at),
            "site_name": settings.CIVIC_SITE_NAME,
        }
        transactional_enqueue(
            organisation=consultation.organisation,
            to_email=email,
            subject=render_to_string(
                "consultations/respond/email/resume_subject.txt", context
            ).strip(),
            text=render_to_string("consultations/respond/email/resume.txt", context),
        )
    return locked
