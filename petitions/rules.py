"""Who may moderate and answer petitions: officers of the council's petitions team (the department
its PetitionPolicy names, copied onto each petition) and the organisation's admins. Residents
act through the public pages, never the admin."""

import rules

from civic.rules import (
    is_member_of_organisation,
    is_site_admin,
    runs_department_item,
    runs_organisation,
)

rules.add_perm("petitions", is_site_admin | is_member_of_organisation)
rules.add_perm("petitions.view_petition", runs_department_item)
rules.add_perm("petitions.change_petition", runs_department_item)
rules.add_perm("petitions.moderate_petition", runs_department_item)
rules.add_perm("petitions.respond_petition", runs_department_item)
# Petitions are started by residents and taken down by moderation, never added or deleted here.
rules.add_perm("petitions.add_petition", rules.always_deny)
rules.add_perm("petitions.delete_petition", rules.always_deny)
rules.add_perm("petitions.view_signature", runs_department_item)
for action in ("add", "change", "delete"):
    rules.add_perm(f"petitions.{action}_signature", rules.always_deny)
# The scheme (team, supporters, periods, thresholds) is the organisation's to set.
for model in ("petitionpolicy", "threshold"):
    rules.add_perm(f"petitions.view_{model}", runs_organisation)
    for action in ("add", "change", "delete"):
        rules.add_perm(f"petitions.{action}_{model}", runs_organisation)
