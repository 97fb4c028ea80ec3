"""Demo data for building the winning projects: in each process whose voting has closed, the first
winners (made projects by the results, which the seed worked out before), one in progress with
milestones, one done, one cancelled with its reason. Safe to run twice: delivery_start makes only
the projects that are missing, and a project with milestones is left as it is. Registered after
seed_budgets (budgets.demo imports this module)."""

from __future__ import annotations

import datetime as dt

from budgets.delivery import delivery_start
from budgets.models import Milestone, Process, Project
from budgets.results import funded_ideas
from civic import demo
from civic.services import state_move

MILESTONES = [
    (0, "Design agreed with residents", "A drop-in session agreed the design and the site.", 10),
    (30, "Contractor appointed", "", 25),
    (75, "Work started on site", "The site is fenced off while the work goes on.", 50),
]


def seed_delivery(*, organisations: dict) -> None:
    for process in Process.objects.published().filter(slug__in=_demo_slugs()):
        if not process.voting_closed():
            continue
        winners = funded_ideas(process)[:4]  # planned by the results already
        delivery_start(process=process, ideas=winners)
        projects = list(Project.objects.filter(idea__in=winners).order_by("idea_id"))
        for index, project in enumerate(projects):
            if project.milestones.exists() or project.status != Project.Status.PLANNED:
                continue
            _progress(project, index, start=process.voting_closes_at.date())


def _demo_slugs() -> list[str]:
    from budgets.demo import PROCESSES

    return [slug for slug, *_rest in PROCESSES]


def _progress(project: Project, index: int, *, start: dt.date) -> None:
    """The first project in progress, the second done, the third cancelled, the rest planned."""
    if index > 2:
        return
    steps = MILESTONES if index == 0 else [*MILESTONES, (120, "Finished and open", "", 100)]
    if index == 2:
        steps = MILESTONES[:1]
    Milestone.objects.bulk_create(
        [
            Milestone(
                project=project,
                date=start + dt.timedelta(days=days),
                title=title,
                description=description,
                percent_complete=percent,
            )
            for days, title, description, percent in steps
        ]
    )
    # The platform's own demo data: moves without an officer, and so without an audit entry.
    if index == 2:
        reason = "The land turned out to be contaminated."
        state_move(project, Project.Status.CANCELLED, actor=None, summary=None,
                   fields={"reason": reason})  # fmt: skip
        return
    state_move(project, Project.Status.IN_PROGRESS, actor=None, summary=None)
    if index == 1:
        state_move(project, Project.Status.DONE, actor=None, summary=None)


demo.register(seed_delivery, order=41)
