"""Who may run debates: officers of the debate's department and the organisation's admins.
Residents take part through the public pages, never the admin."""

import rules

from civic.rules import (
    is_member_of_organisation,
    is_officer_of_organisation,
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

# Conversations: run by the department's officers like debates. Residents' statements are
# moderated on the conversation's own admin page; participants and votes are never edited.
rules.add_perm("debates.view_conversation", runs_department_item)
rules.add_perm("debates.add_conversation", runs_department_item)
rules.add_perm("debates.change_conversation", runs_department_item)
rules.add_perm("debates.publish_conversation", runs_department_item)
rules.add_perm("debates.moderate_conversation", runs_department_item)
rules.add_perm("debates.export_conversation", runs_department_item)
rules.add_perm("debates.delete_conversation", runs_organisation)
# Moderation (debates.moderation): the debate's officers decide on its reported comments and
# points; any officer of the organisation may block an account from its debates. Reviews and
# blocks are made and changed only through their pages, never the admin's add or delete.
moderates_organisation = runs_organisation | is_officer_of_organisation
rules.add_perm("debates.moderate_debate", runs_department_item)
rules.add_perm("debates.view_review", runs_department_item)
rules.add_perm("debates.change_review", runs_department_item)
rules.add_perm("debates.add_review", rules.always_deny)
rules.add_perm("debates.delete_review", rules.always_deny)
rules.add_perm("debates.block_account", moderates_organisation)
rules.add_perm("debates.view_block", moderates_organisation)
rules.add_perm("debates.change_block", moderates_organisation)
rules.add_perm("debates.add_block", rules.always_deny)
rules.add_perm("debates.delete_block", rules.always_deny)
# The conclusion of a closed debate (debates.following.conclusion_publish).
rules.add_perm("debates.conclude_debate", runs_department_item)
# Spaces where residents propose debates (debates.proposals): run by the department's officers;
# a proposal is decided with debates.publish_debate.
rules.add_perm("debates.view_debatespace", runs_department_item)
rules.add_perm("debates.add_debatespace", runs_department_item)
rules.add_perm("debates.change_debatespace", runs_department_item)
rules.add_perm("debates.delete_debatespace", runs_organisation)
