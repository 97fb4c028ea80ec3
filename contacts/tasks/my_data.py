from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from contacts.services.my_data import contacts_for_email, my_data_token

__all__ = ["my_data_link_send_task"]


@shared_task(time_limit=60, soft_time_limit=50)
def my_data_link_send_task(email: str) -> None:
    """Send the signed link, only to an address some organisation holds."""
    if not contacts_for_email(email).exists():
        return
    path = reverse("contacts:my_data_link", args=[my_data_token(email=email)])
    context = {"link": f"{settings.CIVIC_SITE_URL}{path}", "site_name": settings.CIVIC_SITE_NAME}
    send_mail(
        subject=render_to_string("contacts/email/my_data_link_subject.txt", context).strip(),
        message=render_to_string("contacts/email/my_data_link.txt", context),
        from_email=None,
        recipient_list=[email],
    )
