"""Who may run consultations: officers of the consultation's department, and the organisation's
admins (civic.rules.runs_department_item). Officers of other departments see nothing of it."""

import rules

from civic.rules import (
    is_member_of_organisation,
    is_officer_of_organisation,
    is_site_admin,
    runs_department_item,
    runs_organisation,
)

rules.add_perm("consultations", is_site_admin | is_member_of_organisation)
for model in (
    "consultation",
    "document",
    "surveypage",
    "question",
    "option",
    "theme",
    "decision",
    "followupaction",
):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"consultations.{action}_{model}", runs_department_item)
rules.add_perm("consultations.publish_consultation", runs_department_item)
rules.add_perm("consultations.export_responses", runs_department_item)
# Responses are what residents said: read, coded and published, never edited or deleted by hand
# (erasure anonymises them).
rules.add_perm("consultations.view_response", runs_department_item)
rules.add_perm("consultations.add_response", rules.always_deny)
rules.add_perm("consultations.change_response", rules.always_deny)
rules.add_perm("consultations.delete_response", rules.always_deny)
# Topics are the organisation's: every officer may use them, its admins keep the list.
rules.add_perm("consultations.view_topic", runs_organisation | is_officer_of_organisation)
for action in ("add", "change", "delete"):
    rules.add_perm(f"consultations.{action}_topic", runs_organisation)
# The library of saved questions is the organisation's: every officer may use it and add to it,
# its admins keep it tidy.
for action in ("view", "add"):
    rules.add_perm(
        f"consultations.{action}_savedquestion", runs_organisation | is_officer_of_organisation
    )
for action in ("change", "delete"):
    rules.add_perm(f"consultations.{action}_savedquestion", runs_organisation)
