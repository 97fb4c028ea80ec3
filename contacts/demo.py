"""Demo data of the contacts app, run by `manage.py seed_demo` (safe to run again)."""

from datetime import timedelta

from django.utils import timezone

from civic import demo
from contacts import kinds
from contacts.models import ConsentEvent, ConsentPurpose, Contact, Tag


def seed_contacts(*, organisations: dict) -> None:
    """A few hundred contacts across Northbridge's wards, with tags and consent history."""
    organisation = organisations["northbridge"]
    newsletter, _ = ConsentPurpose.objects.get_or_create(
        organisation=organisation,
        slug="newsletter",
        defaults={
            "name": "The council newsletter",
            "description": "A monthly e-mail about what is open for comment and what changed.",
        },
    )
    transport, _ = ConsentPurpose.objects.get_or_create(
        organisation=organisation,
        slug="transport",
        defaults={
            "name": "Transport consultations",
            "description": "An e-mail when a consultation about roads or buses opens.",
        },
    )
    tags = [
        Tag.objects.get_or_create(organisation=organisation, name=name)[0]
        for name in ("cyclists", "parents", "businesses", "residents' association")
    ]
    areas = list(organisation.areas.prefetch_related("postcodes"))
    first_names = ["Amira", "Ben", "Chloe", "Dev", "Ewa", "Farid", "Grace", "Hamza", "Isla"]
    last_names = ["Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hughes"]
    sources = [choice for choice, _label in kinds.source_choices()]
    now = timezone.now()
    for number in range(300):
        area = areas[number % len(areas)]
        postcodes = list(area.postcodes.all())
        contact, created = Contact.objects.get_or_create(
            organisation=organisation,
            email=f"demo.contact{number}@example.org",
            defaults={
                "name": f"{first_names[number % 9]} {last_names[number % 8]}",
                "postcode": postcodes[number % len(postcodes)].postcode,
                "area": area,
                "source": "import" if number % 3 else sources[number % len(sources)],
            },
        )
        if not created:
            continue
        Contact.objects.filter(pk=contact.pk).update(created_at=now - timedelta(days=number))
        contact.tags.add(*(tag for index, tag in enumerate(tags) if number % (index + 2) == 0))
        if number % 3:
            ConsentEvent.objects.create(
                contact=contact,
                purpose=newsletter,
                action="given",
                method="Demo data",
                wording=newsletter.description,
                created_at=now - timedelta(days=number),
            )
        if number % 7 == 0:
            ConsentEvent.objects.create(
                contact=contact,
                purpose=transport,
                action="given",
                method="Demo data",
                wording=transport.description,
                created_at=now - timedelta(days=number),
            )
        if number % 11 == 1:
            ConsentEvent.objects.create(
                contact=contact,
                purpose=newsletter,
                action="withdrawn",
                method="Demo data: unsubscribed",
                created_at=now - timedelta(days=number // 2),
            )


demo.register(seed_contacts, order=10)
