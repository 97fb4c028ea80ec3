from django.conf import settings


def site(request):
    """The site's own name and contact details for the page shell."""
    return {
        "site_name": settings.CIVIC_SITE_NAME,
        "site_contact_email": settings.CIVIC_CONTACT_EMAIL,
    }
