"""Who may run mailing: the facilitators and organisation admins who keep the organisation's
contacts (contacts.rules), for their own organisation only."""

import rules

from contacts.rules import keeps_contacts

rules.add_perm("mailing", keeps_contacts)
rules.add_perm("mailing.send_campaign", keeps_contacts)
for model in ("campaign", "sendingidentity", "ratelimit", "suppression"):
    rules.add_perm(f"mailing.view_{model}", keeps_contacts)
    rules.add_perm(f"mailing.add_{model}", keeps_contacts)
    rules.add_perm(f"mailing.change_{model}", keeps_contacts)
    rules.add_perm(f"mailing.delete_{model}", keeps_contacts)
# The outbox is the record of what was sent: read-only, never deleted by hand.
rules.add_perm("mailing.view_delivery", keeps_contacts)
for action in ("add", "change", "delete"):
    rules.add_perm(f"mailing.{action}_delivery", rules.always_deny)
