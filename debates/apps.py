from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebatesConfig(AppConfig):
    name = "debates"
    verbose_name = _("Debates")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civic import open_now
        from contacts import gdpr_registry, kinds
        from debates import gdpr
        from debates.models import (
            ACTIVITY_COMMENT,
            ACTIVITY_CONVERSATION,
            ACTIVITY_ENDORSEMENT,
            ACTIVITY_POINT,
            ACTIVITY_STATEMENT,
            SOURCE_DEBATE,
        )
        from debates.views import open_items

        open_now.register(
            open_now.OpenSection(key="debates", heading=_("Debates"), order=40, items=open_items)
        )
        gdpr_registry.register(
            "debate contributions", gdpr.export_contributions, gdpr.erase_contributions
        )
        gdpr_registry.register("debate follows", gdpr.export_follows, gdpr.erase_follows)
        kinds.register_source(SOURCE_DEBATE, _("Debate"))
        kinds.register_activity(ACTIVITY_POINT, _("Point in a debate"))
        kinds.register_activity(ACTIVITY_ENDORSEMENT, _("Endorsement of a point in a debate"))
        kinds.register_activity(ACTIVITY_COMMENT, _("Comment in a debate"))
        kinds.register_activity(ACTIVITY_CONVERSATION, _("Votes in a conversation"))
        kinds.register_activity(ACTIVITY_STATEMENT, _("Statement in a conversation"))
        gdpr_registry.register(
            "conversation votes and statements",
            gdpr.export_conversations,
            gdpr.erase_conversations,
        )
