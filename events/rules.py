"""Who may run events: officers of the event's department and the organisation's admins.
Residents register through the public pages, never the admin."""

import rules

from civic.rules import (
    is_member_of_organisation,
    is_site_admin,
    runs_department_item,
    runs_organisation,
)

rules.add_perm("events", is_site_admin | is_member_of_organisation)
for model in ("event", "eventseries", "eventquestion"):
    for action in ("view", "add", "change"):
        rules.add_perm(f"events.{action}_{model}", runs_department_item)
rules.add_perm("events.publish_event", runs_department_item)
rules.add_perm("events.cancel_event", runs_department_item)
# People register for an event: an officer cancels it (they are told), and only an organisation
# admin deletes one (a mistake never published), or a series, or a question.
rules.add_perm("events.delete_event", runs_organisation)
rules.add_perm("events.delete_eventseries", runs_organisation)
rules.add_perm("events.delete_eventquestion", runs_department_item)
# Registrations are made by residents on the public pages and read by the event's officers.
rules.add_perm("events.view_registration", runs_department_item)
for action in ("add", "change", "delete"):
    rules.add_perm(f"events.{action}_registration", rules.always_deny)
# On the day and after: the event's officers check people in, add walk-ins and publish what came
# of it.
rules.add_perm("events.check_in_event", runs_department_item)
rules.add_perm("events.publish_outcome", runs_department_item)
