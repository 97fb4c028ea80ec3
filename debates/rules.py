"""Who may run debates: officers of the debate's department and the organisation's admins.
Residents take part through the public pages, never the admin."""

import rules

from civic.rules import (
    is_member_of_organisation,
    is_site_admin,
    runs_department_item,
    runs_organisation,
)

rules.add_perm("debates", is_site_admin | is_member_of_organisation)
rules.add_perm("debates.view_debate", runs_department_item)
rules.add_perm("debates.add_debate", runs_department_item)
rules.add_perm("debates.change_debate", runs_department_item)
rules.add_perm("debates.publish_debate", runs_department_item)
# Residents' points and comments hang on a debate, so only an organisation admin deletes one.
rules.add_perm("debates.delete_debate", runs_organisation)
# The conclusion of a closed debate (debates.following.conclusion_publish).
rules.add_perm("debates.conclude_debate", runs_department_item)
