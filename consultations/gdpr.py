"""What consultations hold about a contact, for their copy of their data and for erasure
(registered with contacts.gdpr_registry in ConsultationsConfig.ready).

A response belongs to a contact when it was linked on submission (they agreed to be contacted)
or when its e-mail is theirs. Erasure keeps the response, so the counts stay, and removes what
identifies the person: the e-mail, the link to the contact and the account, and the answers to
questions that ask for personal details (e-mail, postcode) or free text that names them.
"""

from __future__ import annotations

from django.db.models import Q

from consultations.models import Answer, Question, Response
from contacts.gdpr_registry import mentions
from contacts.models import Contact

PERSONAL_KINDS = {Question.Kind.EMAIL, Question.Kind.POSTCODE}
ERASED = "[erased]"


def _responses(contact: Contact):
    by_email = Q(email__iexact=contact.email) if contact.email else Q(pk__in=[])
    return Response.objects.filter(
        Q(contact=contact) | by_email,
        consultation__department__organisation_id=contact.organisation_id,
    )


def export_responses(contact: Contact) -> list[dict]:
    rows = []
    responses = (
        _responses(contact)
        .select_related("consultation")
        .prefetch_related("answers__question", "answers__choices__option")
    )
    for response in responses.order_by("pk"):
        for answer in response.answers.all():
            chosen = ", ".join(choice.option.label for choice in answer.choices.all())
            rows.append(
                {
                    "consultation": response.consultation.title,
                    "reference": response.reference,
                    "submitted": response.submitted_at.isoformat() if response.submitted_at else "",
                    "question": answer.question.text,
                    "answer": chosen or answer.text or str(answer.number or answer.date or ""),
                }
            )
    return rows


def erase_responses(contact: Contact) -> int:
    responses = list(_responses(contact).values_list("pk", flat=True))
    if not responses:
        return 0
    answers = Answer.objects.filter(response_id__in=responses)
    answers.filter(question__kind__in=PERSONAL_KINDS).update(text=ERASED)
    # Free text that names them (address, its part before the @, name) goes whole.
    answers.filter(mentions("text", contact)).update(text=ERASED)
    return Response.objects.filter(pk__in=responses).update(
        email="", contact=None, user=None, published=False
    )
