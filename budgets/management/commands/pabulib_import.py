"""Import a Pabulib `.pb` file into one of a process's budgets from the server, for files too
large to upload or for scripts: the same service as the admin's page (budgets.pabulib_io), with
the same checks, and the same refusal naming the line of a file with a mistake."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from budgets import pabulib_io
from budgets.allocation.wording import pounds
from budgets.models import Budget, Process
from civic.models import User

CITYWIDE = "citywide"


class Command(BaseCommand):
    help = "Import a Pabulib .pb file into a budget of a participatory budget process."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .pb file")
        parser.add_argument("--process", required=True, help="the process's web address (slug)")
        parser.add_argument(
            "--budget",
            required=True,
            help=f"the budget: its area's name, or {CITYWIDE!r} for the citywide budget",
        )
        parser.add_argument(
            "--as",
            dest="officer",
            default=None,
            help="the e-mail of the officer who imports it, who must run the process "
            "(without it, the platform imports it and the ballots name no officer)",
        )

    def handle(self, *args, file, process, budget, officer, **options):
        found = Process.objects.select_related("department__organisation").filter(slug=process)
        process_found = found.first()
        if process_found is None:
            raise CommandError(f"No budget process has the web address {process!r}")
        budget_found = self._budget(process_found, budget)
        actor = None
        if officer is not None:
            actor = User.objects.filter(email__iexact=officer.strip(), is_active=True).first()
            if actor is None:
                raise CommandError(f"No active account has the e-mail {officer!r}")
        try:
            with open(file, "rb") as opened:
                imported = pabulib_io.election_import(
                    actor=actor, process=process_found, budget=budget_found, file=opened
                )
        except OSError as error:
            raise CommandError(f"Could not read {file}: {error.strerror}") from error
        except PermissionDenied as error:
            raise CommandError(f"{officer} does not run the process {process!r}") from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"Imported {imported.projects} projects and {imported.ballots} ballots into the "
            f"{imported.budget.name} budget of {process_found.title} "
            f"(amount {pounds(imported.budget.amount)})."
        )

    def _budget(self, process: Process, name: str) -> Budget:
        budgets = list(process.budgets.select_related("area"))
        if name.strip().lower() == CITYWIDE:
            chosen = [budget for budget in budgets if budget.area_id is None]
        else:
            chosen = [
                budget
                for budget in budgets
                if budget.area_id and budget.area.name.lower() == name.strip().lower()
            ]
        if not chosen:
            names = ", ".join(sorted(budget.name for budget in budgets)) or "none"
            raise CommandError(
                f"The process {process.slug!r} has no {name!r} budget. Its budgets: {names}"
            )
        return chosen[0]
