"""Load the national ONS Postcode Directory (about a gigabyte) from a file on the server.

The admin's upload suits a council's extract; this command streams a file of any size.
"""

from django.core.management.base import BaseCommand, CommandError

from civic.models import Organisation
from civic.services import postcodes_load_csv


class Command(BaseCommand):
    help = "Load postcodes for an organisation's wards from an ONSPD-shaped CSV file."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="the organisation's short name (slug)")
        parser.add_argument("path", help="the CSV file: pcds and a ward code column such as wd25cd")

    def handle(self, *args, organisation, path, **options):
        council = Organisation.objects.filter(slug=organisation).first()
        if council is None:
            raise CommandError(f"No organisation has the short name {organisation!r}")
        try:
            with open(path, encoding="utf-8-sig", newline="") as lines:
                report = postcodes_load_csv(actor=None, organisation=council, lines=lines)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Could not read {path}: {error}") from error
        for problem in report.errors[:50]:
            self.stderr.write(problem)
        self.stdout.write(
            f"{report.loaded} new or moved, {report.unchanged} unchanged, "
            f"{len(report.errors)} refused"
        )
