"""Who may run participatory budgets: officers of the process's department and the
organisation's admins. Residents propose and support through the public pages, never the admin;
the one thing a resident does to an idea beyond that, withdrawing it, is for its proposer."""

import rules

from civic.rules import (
    is_member_of_organisation,
    is_site_admin,
    runs_department_item,
    runs_organisation,
)


@rules.predicate
def is_proposer(user, idea=None) -> bool:
    return bool(
        idea is not None
        and user
        and user.is_authenticated
        and getattr(idea, "proposer_id", None) == user.pk
    )


rules.add_perm("budgets", is_site_admin | is_member_of_organisation)
rules.add_perm("budgets.view_process", runs_department_item)
rules.add_perm("budgets.add_process", runs_department_item)
rules.add_perm("budgets.change_process", runs_department_item)
rules.add_perm("budgets.publish_process", runs_department_item)
# Residents' ideas and supports hang on a process, so only an organisation admin deletes one.
rules.add_perm("budgets.delete_process", runs_organisation)
for model in ("budget", "category"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"budgets.{action}_{model}", runs_department_item)
rules.add_perm("budgets.view_idea", runs_department_item)
rules.add_perm("budgets.change_idea", runs_department_item)
rules.add_perm("budgets.review_idea", runs_department_item)
rules.add_perm("budgets.withdraw_idea", runs_department_item | is_proposer)
# Ideas are proposed by residents and decided by review, never added or deleted here.
rules.add_perm("budgets.add_idea", rules.always_deny)
rules.add_perm("budgets.delete_idea", rules.always_deny)
rules.add_perm("budgets.view_support", runs_department_item)
for action in ("add", "change", "delete"):
    rules.add_perm(f"budgets.{action}_support", rules.always_deny)

# Pabulib: importing a file of an election into one of the process's budgets (budgets.pabulib_io).
rules.add_perm("budgets.import_election", runs_department_item)
# Voting codes and paper ballots (budgets.codes): the officers who run the process.
rules.add_perm("budgets.make_codes", runs_department_item)
rules.add_perm("budgets.key_paper", runs_department_item)
# Results: an officer of the process's department works a process's results out again (the
# worker works them out by itself once voting closes).
rules.add_perm("budgets.recompute_results", runs_department_item)
rules.add_perm("budgets.view_budgetresult", runs_department_item)
for action in ("add", "change", "delete"):
    rules.add_perm(f"budgets.{action}_budgetresult", rules.always_deny)
# Building the winning projects (budgets.delivery): a project is made by the results, never added
# or deleted here; its status moves by the services; its milestones are the officers'.
rules.add_perm("budgets.deliver_project", runs_department_item)
rules.add_perm("budgets.view_project", runs_department_item)
rules.add_perm("budgets.change_project", runs_department_item)
rules.add_perm("budgets.add_project", rules.always_deny)
rules.add_perm("budgets.delete_project", rules.always_deny)
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"budgets.{action}_milestone", runs_department_item)
