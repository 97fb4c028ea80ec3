"""What an officer does from an idea's page and a process's page in the admin.

Each review decision is a button on the idea's page that leads to a page of its own,
/admin/budgets/idea/<id>/<decision>/, with what the decision needs (a reason, a cost, the idea
a duplicate merges into, chosen from a list) and, for what cannot be undone, a check to confirm.
The page calls one service; a refusal is drawn again next to its field, never a server error.
Publishing a process is a page that lists what stops it, and a button once nothing does.

    DECISIONS          each decision: its form, the statuses it applies to, the service it calls
    IdeaActionsMixin     the decision pages, for IdeaAdmin
    ProcessActionsMixin  the publish page, for ProcessAdmin
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgets import services
from budgets.admin_forms import (
    CostForm,
    FeasibleForm,
    MergeForm,
    NoFieldsForm,
    NotFeasibleForm,
    WithdrawForm,
)
from budgets.models import Idea
from civic.admin_base import AdminPagesMixin, Publishing
from civic.forms import service_errors_onto

Status = Idea.Status
REVIEW = "budgets.review_idea"
PUBLISH = "budgets.publish_process"


@dataclass(frozen=True)
class Decision:
    name: str
    form: type[forms.Form]
    heading: str
    button: str
    statuses: frozenset
    run: Callable  # (actor, idea, cleaned_data) -> Idea
    done: str
    intro: str = ""


DECISIONS = [
    Decision(
        name="feasible",
        form=FeasibleForm,
        heading=gettext_lazy("Feasible"),
        button=gettext_lazy("Mark it feasible"),
        statuses=frozenset({Status.PROPOSED, Status.FEASIBLE, Status.NOT_FEASIBLE}),
        run=lambda actor, idea, data: services.idea_feasible(
            actor=actor, idea=idea, reason=data["reason"], final_cost=data["final_cost"]
        ),
        done=gettext_lazy("The idea is marked feasible. Its proposer and followers are told."),
        intro=gettext_lazy("The council can do it. Say why, and its final cost if you know it."),
    ),
    Decision(
        name="not_feasible",
        form=NotFeasibleForm,
        heading=gettext_lazy("Not feasible"),
        button=gettext_lazy("Mark it not feasible"),
        statuses=frozenset({Status.PROPOSED, Status.FEASIBLE, Status.NOT_FEASIBLE}),
        run=lambda actor, idea, data: services.idea_not_feasible(
            actor=actor, idea=idea, reason=data["reason"]
        ),
        done=gettext_lazy("The idea is marked not feasible. Its proposer and followers are told."),
        intro=gettext_lazy("The council cannot do it. The reason is public."),
    ),
    Decision(
        name="cost",
        form=CostForm,
        heading=gettext_lazy("Final cost"),
        button=gettext_lazy("Save the final cost"),
        statuses=frozenset({Status.PROPOSED, Status.FEASIBLE, Status.NOT_FEASIBLE}),
        run=lambda actor, idea, data: services.idea_cost_set(
            actor=actor, idea=idea, final_cost=data["final_cost"]
        ),
        done=gettext_lazy("The final cost is saved."),
    ),
    Decision(
        name="ballot",
        form=NoFieldsForm,
        heading=gettext_lazy("Put on the ballot"),
        button=gettext_lazy("Put it on the ballot"),
        statuses=frozenset({Status.FEASIBLE}),
        run=lambda actor, idea, data: services.idea_ballot_add(actor=actor, idea=idea),
        done=gettext_lazy("The idea is on the ballot. Its proposer and followers are told."),
        intro=gettext_lazy(
            "Voters will see it with its final cost. It can come off the ballot until voting opens."
        ),
    ),
    Decision(
        name="off_ballot",
        form=NoFieldsForm,
        heading=gettext_lazy("Take off the ballot"),
        button=gettext_lazy("Take it off the ballot"),
        statuses=frozenset({Status.ON_BALLOT}),
        run=lambda actor, idea, data: services.idea_ballot_remove(actor=actor, idea=idea),
        done=gettext_lazy("The idea is off the ballot, and feasible again."),
    ),
    Decision(
        name="merge",
        form=MergeForm,
        heading=gettext_lazy("Merge into another idea"),
        button=gettext_lazy("Merge the ideas"),
        statuses=frozenset({Status.PROPOSED, Status.FEASIBLE, Status.NOT_FEASIBLE}),
        run=lambda actor, idea, data: services.idea_merge(
            actor=actor, idea=idea, into=data["into"], reason=data["reason"]
        ),
        done=gettext_lazy(
            "The ideas are merged. Supporters of the merged idea and its proposer are told."
        ),
        intro=gettext_lazy(
            "For a duplicate: it points to the idea that carries on, and cannot be undone."
        ),
    ),
    Decision(
        name="withdraw",
        form=WithdrawForm,
        heading=gettext_lazy("Remove"),
        button=gettext_lazy("Remove the idea"),
        statuses=frozenset({Status.PROPOSED, Status.FEASIBLE, Status.NOT_FEASIBLE}),
        run=lambda actor, idea, data: services.idea_withdraw(
            actor=actor, idea=idea, reason=data["reason"]
        ),
        done=gettext_lazy("The idea is removed. Its proposer and followers are told why."),
        intro=gettext_lazy(
            "For an idea that breaks the rules of the process. It stays on the site, marked "
            "withdrawn, with the reason."
        ),
    ),
]
DECISIONS_BY_NAME = {decision.name: decision for decision in DECISIONS}


def _auto_id(decision: Decision) -> str:
    return f"{decision.name.replace('_', '-')}-%s"


class IdeaActionsMixin(AdminPagesMixin):
    def admin_pages(self):
        return [
            self.page_path(
                f"<int:object_id>/{decision.name.replace('_', '-')}/",
                self.decision_view,
                decision.name,
                {"name": decision.name},
            )
            for decision in DECISIONS
        ]

    def _url(self, name: str, idea: Idea) -> str:
        return reverse(f"{self.admin_site.name}:budgets_idea_{name}", args=[idea.pk])

    def offered(self, request, idea: Idea) -> list[dict]:
        """The decisions this officer may take on the idea as it stands, while the process
        takes them."""
        if not request.user.has_perm(REVIEW, idea) or not idea.process.allows("review"):
            return []
        return [
            {"decision": decision, "url": self._url(decision.name, idea)}
            for decision in DECISIONS
            if idea.status in decision.statuses
        ]

    def decision_view(self, request, object_id, name: str):
        decision = DECISIONS_BY_NAME[name]
        idea = self.page_object(request, object_id, permission=REVIEW)
        form = decision.form(idea=idea, auto_id=_auto_id(decision))
        if request.method == "POST":
            form = decision.form(request.POST, idea=idea, auto_id=_auto_id(decision))
            if form.is_valid():
                try:
                    decision.run(request.user, idea, form.cleaned_data)
                except ValidationError as error:
                    service_errors_onto(form, error)
                else:
                    messages.success(request, str(decision.done))
                    return redirect(self._url("change", idea))
        return self.page_response(
            request,
            "admin/budgets/idea/decision.html",
            {
                "title": f"{decision.heading}: {idea.title}",
                "idea": idea,
                "original": idea,
                "change_url": self._url("change", idea),
                "decision": decision,
                "applies": idea.status in decision.statuses,
                "form": form,
            },
        )


# Where a problem of no field is put right on the process's page: the budgets' table (Django's id
# for the inline). Each problem's words say where, so no label goes before them.
BUDGETS_TABLE = "budgets-group"


class ProcessActionsMixin(AdminPagesMixin):
    def admin_pages(self):
        return [self.page_path("<int:object_id>/publish/", self.publish_view, "publish")]

    def publish_view(self, request, object_id):
        process = self.page_object(request, object_id, permission=PUBLISH)
        return self.publish_page(request, process, Publishing(
            heading=process.title,
            change_url=reverse(f"{self.admin_site.name}:budgets_process_change",
                               args=[process.pk]),
            problems=lambda: services.process_problems(process),
            publish=lambda: services.process_publish(actor=request.user, process=process,
                                                     now=timezone.now()),
            published=_("The process is published: residents can see it now."),
            already=_("This process is already published."),
            back_label=_("Back to the process"),
            problems_title=_("The process cannot be published yet"),
            residents_see=[
                _(
                    "Residents can see the process and its dates at once. From the day "
                    "ideas open, they can propose and support ideas."
                )
            ],
            confirm_question=_(
                "Are you sure you want to publish it? You cannot unpublish a budget process."
            ),
            confirm_label=_("Publish the process"),
            links={"elsewhere": BUDGETS_TABLE},
        ))  # fmt: skip
