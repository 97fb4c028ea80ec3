"""Demo data for `make run`: two councils, their departments and wards, and staff to sign in as.

Idempotent: every row is looked up by a natural key before it is made, so a second run changes
nothing. Feature apps add their own demo data in later issues.
"""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from civic import demo
from civic.discovery import app_modules
from civic.models import Area, Department, Organisation, Postcode, Role, User

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed on purpose for the local demo

COUNCILS = [
    {
        "name": "Northbridge City Council",
        "slug": "northbridge",
        "brand_colour": "#1d4f91",
        "website": "https://northbridge.example",
        "departments": [
            ("Transport and Highways", "transport"),
            ("Parks and Green Spaces", "parks"),
            ("Housing", "housing"),
        ],
        "areas": [
            ("E05000001", "Ancoats Ward", 14211, ["M4 6AA", "M4 6AB", "M4 6AD"]),
            ("E05000002", "Castlefield Ward", 11870, ["M3 4AA", "M3 4AB"]),
            ("E05000003", "Riverside Ward", 16402, ["M15 4AA", "M15 4AB", "M15 4AD"]),
        ],
    },
    {
        "name": "Eastmoor Borough Council",
        "slug": "eastmoor",
        "brand_colour": "#00594f",
        "website": "https://eastmoor.example",
        "departments": [("Planning", "planning"), ("Community Services", "community")],
        "areas": [
            ("E05000101", "Hillside Ward", 9120, ["B1 1AA", "B1 1AB"]),
            ("E05000102", "Moorgate Ward", 10544, ["B2 4AA", "B2 4AB"]),
        ],
    },
]

STAFF = [
    ("admin@civic.localhost", "Site Admin", None, None, None),
    (
        "orgadmin@northbridge.example",
        "Olu Adeyemi",
        "northbridge",
        Role.Kind.ORGANISATION_ADMIN,
        [],
    ),
    ("officer@northbridge.example", "Priya Shah", "northbridge", Role.Kind.OFFICER, ["transport"]),
    ("facilitator@northbridge.example", "Sam Kelly", "northbridge", Role.Kind.FACILITATOR, []),
    ("officer@eastmoor.example", "Gareth Jones", "eastmoor", Role.Kind.OFFICER, ["planning"]),
]
RESIDENT = ("resident@example.org", "Rosa Resident")


class Command(BaseCommand):
    help = "Load demo councils, wards, postcodes and staff accounts (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        organisations = {}
        for council in COUNCILS:
            organisation, _ = Organisation.objects.get_or_create(
                slug=council["slug"],
                defaults={
                    "name": council["name"],
                    "brand_colour": council["brand_colour"],
                    "website": council["website"],
                },
            )
            organisations[council["slug"]] = organisation
            for name, slug in council["departments"]:
                Department.objects.get_or_create(
                    organisation=organisation, slug=slug, defaults={"name": name}
                )
            for code, name, population, postcodes in council["areas"]:
                area, _ = Area.objects.get_or_create(
                    organisation=organisation,
                    code=code,
                    defaults={"name": name, "population": population},
                )
                for postcode in postcodes:
                    Postcode.objects.get_or_create(
                        organisation=organisation, postcode=postcode, defaults={"area": area}
                    )

        logins = []
        for email, name, organisation_slug, kind, department_slugs in STAFF:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=DEMO_PASSWORD,
                    name=name,
                    is_staff=True,
                    is_superuser=organisation_slug is None,
                )
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if organisation_slug:
                organisation = organisations[organisation_slug]
                role, _ = Role.objects.get_or_create(
                    user=user, organisation=organisation, kind=kind
                )
                role.departments.add(
                    *Department.objects.filter(organisation=organisation, slug__in=department_slugs)
                )
            logins.append((email, kind.label if kind else "Site admin"))

        # Apps above the core add their own demo data through civic.demo, found in <app>/demo.py.
        app_modules("demo")
        for seeder in demo.seeders():
            seeder(organisations=organisations)

        resident = User.objects.filter(email=RESIDENT[0]).first() or User.objects.create_user(
            email=RESIDENT[0], password=DEMO_PASSWORD, name=RESIDENT[1]
        )
        EmailAddress.objects.get_or_create(
            user=resident, email=RESIDENT[0], defaults={"verified": True, "primary": True}
        )
        logins.append((RESIDENT[0], "Resident"))

        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Demo sign-ins (password {DEMO_PASSWORD}):")
        )
        for email, label in logins:
            self.stdout.write(f"  {label:<20} {email}")
